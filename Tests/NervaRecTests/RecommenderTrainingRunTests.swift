import Foundation
import Testing

@testable import NervaRec

/// A training run with and without a test set.
@Suite struct RecommenderTrainingRunTests {
    let data = SyntheticInteractions(users: 40, items: 70, meanInteractions: 20, seed: 4).dataset

    @Test func withoutATestSetEveryRowTrainsAndNothingIsEvaluated() throws {
        var training = RecommenderTraining(kind: .gmf, seed: 2)
        training.ncf.epochs = 2
        training.ncf.validation = false
        var epochs: [RecommenderTrainingRun.Epoch] = []
        let result = try RecommenderTrainingRun(training: training).run(train: data) { epochs.append($0) }
        #expect(result.evaluation == nil)
        #expect(epochs.count == 2 && epochs.allSatisfy { $0.test == nil })
        #expect(result.saved.history.entryCount == UserItemMatrix(data).entryCount)
        #expect(result.trainingSeconds > 0)
    }

    @Test func withATestSetTheModelIsMeasured() throws {
        let split = SplitRule.leaveOneOut.split(data)
        var training = RecommenderTraining(kind: .gmf, seed: 2)
        training.ncf.epochs = 2
        training.ncf.validation = false
        var epochs: [RecommenderTrainingRun.Epoch] = []
        let result = try RecommenderTrainingRun(training: training).run(train: split.train, test: split.test) {
            epochs.append($0)
        }
        let evaluation = try #require(result.evaluation)
        #expect((0...1).contains(evaluation.hitRate) && evaluation.errors == nil)
        #expect(epochs.count == 2 && epochs.allSatisfy { $0.test != nil } && result.curve.count == 2)
        let empty = split.test.subset([])
        #expect(throws: RecDataError.self) {
            _ = try RecommenderTrainingRun(training: training).run(train: split.train, test: empty)
        }
    }
}
