import Foundation

/// The settings of an NCF model and its training, with the paper's defaults.
public struct NCFSettings: Sendable, Codable, Equatable {
    /// Which network.
    public enum Architecture: String, Sendable, Codable, CaseIterable {
        case gmf, mlp, neumf
    }

    public var architecture: Architecture = .neumf
    /// GMF predictive factors (embedding size).
    public var factors = 8
    /// MLP sizes: `layers[0]` is the concatenated embedding size, the last the MLP's factors.
    public var layers = [64, 32, 16, 8]
    /// Sampled negatives per positive in each epoch.
    public var negatives = 4
    public var learningRate: Float = 0.001
    public var batchSize = 256
    public var epochs = 20
    /// For NeuMF: first train GMF and MLP for `epochs` each, then initialise NeuMF from them.
    public var pretrain = false
    /// The weight of GMF in the pretrained fusion layer.
    public var alpha: Float = 0.5
    public var seed: UInt64 = 0

    public init() {}

    /// A freshly initialised network for `users` × `items`.
    public func makeNetwork(users: Int, items: Int) -> any NCFNetwork {
        let rng = RandomGenerator(seed: seed)
        switch architecture {
        case .gmf: return GMF(users: users, items: items, factors: factors, generator: rng)
        case .mlp: return NCFMLP(users: users, items: items, layers: layers, generator: rng)
        case .neumf: return NeuMF(users: users, items: items, factors: factors, layers: layers, generator: rng)
        }
    }
}

/// Trains an NCF network on implicit feedback: each epoch pairs every training interaction
/// (label 1) with `negatives` items the user never interacted with (label 0), shuffles, and
/// minimises the log loss with Adam in mini-batches, as in the paper.
public final class NCFTrainer {
    /// What one epoch did.
    public struct EpochReport: Sendable {
        public var epoch: Int
        public var loss: Double
        public var seconds: Double
        public var samples: Int
    }

    public let settings: NCFSettings
    let positives: UserItemMatrix
    let sampler: NegativeSampler
    let generator: RandomGenerator

    /// - Parameter train: the training interactions (every row counts as a positive).
    public init(settings: NCFSettings, train: InteractionDataset) {
        self.settings = settings
        positives = UserItemMatrix(train)
        sampler = NegativeSampler(seen: positives)
        generator = RandomGenerator(seed: settings.seed &+ 1)
    }

    /// The (user, item, label) triples of one epoch, shuffled.
    public func epochSamples() -> (users: [Int], items: [Int], labels: [Float]) {
        let perPositive = 1 + settings.negatives
        let total = positives.entryCount * perPositive
        var users = [Int](), items = [Int](), labels = [Float]()
        users.reserveCapacity(total); items.reserveCapacity(total); labels.reserveCapacity(total)
        for user in 0..<positives.userCount {
            for item in positives.items(of: user) {
                users.append(user); items.append(Int(item)); labels.append(1)
                sampler.appendSamples(for: user, count: settings.negatives, generator: generator, to: &items)
                for _ in 0..<settings.negatives { users.append(user); labels.append(0) }
            }
        }
        let order = generator.permutation(total)
        return (order.map { users[$0] }, order.map { items[$0] }, order.map { labels[$0] })
    }

    /// Trains `network` for `epochs` (default: the settings'), calling `onEpoch` after each.
    public func fit(_ network: any NCFNetwork, epochs: Int? = nil, onStep: ((Int, Int) -> Void)? = nil,
                    onEpoch: (EpochReport) throws -> Void = { _ in }) rethrows {
        let optimizer = Adam(network.parameters(), learningRate: settings.learningRate)
        network.train()
        for epoch in 1...max(1, epochs ?? settings.epochs) {
            let start = DispatchTime.now().uptimeNanoseconds
            let samples = epochSamples()
            var lossSum = 0.0
            let batch = settings.batchSize
            let steps = (samples.users.count + batch - 1) / batch
            for step in 0..<steps {
                let range = (step * batch)..<min(samples.users.count, (step + 1) * batch)
                let loss = self.step(network, optimizer: optimizer, users: Array(samples.users[range]),
                                     items: Array(samples.items[range]), labels: Array(samples.labels[range]))
                lossSum += Double(loss) * Double(range.count)
                onStep?(step + 1, steps)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            try onEpoch(EpochReport(epoch: epoch, loss: lossSum / Double(max(samples.users.count, 1)), seconds: seconds,
                                    samples: samples.users.count))
        }
        network.eval()
    }

    /// One Adam step on a batch; returns the mean log loss.
    @discardableResult
    public func step(_ network: any NCFNetwork, optimizer: Optimizer, users: [Int], items: [Int], labels: [Float]) -> Float {
        optimizer.zeroGradients()
        let loss = binaryCrossEntropy(logits: network.logits(users: users, items: items), targets: Tensor(labels))
        loss.backward()
        optimizer.step()
        return loss.scalar
    }

    /// A trained network as the settings ask: NeuMF with pretraining trains GMF and MLP first.
    /// `onNetwork` receives each network before it trains (GMF, MLP, then NeuMF when pretraining).
    public func trainModel(onNetwork: (any NCFNetwork) -> Void = { _ in },
                           onEpoch: (String, EpochReport) throws -> Void = { _, _ in }) rethrows -> any NCFNetwork {
        let users = positives.userCount, items = positives.itemCount
        if settings.architecture == .neumf && settings.pretrain {
            var gmfSettings = settings, mlpSettings = settings
            gmfSettings.architecture = .gmf
            mlpSettings.architecture = .mlp
            let gmf = gmfSettings.makeNetwork(users: users, items: items) as! GMF
            let mlp = mlpSettings.makeNetwork(users: users, items: items) as! NCFMLP
            onNetwork(gmf)
            try fit(gmf, onEpoch: { try onEpoch("gmf", $0) })
            onNetwork(mlp)
            try fit(mlp, onEpoch: { try onEpoch("mlp", $0) })
            let neumf = NeuMF(pretrainedGMF: gmf, mlp: mlp, alpha: settings.alpha)
            onNetwork(neumf)
            try fit(neumf, onEpoch: { try onEpoch("neumf", $0) })
            return neumf
        }
        let network = settings.makeNetwork(users: users, items: items)
        onNetwork(network)
        try fit(network, onEpoch: { try onEpoch(self.settings.architecture.rawValue, $0) })
        return network
    }
}
