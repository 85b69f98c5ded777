import Foundation
import Testing

@testable import NervaRec

/// Hostile settings and degenerate data end in errors that name the problem, never in a trap,
/// and a diverged model is neither returned nor scored as good (issue #18).
@Suite struct RecommenderTrainingTests {
    let data = SyntheticInteractions(users: 30, items: 60, meanInteractions: 12, seed: 3).dataset

    /// The `field` of the `ConfigurationError` that `body` throws.
    func rejectedField(_ body: () throws -> Void) -> String? {
        do { try body() } catch let error as ConfigurationError { return error.field } catch {
            return "other: \(error)"
        }
        return nil
    }

    @Test func badNCFSettingsAreNamedWithTheirRange() {
        var training = RecommenderTraining(kind: .gmf)
        training.ncf.factors = 0
        #expect(rejectedField { _ = try training.train(data) } == "factors")
        training = RecommenderTraining(kind: .gmf)
        training.ncf.negatives = -1
        #expect(rejectedField { _ = try training.train(data) } == "negatives")
        training = RecommenderTraining(kind: .neumf)
        training.ncf.batchSize = 0
        #expect(rejectedField { _ = try training.train(data) } == "batch size")
        training = RecommenderTraining(kind: .mlp)
        training.ncf.learningRate = .nan
        #expect(rejectedField { _ = try training.train(data) } == "learning rate")
        training.ncf.learningRate = .infinity
        #expect(rejectedField { try training.validate() } == "learning rate")
        training = RecommenderTraining(kind: .mlp)
        training.ncf.layers = [-5, -5]
        #expect(rejectedField { try training.validate() } == "layers")
        let message = ConfigurationError(field: "factors", value: "0", allowed: "at least 1").description
        #expect(message == "factors must be at least 1, got 0")
    }

    @Test func badSettingsOfTheOtherModelsAreNamed() {
        var training = RecommenderTraining(kind: .svd)
        training.svd.factors = 0
        #expect(rejectedField { try training.validate() } == "factors")
        training = RecommenderTraining(kind: .bpr)
        training.bpr.learningRate = -1
        #expect(rejectedField { try training.validate() } == "learning rate")
        training = RecommenderTraining(kind: .als)
        training.als.iterations = 0
        #expect(rejectedField { try training.validate() } == "iterations")
        training = RecommenderTraining(kind: .itemKNN)
        training.neighborhood.neighbors = 0
        #expect(rejectedField { try training.validate() } == "neighbors")
    }

    @Test func aThresholdAppliesToImplicitModelsOnly() throws {
        var training = RecommenderTraining(kind: .svd)
        training.positiveThreshold = 4
        #expect(rejectedField { try training.validate() } == "positive threshold")
        training = RecommenderTraining(kind: .bpr)
        training.bpr.epochs = 1
        training.positiveThreshold = 6 // above every rating: nothing left to learn from
        #expect(throws: RecDataError.self) { _ = try training.train(data) }
        // A threshold changes what is learnt.
        training.positiveThreshold = 4
        let liked = try training.train(data) as! FactorRecommender
        training.positiveThreshold = nil
        let all = try training.train(data) as! FactorRecommender
        #expect(liked.userFactors != all.userFactors)
    }

    @Test func aSingleRatingIsTooLittleDataNotATrap() throws {
        let one = dataset([("u1", "i1", 4, 1)])
        let split = SplitRule.leaveOneOut.split(one)
        #expect(throws: RecDataError.self) { try split.checkEvaluable() }
        var training = RecommenderTraining(kind: .gmf)
        training.ncf.epochs = 1
        #expect(throws: RecDataError.self) { _ = try training.train(split.train) } // no unseen item to sample
        let svd = try RecommenderTraining(kind: .svd).train(split.train) as! BiasedMF
        #expect(throws: RecDataError.self) { _ = try svd.errors(on: split.test) }
    }

    @Test func divergedNCFTrainingStopsWithAnError() {
        var training = RecommenderTraining(kind: .gmf)
        training.ncf.learningRate = 1e30
        training.ncf.epochs = 2
        training.ncf.validation = false
        var epochs = 0
        #expect(throws: TrainingDivergedError.self) { _ = try training.train(data) { _, _, _ in epochs += 1 } }
        #expect(epochs <= 1)
    }

    @Test func divergedMatrixFactorisationStopsWithAnError() {
        var training = RecommenderTraining(kind: .svd)
        training.svd.learningRate = 1e30
        training.svd.epochs = 2
        #expect(throws: TrainingDivergedError.self) { _ = try training.train(data) }
    }

    @Test func nonFiniteScoresNeverCountAsHits() {
        #expect(RankingMetrics.hit(rank: RankingMetrics.rank(of: .nan, among: [0, 1]), cutoff: 10) == 0)
        #expect(RankingMetrics.ndcg(rank: RankingMetrics.rank(of: .infinity, among: [0, 1]), cutoff: 10) == 0)
        #expect(RankingMetrics.rank(of: 0.5, among: [.nan, 0.1]) == 1) // a NaN rival counts against
        let split = SplitRule.leaveOneOut.split(data)
        let evaluation = SampledRankingEvaluation(split: split, negativeCount: 20, seed: 1)
        let (hitRate, ndcg) = evaluation.evaluate(
            ConstantRecommender(score: .nan, users: data.userCount, items: data.itemCount))
        #expect(hitRate == 0 && ndcg == 0)
        #expect(throws: ConfigurationError.self) { try RankingMetrics.checkCutoff(0) }
    }
}

/// Scores every item the same.
final class ConstantRecommender: Recommender {
    let name = "constant"
    let score: Float, userCount: Int, itemCount: Int
    init(score: Float, users: Int, items: Int) {
        self.score = score
        userCount = users
        itemCount = items
    }
    func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>) {
        scores.initialize(repeating: score, count: users.count * itemCount)
    }
}
