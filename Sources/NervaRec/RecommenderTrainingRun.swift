import Foundation

/// One training run of a recommender, as `nerva rec train` and the tour do it: train on the
/// training rows (NCF models report each epoch, with HR/NDCG on the test set when there is one),
/// then measure the model on the test set (NCF protocol, full ranking, RMSE/MAE for rating
/// models) and package it with its ids for saving.
///
/// ```swift
/// let split = SplitRule.leaveOneOut.split(data)
/// let run = RecommenderTrainingRun(training: RecommenderTraining(kind: .als))
/// let result = try run.run(train: split.train, test: split.test)
/// print(result.evaluation?.hitRate ?? .nan)
/// try result.saved.save(to: URL(fileURLWithPath: "als.safetensors"))
/// ```
public struct RecommenderTrainingRun: Sendable {
    /// The model and its settings.
    public var training: RecommenderTraining
    /// The K of HR@K, NDCG@K, Recall@K and MAP@K.
    public var cutoff: Int
    /// Seeds the sampled negatives of the NCF protocol.
    public var seed: UInt64

    public init(training: RecommenderTraining, cutoff: Int = 10, seed: UInt64 = 0) {
        self.training = training
        self.cutoff = cutoff
        self.seed = seed
    }

    /// One epoch of an NCF model's training.
    public struct Epoch: Sendable {
        /// The stage: the model kind, "gmf"/"mlp" while pretraining NeuMF, "refit-…" for the refit.
        public var stage: String
        public var report: NCFTrainer.EpochReport
        /// HR@K and NDCG@K on the test set (1 + 99 sampled) after this epoch; `nil` without a test set.
        public var test: (hitRate: Double, ndcg: Double)?
    }

    /// The final model's metrics on the test set.
    public struct Evaluation: Sendable {
        /// HR@K and NDCG@K of the held-out item among 99 sampled unseen items (NCF protocol).
        public var hitRate: Double
        public var ndcg: Double
        /// Recall, NDCG, MAP at K and coverage over every unseen item.
        public var full: FullRankingEvaluation.Result
        /// RMSE and MAE of a rating model's predictions.
        public var errors: (rmse: Double, mae: Double)?
    }

    /// What a run produced.
    public struct Result {
        public var model: Recommender
        /// `nil` when the run had no test set (every row trained the model).
        public var evaluation: Evaluation?
        /// The epochs of the final model's stage (the refit when there was one); empty for non-NCF models.
        public var curve: [Epoch]
        /// Wall-clock seconds spent training (evaluation excluded).
        public var trainingSeconds: Double
        /// The model with its ids, titles, settings and training history, ready to `save(to:)`.
        public var saved: SavedRecommender
    }

    /// Trains on `train` and, when `test` is given, evaluates on it; `onEpoch` sees every NCF epoch.
    ///
    /// - Throws: `RecDataError.tooLittleData` when `train` is empty or `test` is given without rows,
    ///   and what `RecommenderTraining.train` and `onEpoch` throw.
    public func run(
        train: InteractionDataset, test: InteractionDataset? = nil,
        onEpoch: (Epoch) throws -> Void = { _ in }
    ) throws -> Result {
        if let test { try InteractionSplit(train: train, test: test).checkEvaluable() }
        guard train.count > 0 else { throw RecDataError.tooLittleData(problem: "no training interactions") }
        try RankingMetrics.checkCutoff(cutoff)
        let split = test.map { InteractionSplit(train: train, test: $0) }
        let sampled = split.map { SampledRankingEvaluation(split: $0, negativeCount: 99, seed: seed) }
        var curve: [Epoch] = []
        var refitCurve: [Epoch] = []
        let name = training.kind.rawValue
        var evaluationSeconds = 0.0
        let start = DispatchTime.now().uptimeNanoseconds
        let model = try training.train(train) { stage, report, current in
            let evaluationStart = DispatchTime.now().uptimeNanoseconds
            let epoch = Epoch(stage: stage, report: report, test: sampled.map { $0.evaluate(current, cutoff: cutoff) })
            evaluationSeconds += Double(DispatchTime.now().uptimeNanoseconds - evaluationStart) / 1e9
            if stage == name { curve.append(epoch) }
            if stage == "refit-" + name { refitCurve.append(epoch) }
            try onEpoch(epoch)
        }
        let trainingSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 - evaluationSeconds
        var evaluation: Evaluation?
        if let split, let sampled {
            let (hitRate, ndcg) = sampled.evaluate(model, cutoff: cutoff)
            var errors: (rmse: Double, mae: Double)?
            if let mf = model as? BiasedMF, split.test.hasRatings { errors = try mf.errors(on: split.test) }
            evaluation = Evaluation(
                hitRate: hitRate, ndcg: ndcg, full: FullRankingEvaluation(split: split).evaluate(model, cutoff: cutoff),
                errors: errors)
        }
        let description = RecommenderDescription(
            model: name, settings: training.settings, users: train.users.ids,
            items: train.items.ids,
            titles: (0..<train.itemCount).map { train.catalog?.titles[$0] ?? "" })
        let saved = SavedRecommender(model: model, description: description, history: UserItemMatrix(train))
        return Result(
            model: model, evaluation: evaluation, curve: refitCurve.isEmpty ? curve : refitCurve,
            trainingSeconds: trainingSeconds, saved: saved)
    }
}
