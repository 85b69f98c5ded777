// NeuMF (He et al. 2017) on MovieLens with the NCF paper's evaluation: each user's latest item is
// held out and ranked among 99 items the user never saw; HR@10 and NDCG@10 against popularity.
//
// Run it with `swift run -c release NeuMFMovieLens path/to/ml-100k` (or ml-1m, ml-latest-small:
// any folder as GroupLens publishes it). Without a folder it uses synthetic ml-100k-like data.
import Foundation
import NervaRec

// snippet.data
let ratings: InteractionDataset
if let folder = CommandLine.arguments.dropFirst().first {
    (ratings, _) = try MovieLens.load(directory: URL(fileURLWithPath: folder), malformed: .fail)
} else {
    ratings = SyntheticInteractions(users: 300, items: 600, meanInteractions: 40, seed: 1).dataset
}
let interactions = ratings.implicit() // every rating is a positive
let split = SplitRule.leaveOneOut.split(interactions) // the latest item of each user is the test item
try split.checkEvaluable()
print("\(interactions.userCount) users, \(interactions.itemCount) items, \(split.train.count) training rows")
// snippet.end

// snippet.select
// Choose the epochs on a validation item per user, taken from the training rows: never the test set.
var settings = NCFSettings() // NeuMF, 4 negatives, Adam 1e-3, batch 256
settings.epochs = 20
settings.seed = 2
let selection = SplitRule.leaveOneOut.split(split.train)
let validation = SampledRankingEvaluation(split: selection, negativeCount: 99, seed: 3)
let (_, chosenEpochs) = try NCFTrainer(settings: settings, train: selection.train)
    .trainModel(
        validation: validation,
        onEpoch: { stage, epoch in
            print("\(stage) epoch \(epoch.epoch): loss \(epoch.loss), validation NDCG@10 \(epoch.validationNDCG ?? 0)")
        })
// snippet.end

// snippet.train
// Train again on all the training rows for the chosen number of epochs.
let final = try NCFTrainer(settings: settings, train: split.train)
    .trainModel(validation: nil, stageEpochs: chosenEpochs).network
let neuMF = NCFRecommender(final, name: "neumf")
// snippet.end

// snippet.evaluate
let test = SampledRankingEvaluation(split: split, negativeCount: 99, seed: 4)
let model = test.evaluate(neuMF, cutoff: 10)
let baseline = test.evaluate(PopularityRecommender(train: split.train), cutoff: 10)
print("NeuMF:      HR@10 \(model.hitRate), NDCG@10 \(model.ndcg) (\(chosenEpochs["neumf"] ?? 0) epochs)")
print("popularity: HR@10 \(baseline.hitRate), NDCG@10 \(baseline.ndcg)")
// snippet.end

// snippet.recommend
let seen = UserItemMatrix(split.train)
for (item, score) in neuMF.recommend(user: 0, count: 5, excluding: seen) {
    print("for user \(interactions.users[0]): \(interactions.title(ofItem: item)) (score \(score))")
}
// snippet.end

// snippet.hide
precondition(model.hitRate > baseline.hitRate, "NeuMF did not beat popularity")
