import Foundation
import Testing
@testable import NervaRec

@Suite struct SavedRecommenderTests {
    @Test(arguments: RecommenderKind.allCases)
    func saveAndLoadGivesIdenticalScores(kind: RecommenderKind) throws {
        let data = SyntheticInteractions(users: 40, items: 70, meanInteractions: 20, seed: 6).dataset
        var training = RecommenderTraining(kind: kind, seed: 1)
        training.ncf.epochs = 1
        training.svd.epochs = 2
        training.bpr.epochs = 2
        training.als.iterations = 2
        let model = try training.train(data)
        let description = RecommenderDescription(model: kind.rawValue, settings: training.settings, users: data.users.ids,
                                                 items: data.items.ids, titles: data.catalog!.titles)
        let url = temporaryFolder().appendingPathComponent("model.safetensors")
        try SavedRecommender(model: model, description: description, history: UserItemMatrix(data)).save(to: url)
        let loaded = try SavedRecommender.load(from: url)
        #expect(loaded.description == description)
        #expect(loaded.history.columns == UserItemMatrix(data).columns)
        for user in [0, 17, 39] { #expect(loaded.model.scores(user: user) == model.scores(user: user)) }
    }
}
