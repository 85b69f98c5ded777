/// The three networks of Neural Collaborative Filtering (He, Liao, Zhang, Nie, Hu & Chua,
/// "Neural Collaborative Filtering", WWW 2017, https://arxiv.org/abs/1708.05031), as in the
/// paper and its reference code: embeddings initialised `N(0, 0.01²)`, a final `Linear(·, 1)`
/// whose sigmoid is the probability that the user prefers the item, trained with log loss.
/// Embedding tables get row-sparse gradients: a step updates only the rows of its batch.
public protocol NCFNetwork: Module {
    /// The number of users and items the network embeds.
    var userCount: Int { get }
    var itemCount: Int { get }
    /// The logits (before the sigmoid) of the pairs `(users[k], items[k])`, shaped `[count]`.
    func logits(users: [Int], items: [Int]) -> Tensor
    /// The logits of every item for each user of `users`, row by row, without recording gradients.
    func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>)
}

/// Generalized Matrix Factorization: `ŷ = σ(hᵀ (p_u ⊙ q_i) + b)`.
public final class GMF: Module, NCFNetwork {
    public let userEmbedding: Embedding
    public let itemEmbedding: Embedding
    public let prediction: Linear

    /// - Parameters:
    ///   - users: the number of users (rows of the user embedding).
    ///   - items: the number of items (rows of the item embedding).
    ///   - factors: the embedding size, i.e. the predictive factors (8 in the paper's default).
    ///   - generator: the source of the initial weights.
    public init(users: Int, items: Int, factors: Int = 8, generator: RandomGenerator = .default) {
        userEmbedding = Embedding(
            count: users, dimension: factors, initialization: .normal(standardDeviation: 0.01), generator: generator)
        itemEmbedding = Embedding(
            count: items, dimension: factors, initialization: .normal(standardDeviation: 0.01), generator: generator)
        prediction = Linear(inputSize: factors, outputSize: 1, generator: generator)
    }

    public var userCount: Int { userEmbedding.count }
    public var itemCount: Int { itemEmbedding.count }

    /// `p_u ⊙ q_i`, shaped `[count, factors]`.
    func features(users: [Int], items: [Int]) -> Tensor { userEmbedding(users) * itemEmbedding(items) }

    public func logits(users: [Int], items: [Int]) -> Tensor {
        prediction(features(users: users, items: items)).reshaped([users.count])
    }

    public func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>) {
        NCFScoring.scoreAll(
            users: users, into: scores, itemCount: itemCount, gmf: (userEmbedding.weight, itemEmbedding.weight),
            mlp: nil, weight: prediction.weight, bias: prediction.bias)
    }
}

/// The MLP of NCF: `ŷ = σ(hᵀ φ_L(…φ_1([p_u; q_i])) + b)` with ReLU layers; `layers[0]` is the size
/// of the concatenated embeddings (each `layers[0] / 2`), the last entry the predictive factors.
public final class NCFMLP: Module, NCFNetwork {
    public let userEmbedding: Embedding
    public let itemEmbedding: Embedding
    public let tower: Sequential
    public let prediction: Linear

    /// - Parameters:
    ///   - users: the number of users (rows of the user embedding).
    ///   - items: the number of items (rows of the item embedding).
    ///   - layers: `[64, 32, 16, 8]` in the paper's default: embeddings of 32 each, then 32, 16, 8.
    ///   - generator: the source of the initial weights.
    public init(users: Int, items: Int, layers: [Int] = [64, 32, 16, 8], generator: RandomGenerator = .default) {
        precondition(
            layers.count >= 2 && layers[0] % 2 == 0,
            "NCFMLP: layers need an even input size and at least one hidden layer, got \(layers).")
        userEmbedding = Embedding(
            count: users, dimension: layers[0] / 2, initialization: .normal(standardDeviation: 0.01),
            generator: generator)
        itemEmbedding = Embedding(
            count: items, dimension: layers[0] / 2, initialization: .normal(standardDeviation: 0.01),
            generator: generator)
        tower = NCFMLP.makeTower(layers, generator: generator)
        prediction = Linear(inputSize: layers.last!, outputSize: 1, generator: generator)
    }

    static func makeTower(_ layers: [Int], generator: RandomGenerator) -> Sequential {
        Sequential(
            zip(layers, layers.dropFirst()).flatMap { input, output -> [any Layer] in
                [
                    Linear(
                        inputSize: input, outputSize: output, weightInitialization: .xavierUniform(),
                        generator: generator), ReLU()
                ]
            })
    }

    public var userCount: Int { userEmbedding.count }
    public var itemCount: Int { itemEmbedding.count }

    /// The last hidden layer, `[count, layers.last]`.
    func features(users: [Int], items: [Int]) -> Tensor {
        tower(Tensor.concatenated([userEmbedding(users), itemEmbedding(items)], alongAxis: 1))
    }

