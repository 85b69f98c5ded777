import Foundation
import Testing

@testable import NervaRec

@Suite struct CollaborativeFilteringTests {
    /// Users 0–1 like items A, B; users 2–3 like C, D; user 4 likes A only.
    func tinyData() -> InteractionDataset {
        dataset([
            ("0", "A", 5, 1), ("0", "B", 5, 2), ("1", "A", 4, 3), ("1", "B", 5, 4),
            ("2", "C", 5, 5), ("2", "D", 4, 6), ("3", "C", 5, 7), ("3", "D", 5, 8), ("4", "A", 5, 9)
        ])
    }

    @Test func itemKNNFindsKnownNeighboursAndExplains() {
        let data = tinyData()
        let model = ItemKNNRecommender(train: data, settings: NeighborhoodSettings(similarity: .cosine, neighbors: 2))
        let a = data.items.index(of: "A")!, b = data.items.index(of: "B")!, c = data.items.index(of: "C")!,
            d = data.items.index(of: "D")!
        #expect(model.lists.neighbors[a].map(\.row) == [b])
        #expect(model.lists.neighbors[c].map(\.row) == [d])
        let user4 = data.users.index(of: "4")!
        let top = model.recommend(user: user4, count: 1, excluding: UserItemMatrix(data))
        #expect(top.first?.item == b)
        #expect(model.explanation(user: user4, item: b)?.item == a)
    }

    @Test func pearsonAndShrinkage() {
        let data = tinyData()
        let plain = NeighborLists(.transposed(data), settings: NeighborhoodSettings(similarity: .cosine, neighbors: 3))
        let shrunk = NeighborLists(
            .transposed(data), settings: NeighborhoodSettings(similarity: .cosine, neighbors: 3, shrinkage: 2))
        let a = data.items.index(of: "A")!
        // A and B share 2 users: the similarity is multiplied by 2 / (2 + 2).
        #expect(abs(shrunk.neighbors[a][0].similarity - plain.neighbors[a][0].similarity * 0.5) < 1e-6)
        let pearson = NeighborLists(
            UserItemMatrix(data), settings: NeighborhoodSettings(similarity: .pearson, neighbors: 3))
        #expect(pearson.neighbors.count == data.userCount)
    }

    @Test func userKNNRecommendsWhatSimilarUsersLiked() {
        let data = tinyData()
        let model = UserKNNRecommender(train: data, settings: NeighborhoodSettings(neighbors: 2))
        let top = model.recommend(user: data.users.index(of: "4")!, count: 1, excluding: UserItemMatrix(data))
        #expect(top.first?.item == data.items.index(of: "B")!)
    }

    @Test func biasedMFLearnsRatings() throws {
        let data = SyntheticInteractions(users: 400, items: 200, meanInteractions: 60, seed: 2).dataset
        let split = SplitRule.randomHoldout(fraction: 0.2).split(data, seed: 1)
        var settings = BiasedMF.Settings()
        settings.epochs = 20
        let model = BiasedMF(users: data.userCount, items: data.itemCount, settings: settings)
        model.fit(split.train)
        let errors = try model.errors(on: split.test)
        let mean = split.train.ratings.reduce(0, +) / Float(split.train.count)
        let baseline = RankingMetrics.rmse(
            predictions: Array(repeating: mean, count: split.test.count), targets: split.test.ratings)
        #expect(errors.rmse < baseline - 0.1)
        #expect(errors.mae < errors.rmse)
    }

    @Test func implicitModelsBeatPopularityOnPlantedData() {
        let data = SyntheticInteractions(users: 150, items: 240, meanInteractions: 35, seed: 8).dataset
        let split = SplitRule.leaveOneOut.split(data)
        let evaluation = SampledRankingEvaluation(split: split, seed: 2)
        let popularity = evaluation.evaluate(PopularityRecommender(train: split.train)).hitRate
        var bpr = BPRMF.Settings()
        bpr.epochs = 15
        var als = WeightedALS.Settings()
        als.iterations = 5
        als.factors = 16
        let models: [Recommender] = [
            ItemKNNRecommender(train: split.train), UserKNNRecommender(train: split.train),
            BPRMF(train: split.train, settings: bpr), WeightedALS(train: split.train, settings: als)
        ]
        for model in models {
            #expect(evaluation.evaluate(model).hitRate > popularity + 0.05, "\(model.name)")
        }
    }

    @Test func choleskySolvesASmallSystem() {
        var a: [Double] = [4, 2, 2, 3]
        let x = WeightedALS.choleskySolve(&a, [2, 1], 2) // [[4,2],[2,3]] x = [2,1] → x = [0.5, 0]
        #expect(abs(x[0] - 0.5) < 1e-12 && abs(x[1]) < 1e-12)
    }
}
