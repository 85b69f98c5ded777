/// Biased matrix factorisation trained by stochastic gradient descent on explicit ratings —
/// the "SVD" of Funk (2006) and Koren, Bell & Volinsky (2009), as Surprise's `SVD` implements it:
///
/// ```
/// r̂_ui = μ + b_u + b_i + q_iᵀ p_u
/// e = r_ui − r̂_ui;  b_u += γ(e − λ b_u);  b_i += γ(e − λ b_i)
/// p_u += γ(e q_i − λ p_u);  q_i += γ(e p_u − λ q_i)
/// ```
/// Predictions are clipped to the rating scale. Also a `Recommender` whose scores are these
/// predicted ratings.
public final class BiasedMF: Recommender {
    /// Hyperparameters. The defaults are tuned on MovieLens-100k (5-fold RMSE 0.909);
    /// `surprise` gives Surprise's defaults (RMSE 0.934, the same as Surprise's).
    public struct Settings: Sendable, Codable, Equatable {
        public var factors = 100
        public var epochs = 40
        public var learningRate: Float = 0.01
        public var regularization: Float = 0.1
        public var initialStandardDeviation: Float = 0.1
        public var seed: UInt64 = 0
        public init() {}

        /// Surprise's `SVD()` defaults: 100 factors, 20 epochs, learning rate 0.005, regularisation 0.02.
        public static var surprise: Settings {
            var settings = Settings()
            settings.epochs = 20
            settings.learningRate = 0.005
            settings.regularization = 0.02
            return settings
        }

        /// Checks every setting; throws `ConfigurationError` naming the first one out of range.
        public func validate() throws {
            try ConfigurationError.check("factors", factors, atLeast: 1)
            try ConfigurationError.check("epochs", epochs, atLeast: 1)
            try ConfigurationError.check("learning rate", learningRate, positive: true)
            try ConfigurationError.check("regularization", regularization, positive: false)
            try ConfigurationError.check("initial standard deviation", initialStandardDeviation, positive: false)
        }
    }

    public let name = "svd"
    public let settings: Settings
    public private(set) var globalMean: Float = 0
    public private(set) var userBias: [Float]
    public private(set) var itemBias: [Float]
    /// `[users × factors]`, row-major.
    public private(set) var userFactors: [Float]
    /// `[items × factors]`, row-major.
    public private(set) var itemFactors: [Float]
    /// The rating scale predictions are clipped to.
    public private(set) var ratingRange: ClosedRange<Float> = 1...5
    public let userCount: Int
    public let itemCount: Int

    /// An untrained model; `fit(_:)` trains it.
    public init(users: Int, items: Int, settings: Settings = Settings()) {
        self.settings = settings
        userCount = users
        itemCount = items
        let rng = RandomGenerator(seed: settings.seed)
        userBias = Array(repeating: 0, count: users)
        itemBias = Array(repeating: 0, count: items)
        userFactors = (0..<(users * settings.factors)).map { _ in rng.normal() * settings.initialStandardDeviation }
        itemFactors = (0..<(items * settings.factors)).map { _ in rng.normal() * settings.initialStandardDeviation }
    }

    /// Trains on `train`'s ratings for `settings.epochs` epochs (shuffled each epoch).
    public func fit(_ train: InteractionDataset, onEpoch: (Int) -> Void = { _ in }) {
        let count = train.count
        guard count > 0 else { return }
        globalMean = train.ratings.reduce(0, +) / Float(count)
        ratingRange = train.ratings.min()!...train.ratings.max()!
        let k = settings.factors, lr = settings.learningRate, reg = settings.regularization
        let rng = RandomGenerator(seed: settings.seed &+ 1)
        let mu = globalMean
        for epoch in 1...max(1, settings.epochs) {
            let order = rng.permutation(count)
            userFactors.withUnsafeMutableBufferPointer { p in
                itemFactors.withUnsafeMutableBufferPointer { q in
                    for row in order {
                        let u = Int(train.userIndices[row]), i = Int(train.itemIndices[row])
                        let pu = p.baseAddress! + u * k, qi = q.baseAddress! + i * k
                        var dot: Float = 0
                        for f in 0..<k { dot += pu[f] * qi[f] }
                        let error = train.ratings[row] - (mu + userBias[u] + itemBias[i] + dot)
                        userBias[u] += lr * (error - reg * userBias[u])
                        itemBias[i] += lr * (error - reg * itemBias[i])
                        for f in 0..<k {
                            let puf = pu[f], qif = qi[f]
                            pu[f] += lr * (error * qif - reg * puf)
                            qi[f] += lr * (error * puf - reg * qif)
                        }
                    }
                }
            }
            onEpoch(epoch)
        }
    }

    /// The predicted rating of `item` by `user`, clipped to the training rating range; unknown
    /// users or items get the biases that are known.
    public func predict(user: Int, item: Int) -> Float {
        var estimate = globalMean
        let knownUser = user >= 0 && user < userCount, knownItem = item >= 0 && item < itemCount
        if knownUser { estimate += userBias[user] }
        if knownItem { estimate += itemBias[item] }
        if knownUser && knownItem {
            let k = settings.factors
            for f in 0..<k { estimate += userFactors[user * k + f] * itemFactors[item * k + f] }
        }
        return min(ratingRange.upperBound, max(ratingRange.lowerBound, estimate))
    }

    /// RMSE and MAE of the predictions on `test`'s ratings.
    ///
    /// - Throws: `RecDataError.tooLittleData` when `test` has no ratings to compare with.
    public func errors(on test: InteractionDataset) throws -> (rmse: Double, mae: Double) {
        guard test.count > 0 else {
            throw RecDataError.tooLittleData(
                problem: "RMSE and MAE need at least one test rating, got none "
                    + "(with leave-one-out, users need at least 2 ratings)")
        }
        let predictions = (0..<test.count).map {
            predict(user: Int(test.userIndices[$0]), item: Int(test.itemIndices[$0]))
        }
        return (
            RankingMetrics.rmse(predictions: predictions, targets: test.ratings),
            RankingMetrics.mae(predictions: predictions, targets: test.ratings)
        )
    }

    /// Predicted ratings, as `predict(user:item:)`: `μ + b_u + b_i + p_uᵀq_i`, clipped to the
    /// training ratings' range.
    public func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>) {
        let k = settings.factors
        for (offset, user) in users.enumerated() {
            let row = scores + offset * itemCount
            for item in 0..<itemCount {
                var s = globalMean + userBias[user] + itemBias[item]
                for f in 0..<k { s += userFactors[user * k + f] * itemFactors[item * k + f] }
                row[item] = min(ratingRange.upperBound, max(ratingRange.lowerBound, s))
            }
        }
    }

    /// A model from saved parameters.
    init(
        settings: Settings, globalMean: Float, userBias: [Float], itemBias: [Float], userFactors: [Float],
        itemFactors: [Float],
        ratingRange: ClosedRange<Float>
    ) {
        self.settings = settings
        self.globalMean = globalMean
        self.userBias = userBias
        self.itemBias = itemBias
        self.userFactors = userFactors
        self.itemFactors = itemFactors
        self.ratingRange = ratingRange
        userCount = userBias.count
        itemCount = itemBias.count
    }
}
