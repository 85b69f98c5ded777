import Foundation
import Testing

@testable import NervaRec

@Suite struct RankingMetricsTests {
    @Test func handComputedRankings() {
        #expect(RankingMetrics.rank(of: 0.5, among: [0.9, 0.1, 0.5, 0.3]) == 2) // a tie counts against
        #expect(RankingMetrics.hit(rank: 9, cutoff: 10) == 1 && RankingMetrics.hit(rank: 10, cutoff: 10) == 0)
        #expect(abs(RankingMetrics.ndcg(rank: 2, cutoff: 10) - 0.5) < 1e-12) // 1 / log2(4)
        // List [a, b, c, d], relevant {b, d}.
        let list = [1, 2, 3, 4], relevant: Set = [2, 4]
        #expect(RankingMetrics.recall(list, relevant: relevant, cutoff: 2) == 0.5)
        let dcg = 1 / log2(3.0) + 1 / log2(5.0), ideal = 1 + 1 / log2(3.0)
        #expect(abs(RankingMetrics.ndcg(list, relevant: relevant, cutoff: 4) - dcg / ideal) < 1e-12)
        #expect(abs(RankingMetrics.averagePrecision(list, relevant: relevant, cutoff: 4) - (0.5 + 0.5) / 2) < 1e-12)
        #expect(abs(RankingMetrics.rmse(predictions: [1, 2], targets: [2, 4]) - (2.5).squareRoot()) < 1e-9)
        #expect(RankingMetrics.mae(predictions: [1, 2], targets: [2, 4]) == 1.5)
    }

    @Test func topKSelection() {
        #expect(TopK.select(3, from: [0.1, 0.9, 0.5, 0.9, 0.2]).map(\.item) == [1, 3, 2])
    }

    @Test func sampledProtocolOnAPerfectAndAConstantModel() {
        let data = SyntheticInteractions(users: 40, items: 300, meanInteractions: 25, seed: 5).dataset
        let split = SplitRule.leaveOneOut.split(data)
        let evaluation = SampledRankingEvaluation(split: split, negativeCount: 99, seed: 1)
        #expect(evaluation.cases.count == data.userCount)
        for c in evaluation.cases { #expect(c.negatives.count == 99 && !c.negatives.contains(c.item)) }
        let oracle = OracleRecommender(split.test, itemCount: data.itemCount)
        let (hr, ndcg) = evaluation.evaluate(oracle)
        #expect(hr == 1 && ndcg == 1)
        let full = FullRankingEvaluation(split: split).evaluate(oracle, cutoff: 10)
        #expect(full.recall == 1 && full.ndcg == 1)
        let constant = PopularityRecommender(
            counts: Array(repeating: 1, count: data.itemCount), userCount: data.userCount)
        #expect(evaluation.evaluate(constant).hitRate == 0) // ties count against the held-out item
    }
}

/// Scores each user's test items 1, everything else 0.
final class OracleRecommender: Recommender {
    let name = "oracle"
    let test: UserItemMatrix
    let itemCount: Int
    var userCount: Int { test.userCount }

    init(_ test: InteractionDataset, itemCount: Int) {
        self.test = UserItemMatrix(test)
        self.itemCount = itemCount
    }

    func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>) {
        for (offset, user) in users.enumerated() {
            (scores + offset * itemCount).initialize(repeating: 0, count: itemCount)
            for item in test.items(of: user) { scores[offset * itemCount + Int(item)] = 1 }
        }
    }
}
