/// Trains any kind of recommender from one set of options, so the command line, the tour and
/// the tests share the recipe.
public struct RecommenderTraining: Sendable {
    public var kind: RecommenderKind
    public var ncf = NCFSettings()
    public var neighborhood = NeighborhoodSettings()
    public var svd = BiasedMF.Settings()
    public var bpr = BPRMF.Settings()
    public var als = WeightedALS.Settings()
    /// Ratings at or above this count as "liked" for content profiles.
    public var likeThreshold: Float = 4
    /// Implicit models (NCF, BPR, ALS): only ratings at or above this count as positives
    /// (`nil`: every interaction does). Content models use `likeThreshold` instead.
    public var positiveThreshold: Float?

    public init(kind: RecommenderKind, seed: UInt64 = 0) {
        self.kind = kind
        ncf.seed = seed
        svd.seed = seed
        bpr.seed = seed
        als.seed = seed
        if let architecture = NCFSettings.Architecture(rawValue: kind.rawValue) { ncf.architecture = architecture }
    }

    /// The settings worth recording for `kind`, by name.
    public var settings: [String: String] {
        switch kind {
        case .gmf, .mlp, .neumf:
            return [
                "factors": "\(ncf.factors)", "layers": ncf.layers.map(String.init).joined(separator: ","),
                "negatives": "\(ncf.negatives)", "learning_rate": "\(ncf.learningRate)",
                "batch_size": "\(ncf.batchSize)",
                "epochs": "\(ncf.epochs)", "pretrain": "\(ncf.pretrain)", "alpha": "\(ncf.alpha)",
                "seed": "\(ncf.seed)",
                "weight_decay": "\(ncf.weightDecay)", "validation": "\(ncf.validation)", "patience": "\(ncf.patience)",
                "refit": "\(ncf.refit)", "averaged_epochs": "\(ncf.averagedEpochs)",
                "fine_tune_learning_rate": ncf.fineTuneLearningRate.map { "\($0)" } ?? "same"
            ]
        case .itemKNN, .userKNN:
            return [
                "similarity": neighborhood.similarity.rawValue, "neighbors": "\(neighborhood.neighbors)",
                "shrinkage": "\(neighborhood.shrinkage)"
            ]
        case .svd:
            return [
                "factors": "\(svd.factors)", "epochs": "\(svd.epochs)", "learning_rate": "\(svd.learningRate)",
                "regularization": "\(svd.regularization)", "seed": "\(svd.seed)"
            ]
        case .bpr:
            return [
                "factors": "\(bpr.factors)", "epochs": "\(bpr.epochs)", "learning_rate": "\(bpr.learningRate)",
                "regularization": "\(bpr.regularization)", "seed": "\(bpr.seed)"
            ]
        case .als:
            return [
                "factors": "\(als.factors)", "iterations": "\(als.iterations)",
                "regularization": "\(als.regularization)",
                "alpha": "\(als.alpha)", "seed": "\(als.seed)",
                "solver": als.solverName
            ]
        case .content: return ["like_threshold": "\(likeThreshold)"]
        case .popularity: return [:]
        }
    }

    /// Whether `kind` learns from implicit feedback, so `positiveThreshold` applies to it.
    public var isImplicit: Bool { [.gmf, .mlp, .neumf, .bpr, .als].contains(kind) }

    /// Checks the settings `kind` uses.
    ///
    /// - Throws: `ConfigurationError` naming the first setting out of range, its value and the
    ///   allowed range, or a threshold given to a model it does not apply to.
    public func validate() throws {
        switch kind {
        case .gmf, .mlp, .neumf: try ncf.validate()
        case .itemKNN, .userKNN: try neighborhood.validate()
        case .svd: try svd.validate()
        case .bpr: try bpr.validate()
        case .als: try als.validate()
        case .content:
            try ConfigurationError.require(
                likeThreshold.isFinite, "like threshold", likeThreshold, allowed: "a finite rating")
        case .popularity: break
        }
        if let positiveThreshold {
            try ConfigurationError.require(
                isImplicit, "positive threshold", positiveThreshold,
                allowed: "unset for \(kind.rawValue) (it applies to implicit models: gmf, mlp, neumf, bpr, als)")
            try ConfigurationError.require(
                positiveThreshold.isFinite, "positive threshold", positiveThreshold, allowed: "a finite rating")
        }
    }

