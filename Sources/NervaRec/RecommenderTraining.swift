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
            return ["factors": "\(ncf.factors)", "layers": ncf.layers.map(String.init).joined(separator: ","),
                    "negatives": "\(ncf.negatives)", "learning_rate": "\(ncf.learningRate)", "batch_size": "\(ncf.batchSize)",
                    "epochs": "\(ncf.epochs)", "pretrain": "\(ncf.pretrain)", "alpha": "\(ncf.alpha)", "seed": "\(ncf.seed)",
                    "weight_decay": "\(ncf.weightDecay)", "validation": "\(ncf.validation)", "patience": "\(ncf.patience)",
                    "refit": "\(ncf.refit)", "averaged_epochs": "\(ncf.averagedEpochs)", "fine_tune_learning_rate": ncf.fineTuneLearningRate.map { "\($0)" } ?? "same"]
        case .itemKNN, .userKNN:
            return ["similarity": neighborhood.similarity.rawValue, "neighbors": "\(neighborhood.neighbors)",
                    "shrinkage": "\(neighborhood.shrinkage)"]
        case .svd:
            return ["factors": "\(svd.factors)", "epochs": "\(svd.epochs)", "learning_rate": "\(svd.learningRate)",
                    "regularization": "\(svd.regularization)", "seed": "\(svd.seed)"]
        case .bpr:
            return ["factors": "\(bpr.factors)", "epochs": "\(bpr.epochs)", "learning_rate": "\(bpr.learningRate)",
                    "regularization": "\(bpr.regularization)", "seed": "\(bpr.seed)"]
        case .als:
            return ["factors": "\(als.factors)", "iterations": "\(als.iterations)", "regularization": "\(als.regularization)",
                    "alpha": "\(als.alpha)", "seed": "\(als.seed)"]
        case .content: return ["like_threshold": "\(likeThreshold)"]
        case .popularity: return [:]
        }
    }

    /// Trains on `train`. NCF models call `onEpoch` with the stage ("gmf", "mlp", "neumf") and
    /// the epoch's report after each epoch; the model is usable inside the callback.
    public func train(_ train: InteractionDataset,
                      onEpoch: (String, NCFTrainer.EpochReport, Recommender) throws -> Void = { _, _, _ in }) rethrows -> Recommender {
        switch kind {
        case .popularity: return PopularityRecommender(train: train)
        case .gmf, .mlp, .neumf:
            var settings = ncf
            settings.architecture = NCFSettings.Architecture(rawValue: kind.rawValue)!
            var current: (any NCFNetwork)?
            let network = try NCFTrainer.trainModel(settings: settings, train: train.implicit(), onNetwork: { current = $0 }, onEpoch: { stage, report in
                try onEpoch(stage, report, NCFRecommender(current!, name: stage))
            })
            return NCFRecommender(network, name: kind.rawValue)
        case .itemKNN: return ItemKNNRecommender(train: train, settings: neighborhood)
        case .userKNN: return UserKNNRecommender(train: train, settings: neighborhood)
        case .svd:
            let model = BiasedMF(users: train.userCount, items: train.itemCount, settings: svd)
            model.fit(train)
            return model
        case .bpr: return BPRMF(train: train.implicit(), settings: bpr)
        case .als: return WeightedALS(train: train.implicit(), settings: als)
        case .content:
            guard let catalog = train.catalog else { return PopularityRecommender(train: train) }
            return ContentRecommender(train: train, features: ItemFeatures(catalog: catalog), likeThreshold: likeThreshold)
        }
    }
}