    public func logits(users: [Int], items: [Int]) -> Tensor {
        prediction(features(users: users, items: items)).reshaped([users.count])
    }

    public func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>) {
        NCFScoring.scoreAll(
            users: users, into: scores, itemCount: itemCount, gmf: nil,
            mlp: (userEmbedding.weight, itemEmbedding.weight, tower.linearLayers),
            weight: prediction.weight, bias: prediction.bias)
    }
}

/// NeuMF: GMF and the MLP side by side with their own embeddings, fused by one final layer over
/// `[p_u ⊙ q_i ; MLP output]`.
public final class NeuMF: Module, NCFNetwork {
    public let gmfUserEmbedding: Embedding
    public let gmfItemEmbedding: Embedding
    public let mlpUserEmbedding: Embedding
    public let mlpItemEmbedding: Embedding
    public let tower: Sequential
    public let prediction: Linear

    /// - Parameters:
    ///   - users: the number of users (rows of each user embedding).
    ///   - items: the number of items (rows of each item embedding).
    ///   - factors: the GMF embedding size (8 by default).
    ///   - layers: the MLP sizes, `[64, 32, 16, 8]` by default.
    ///   - generator: the source of the initial weights.
    public init(
        users: Int, items: Int, factors: Int = 8, layers: [Int] = [64, 32, 16, 8], generator: RandomGenerator = .default
    ) {
        precondition(
            layers.count >= 2 && layers[0] % 2 == 0,
            "NeuMF: layers need an even input size and at least one hidden layer, got \(layers).")
        let normal = Initialization.normal(standardDeviation: 0.01)
        gmfUserEmbedding = Embedding(count: users, dimension: factors, initialization: normal, generator: generator)
        gmfItemEmbedding = Embedding(count: items, dimension: factors, initialization: normal, generator: generator)
        mlpUserEmbedding = Embedding(
            count: users, dimension: layers[0] / 2, initialization: normal, generator: generator)
        mlpItemEmbedding = Embedding(
            count: items, dimension: layers[0] / 2, initialization: normal, generator: generator)
        tower = NCFMLP.makeTower(layers, generator: generator)
        prediction = Linear(inputSize: factors + layers.last!, outputSize: 1, generator: generator)
    }

    /// NeuMF initialised from pretrained GMF and MLP models (the paper's NeuMF-pretrain): their
    /// embeddings and tower are copied, and the final layer is `[α h_GMF ; (1 − α) h_MLP]` with
    /// bias `α b_GMF + (1 − α) b_MLP` (α = 0.5 in the paper).
    public convenience init(pretrainedGMF gmf: GMF, mlp: NCFMLP, alpha: Float = 0.5) {
        let layers = [mlp.userEmbedding.dimension * 2] + mlp.tower.linearLayers.map(\.outputSize)
        self.init(users: gmf.userCount, items: gmf.itemCount, factors: gmf.userEmbedding.dimension, layers: layers)
        withoutGradients {
            gmfUserEmbedding.weight.assign(gmf.userEmbedding.weight)
            gmfItemEmbedding.weight.assign(gmf.itemEmbedding.weight)
            mlpUserEmbedding.weight.assign(mlp.userEmbedding.weight)
            mlpItemEmbedding.weight.assign(mlp.itemEmbedding.weight)
            for (target, source) in zip(tower.linearLayers, mlp.tower.linearLayers) {
                target.weight.assign(source.weight)
                if let bias = target.bias, let sourceBias = source.bias { bias.assign(sourceBias) }
            }
            prediction.weight.assign(
                Tensor.concatenated([gmf.prediction.weight * alpha, mlp.prediction.weight * (1 - alpha)], alongAxis: 1))
            if let bias = prediction.bias, let gmfBias = gmf.prediction.bias, let mlpBias = mlp.prediction.bias {
                bias.assign(gmfBias * alpha + mlpBias * (1 - alpha))
            }
        }
    }

    public var userCount: Int { gmfUserEmbedding.count }
    public var itemCount: Int { gmfItemEmbedding.count }

    public func logits(users: [Int], items: [Int]) -> Tensor {
        let gmf = gmfUserEmbedding(users) * gmfItemEmbedding(items)
        let mlp = tower(Tensor.concatenated([mlpUserEmbedding(users), mlpItemEmbedding(items)], alongAxis: 1))
        return prediction(Tensor.concatenated([gmf, mlp], alongAxis: 1)).reshaped([users.count])
    }

    public func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>) {
        NCFScoring.scoreAll(
            users: users, into: scores, itemCount: itemCount,
            gmf: (gmfUserEmbedding.weight, gmfItemEmbedding.weight),
            mlp: (mlpUserEmbedding.weight, mlpItemEmbedding.weight, tower.linearLayers),
            weight: prediction.weight, bias: prediction.bias)
    }
}

extension Sequential {
    /// The `Linear` layers, in order.
    var linearLayers: [Linear] { layers.compactMap { $0 as? Linear } }
}
