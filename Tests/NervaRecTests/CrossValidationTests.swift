import NervaNN
import NervaRec
import Testing

/// k-fold cross-validation of a rating model.
@Suite struct CrossValidationTests {
    let data = SyntheticInteractions(users: 120, items: 80, meanInteractions: 30, seed: 5).dataset

    @Test func everyFoldIsMeasuredOnceWithTheHeldOutRowsPutBack() throws {
        var training = RecommenderTraining(kind: .svd, seed: 1)
        training.svd.epochs = 5
        let split = SplitRule.randomHoldout(fraction: 0.2).split(data, seed: 1)
        var seen: [Int] = []
        let errors = try training.crossValidate(train: split.train, test: split.test, folds: 3, seed: 1) { index, _ in
            seen.append(index)
        }
        #expect(seen == [0, 1, 2] && errors.count == 3)
        #expect(errors.allSatisfy { $0.rmse.isFinite && $0.mae > 0 && $0.mae <= $0.rmse })
        // Without held-out rows the training rows alone are folded; the same seed folds them the same way.
        let whole = try training.crossValidate(train: data, folds: 3, seed: 1)
        #expect(whole.count == 3)
        #expect(try training.crossValidate(train: data, folds: 3, seed: 1).map(\.rmse) == whole.map(\.rmse))
    }

    @Test func onlyRatingModelsAndSensibleFoldCountsAreAccepted() {
        #expect(throws: ConfigurationError.self) {
            try RecommenderTraining(kind: .gmf).crossValidate(train: data, folds: 3, seed: 0)
        }
        #expect(throws: ConfigurationError.self) {
            try RecommenderTraining(kind: .svd).crossValidate(train: data, folds: 1, seed: 0)
        }
    }
}