    /// Throws unless `(users + items) × factors` values, with the optimiser's copies, fit in memory.
    static func checkEmbeddingSize(factors: Int, users: Int, items: Int) throws {
        let (values, overflow) = (users + items).multipliedReportingOverflow(by: factors)
        let limit = SizeLimits.memoryBudget(bytesPerValue: 16)
        try ConfigurationError.require(
            !overflow && values <= limit, "factors", "\(factors) for \(users) users and \(items) items",
            allowed: "small enough for the factors to fit in memory (at most \(limit) values)")
    }

    /// Trains on `train`. NCF models call `onEpoch` with the stage ("gmf", "mlp", "neumf") and
    /// the epoch's report after each epoch; the model is usable inside the callback.
    ///
    /// - Throws: `ConfigurationError` for a bad setting (see `validate()`), `RecDataError.tooLittleData`
    ///   when `train` cannot train `kind`, `TrainingDivergedError` when the parameters stop being
    ///   finite, or what `onEpoch` throws.
    public func train(
        _ train: InteractionDataset,
        onEpoch: (String, NCFTrainer.EpochReport, Recommender) throws -> Void = { _, _, _ in }
    ) throws -> Recommender {
        try validate()
        let implicit = isImplicit ? train.implicit(threshold: positiveThreshold) : train
        guard implicit.count > 0 || kind == .popularity || kind == .content else {
            throw RecDataError.tooLittleData(
                problem: positiveThreshold.map { "no training interaction is rated at least \($0)" }
                    ?? "\(kind.rawValue) needs at least one training interaction, got none")
        }
        let factors = [RecommenderKind.svd: svd.factors, .bpr: bpr.factors, .als: als.factors][kind]
        if let factors { try Self.checkEmbeddingSize(factors: factors, users: train.userCount, items: train.itemCount) }
        switch kind {
        case .popularity: return PopularityRecommender(train: train)
        case .gmf, .mlp, .neumf:
            var settings = ncf
            settings.architecture = NCFSettings.Architecture(rawValue: kind.rawValue)!
            var current: (any NCFNetwork)?
            let network = try NCFTrainer.trainModel(
                settings: settings, train: implicit, onNetwork: { current = $0 },
                onEpoch: { stage, report in
                    try onEpoch(stage, report, NCFRecommender(current!, name: stage))
                })
            return NCFRecommender(network, name: kind.rawValue)
        case .itemKNN: return ItemKNNRecommender(train: train, settings: neighborhood)
        case .userKNN: return UserKNNRecommender(train: train, settings: neighborhood)
        case .svd:
            let model = BiasedMF(users: train.userCount, items: train.itemCount, settings: svd)
            model.fit(train)
            try Self.requireFinite(model.userFactors + model.itemFactors + model.userBias + model.itemBias, kind: kind)
            return model
        case .bpr:
            let model = BPRMF(train: implicit, settings: bpr)
            try Self.requireFinite(model.userFactors + model.itemFactors + model.itemBias, kind: kind)
            return model
        case .als:
            let model = WeightedALS(train: implicit, settings: als)
            try Self.requireFinite(model.userFactors + model.itemFactors, kind: kind)
            return model
        case .content:
            guard let catalog = train.catalog else { return PopularityRecommender(train: train) }
            return ContentRecommender(
                train: train, features: ItemFeatures(catalog: catalog), likeThreshold: likeThreshold)
        }
    }
}

extension RecommenderTraining {
    /// Throws `TrainingDivergedError` unless every trained value is finite.
    static func requireFinite(_ values: [Float], kind: RecommenderKind) throws {
        if let bad = values.first(where: { !$0.isFinite }) {
            throw TrainingDivergedError(
                what: "\(kind.rawValue) training", position: "the end of training", detail: "a parameter is \(bad)")
        }
    }
}
