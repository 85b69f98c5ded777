import Foundation
import Testing

@testable import NervaRec

/// Scoring listed pairs: the file layouts, rating models' scores as ratings, and cold start.
@Suite struct PairScoringTests {
    let data = SyntheticInteractions(users: 40, items: 70, meanInteractions: 20, seed: 6).dataset

    func saved(_ kind: RecommenderKind) throws -> SavedRecommender {
        var training = RecommenderTraining(kind: kind, seed: 1)
        training.ncf.epochs = 2
        training.ncf.validation = false
        training.svd.epochs = 3
        return try RecommenderTrainingRun(training: training).run(train: data).saved
    }

    @Test func pairsFilesInEveryUsualLayout() throws {
        let folder = temporaryFolder()
        let expected = [("1", "2"), ("3", "4")]
        for (name, text) in [
            ("a.csv", "user,item\n1,2\n3,4\n"), ("b.tsv", "1\t2\t5\t100\n3\t4\t1\t101\n"),
            ("c.txt", "1 2\n 3   4 \n"), ("d.csv", "\u{FEFF}user,item\r\n1,2\r\n3,4\r\n")
        ] {
            let pairs = try PairsFile.read(write(text, name, in: folder))
            #expect(
                pairs.map(\.user) == expected.map(\.0) && pairs.map(\.item) == expected.map(\.1), "\(name): \(pairs)")
        }
        let bad = write("1,2\n3\n", "e.csv", in: folder)
        #expect(
            throws: RecDataError.malformedLine(
                file: bad.path, line: 2, problem: "expected a user and an item, found '3'")
        ) {
            try PairsFile.read(bad)
        }
    }

    @Test func ratingModelsScoreRatings() throws {
        let model = try saved(.svd)
        let mf = try #require(model.model as? BiasedMF)
        let range = mf.ratingRange
        let (users, items) = (data.users.ids, data.items.ids)
        let scored = model.score(pairs: [(users[0], items[0]), (users[1], items[2]), (users[4], items[8])])
        for pair in scored {
            let expected = mf.predict(user: model.userIndex(pair.user)!, item: model.itemIndex(pair.item)!)
            #expect(pair.score == expected && range.contains(pair.score) && pair.fallback == nil)
        }
        // μ + b_u + b_i + p·q, clipped: the same as the ranking scores.
        #expect(mf.scores(user: 0)[4] == mf.predict(user: 0, item: 4))
        let cold = model.score(pairs: [("nobody", items[0])])[0]
        #expect(
            cold.fallback == .baselineRating && cold.score == mf.predict(user: -1, item: model.itemIndex(items[0])!))
    }

    @Test(arguments: [RecommenderKind.neumf, .popularity, .svd, .itemKNN])
    func unknownItemsRankBelowEveryKnownItem(kind: RecommenderKind) throws {
        let model = try saved(kind)
        for user in [data.users.ids[0], data.users.ids[6], "nobody"] {
            let pairs = [(user, "no-such-item")] + data.items.ids.map { (user, $0) }
            let scored = model.score(pairs: pairs)
            #expect(scored[0].fallback == .belowKnownItems)
            #expect(scored.dropFirst().allSatisfy { $0.score > scored[0].score }, "\(kind) user \(user)")
            if user == "nobody" { #expect(scored.dropFirst().allSatisfy { $0.fallback != nil }) }
        }
    }
}
