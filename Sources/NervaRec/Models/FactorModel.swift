import Foundation

/// A recommender whose score is a dot product of learned factors plus an item bias,
/// `score(u, i) = p_uᵀ q_i + b_i`; all users are scored with one matrix product.
public class FactorRecommender: Recommender {
    public let name: String
    /// `[users × factors]`.
    public var userFactors: [Float]
    /// `[items × factors]`.
    public var itemFactors: [Float]
    /// One per item (zeros when the model has none).
    public var itemBias: [Float]
    public let factors: Int
    public let userCount: Int
    public let itemCount: Int

    init(
        name: String, users: Int, items: Int, factors: Int, userFactors: [Float], itemFactors: [Float],
        itemBias: [Float]? = nil
    ) {
        self.name = name
        self.factors = factors
        userCount = users
        itemCount = items
        self.userFactors = userFactors
        self.itemFactors = itemFactors
        self.itemBias = itemBias ?? Array(repeating: 0, count: items)
    }

    public func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>) {
        let k = factors
        let p = Tensor(Array(userFactors[(users.lowerBound * k)..<(users.upperBound * k)]), shape: [users.count, k])
        let q = Tensor(itemFactors, shape: [itemCount, k])
        let product = withoutGradients { p.matmul(q, transposingOther: true) + Tensor(itemBias, shape: [1, itemCount]) }
        product.withUnsafeBufferPointer { scores.update(from: $0.baseAddress!, count: users.count * itemCount) }
    }
}

/// Bayesian Personalized Ranking (Rendle et al., UAI 2009) with matrix factorisation: SGD on
/// sampled triples (u, i seen, j unseen) maximising `ln σ(x̂_ui − x̂_uj)` with L2 regularisation.
public final class BPRMF: FactorRecommender {
    public struct Settings: Sendable, Codable, Equatable {
        public var factors = 64
        public var epochs = 30
        public var learningRate: Float = 0.05
        public var regularization: Float = 0.0025
        public var seed: UInt64 = 0
        public init() {}

        /// Checks every setting; throws `ConfigurationError` naming the first one out of range.
        public func validate() throws {
            try ConfigurationError.check("factors", factors, atLeast: 1)
            try ConfigurationError.check("epochs", epochs, atLeast: 1)
            try ConfigurationError.check("learning rate", learningRate, positive: true)
            try ConfigurationError.check("regularization", regularization, positive: false)
        }
    }

    public let settings: Settings

    /// Trains on `train` (every row a positive); each epoch draws as many triples as rows.
    public init(train: InteractionDataset, settings: Settings = Settings()) {
        self.settings = settings
        let k = settings.factors, rng = RandomGenerator(seed: settings.seed)
        let users = train.userCount, items = train.itemCount
        var p = (0..<(users * k)).map { _ in rng.normal() * 0.1 }
        var q = (0..<(items * k)).map { _ in rng.normal() * 0.1 }
        var bias = [Float](repeating: 0, count: items)
        let seen = UserItemMatrix(train)
        let lr = settings.learningRate, reg = settings.regularization
        for _ in 0..<settings.epochs {
            for _ in 0..<seen.entryCount {
                let entry = rng.integer(below: seen.entryCount)
                var u = 0, high = users
                while u < high {
                    let m = (u + high) / 2
                    if seen.rowStart[m + 1] <= entry { u = m + 1 } else { high = m }
                }
                let i = Int(seen.columns[entry])
                guard seen.count(of: u) < items else { continue }
                var j: Int
                repeat { j = rng.integer(below: items) } while seen.contains(user: u, item: j)
                p.withUnsafeMutableBufferPointer { pb in
                    q.withUnsafeMutableBufferPointer { qb in
                        let pu = pb.baseAddress! + u * k, qi = qb.baseAddress! + i * k, qj = qb.baseAddress! + j * k
                        var x = bias[i] - bias[j]
                        for f in 0..<k { x += pu[f] * (qi[f] - qj[f]) }
                        let g = 1 / (1 + Float.exp(x)) // σ(−x)
                        bias[i] += lr * (g - reg * bias[i])
                        bias[j] += lr * (-g - reg * bias[j])
                        for f in 0..<k {
                            let puf = pu[f], qif = qi[f], qjf = qj[f]
                            pu[f] += lr * (g * (qif - qjf) - reg * puf)
                            qi[f] += lr * (g * puf - reg * qif)
                            qj[f] += lr * (-g * puf - reg * qjf)
                        }
                    }
                }
            }
        }
        super.init(name: "bpr", users: users, items: items, factors: k, userFactors: p, itemFactors: q, itemBias: bias)
    }
}

extension Float {
    static func exp(_ x: Float) -> Float { Float(Foundation.exp(Double(x))) }
}
