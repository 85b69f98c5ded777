import Foundation

/// The settings of an NCF model and its training. The defaults are the paper's (4 negatives,
/// MLP 64→32→16→8, Adam at 0.001, batch 256) except two things that matter on small data such
/// as MovieLens-100k, where 20 epochs of the paper's 8-factor GMF under-fit while the MLP
/// over-fits: GMF embeddings of 32, and the epochs chosen on a validation item per user (at
/// most 40, stopping 3 epochs after the best validation NDCG), then training again on all the
/// training data for that many epochs; the model is the average of the last 3 epochs' parameters.
/// `NCFSettings.paper` is the paper's recipe exactly.
public struct NCFSettings: Sendable, Codable, Equatable {
    /// Which network.
    public enum Architecture: String, Sendable, Codable, CaseIterable {
        case gmf, mlp, neumf
    }

    public var architecture: Architecture = .neumf
    /// GMF predictive factors (embedding size): 32 (the paper: 8, which reached HR@10 .581 and
    /// NDCG@10 .312 on ml-100k against .59–.60 and .33 with 32).
    public var factors = 32
    /// MLP sizes: `layers[0]` is the concatenated embedding size, the last the MLP's factors.
    public var layers = [64, 32, 16, 8]
    /// Sampled negatives per positive in each epoch.
    public var negatives = 4
    public var learningRate: Float = 0.001
    public var batchSize = 256
    /// Epochs per stage; with `validation`, the most a stage may run.
    public var epochs = 40
    /// For NeuMF: first train GMF and MLP for `epochs` each, then initialise NeuMF from them.
    public var pretrain = false
    /// The weight of GMF in the pretrained fusion layer.
    public var alpha: Float = 0.5
    /// Adam's learning rate for NeuMF after pretraining (`nil`: `learningRate`).
    public var fineTuneLearningRate: Float?
    /// L2 penalty added to the gradients (Adam's weight decay); embedding rows are penalised only
    /// in the steps whose batch uses them, so frequent users and items are held closer to zero.
    public var weightDecay: Float = 0
    /// Early stopping without looking at the test set: each user's latest training interaction
    /// becomes a validation item, HR/NDCG on it (1 + 99 sampled items) is measured after every
    /// epoch, training stops after `patience` epochs without a better validation NDCG, and the
    /// best epoch's parameters are kept. `epochs` is then the most epochs a stage may run.
    public var validation = true
    /// Epochs without a better validation NDCG before stopping.
    public var patience = 3
    /// With `validation`: train again on all the training interactions (validation items
    /// included) for the number of epochs the validation chose, instead of keeping the model
    /// that never saw the validation items.
    public var refit = true
    /// Tail averaging: the model after each epoch is the mean of the parameters reached at the
    /// end of the last `averagedEpochs` epochs (1: no averaging). Validation and the final model
    /// both use the average, which smooths the epoch-to-epoch noise of small data: 3 lifts
    /// NeuMF's HR@10 on ml-100k from .599 to .604 (mean of 5–6 seeds).
    public var averagedEpochs = 3
    public var seed: UInt64 = 0

    public init() {}

    /// Checks every setting.
    ///
    /// - Throws: `ConfigurationError` naming the first setting out of range, its value and the range.
    public func validate() throws {
        try ConfigurationError.check("factors", factors, atLeast: 1)
        try ConfigurationError.require(
            layers.count >= 2 && layers.allSatisfy { $0 > 0 } && layers[0] % 2 == 0, "layers",
            layers.map(String.init).joined(separator: ","),
            allowed: "at least two positive sizes, the first even (e.g. 64,32,16,8)")
        try ConfigurationError.check("negatives", negatives, atLeast: 1)
        try ConfigurationError.check("learning rate", learningRate, positive: true)
        try ConfigurationError.check("batch size", batchSize, atLeast: 1)
        try ConfigurationError.check("epochs", epochs, atLeast: 1)
        try ConfigurationError.check("alpha", alpha, in: 0...1)
        if let fineTuneLearningRate {
            try ConfigurationError.check("fine-tune learning rate", fineTuneLearningRate, positive: true)
        }
        try ConfigurationError.check("weight decay", weightDecay, positive: false)
        try ConfigurationError.check("patience", patience, atLeast: 1)
        try ConfigurationError.check("averaged epochs", averagedEpochs, atLeast: 1)
    }

    /// Throws unless the network for `users` × `items` fits in memory (its parameters, Adam's two
    /// moments and a snapshot, 4 bytes each, in at most half of the machine's memory).
    public func checkSize(users: Int, items: Int) throws {
        let (perRow, overflow0) = (architecture == .mlp ? 0 : factors).addingReportingOverflow(
            architecture == .gmf ? 0 : layers[0] / 2)
        let (rows, overflow1) = users.addingReportingOverflow(items)
        let (values, overflow2) = rows.multipliedReportingOverflow(by: perRow)
        let limit = SizeLimits.memoryBudget(bytesPerValue: 16)
        try ConfigurationError.require(
            !overflow0 && !overflow1 && !overflow2 && values <= limit, "factors",
            "\(factors) (layers \(layers.map(String.init).joined(separator: ","))) for \(users) users and \(items) items",
            allowed: "small enough for the embeddings to fit in memory (at most \(limit) values)")
    }

    /// Throws unless one epoch's samples (each of `interactions` positives with its `negatives`)
    /// fit in memory.
    public func checkEpochSize(interactions: Int) throws {
        let (perPositive, overflow1) = negatives.addingReportingOverflow(1)
        let (samples, overflow2) = max(interactions, 1).multipliedReportingOverflow(by: perPositive)
        let limit = SizeLimits.memoryBudget(bytesPerValue: 24) // user, item and label of every sample, and copies
        try ConfigurationError.require(
            !overflow1 && !overflow2 && samples <= limit, "negatives", negatives,
            allowed:
                "at most \(limit / max(interactions, 1) - 1) for \(interactions) interactions (one epoch's samples must fit in memory)"
        )
    }

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
        /// HR@10 and NDCG@10 on the validation items, when training selects its epoch by them.
        public var validationHitRate: Double?
        public var validationNDCG: Double?
    }

    public let settings: NCFSettings
    let positives: UserItemMatrix
    let sampler: NegativeSampler
    let generator: RandomGenerator

    /// - Parameters:
    ///   - settings: the network and training settings; they are validated here.
    ///   - train: the training interactions (every row counts as a positive).
    /// - Throws: `ConfigurationError` for a setting out of range or a network too large for memory;
    ///   `RecDataError.tooLittleData` when there is nothing to learn from (no interactions, or a
    ///   user who has interacted with every item, so no negative can be sampled).
    public init(settings: NCFSettings, train: InteractionDataset) throws {
        try settings.validate()
        try settings.checkSize(users: train.userCount, items: train.itemCount)
        try settings.checkEpochSize(interactions: train.count)
        guard train.count > 0 else {
            throw RecDataError.tooLittleData(problem: "NCF training needs at least one interaction, got none")
        }
        let positives = UserItemMatrix(train)
        if let user = (0..<positives.userCount).first(where: { positives.count(of: $0) >= positives.itemCount }) {
            throw RecDataError.tooLittleData(
                problem: "user \(train.users[user]) has interacted with all \(positives.itemCount) item(s), "
                    + "so no negative item can be sampled; NCF needs at least one unseen item per user")
        }
        self.settings = settings
        self.positives = positives
        sampler = NegativeSampler(seen: positives)
        generator = RandomGenerator(seed: settings.seed &+ 1)
    }

    /// The (user, item, label) triples of one epoch, shuffled.
    public func epochSamples() -> (users: [Int], items: [Int], labels: [Float]) {
        let perPositive = 1 + settings.negatives
        let total = positives.entryCount * perPositive
        var users = [Int](), items = [Int](), labels = [Float]()
        users.reserveCapacity(total)
        items.reserveCapacity(total)
        labels.reserveCapacity(total)
        for user in 0..<positives.userCount {
            for item in positives.items(of: user) {
                users.append(user)
                items.append(Int(item))
                labels.append(1)
                sampler.appendSamples(for: user, count: settings.negatives, generator: generator, to: &items)
                for _ in 0..<settings.negatives {
                    users.append(user)
                    labels.append(0)
                }
            }
        }
        let order = generator.permutation(total)
        return (order.map { users[$0] }, order.map { items[$0] }, order.map { labels[$0] })
    }

    /// Trains `network` for `epochs` (default: the settings'), calling `onEpoch` after each.
    ///
    /// - Throws: `TrainingDivergedError` when the loss or a parameter stops being finite, or what `onEpoch` throws.
    public func fit(
        _ network: any NCFNetwork, epochs: Int? = nil, onStep: ((Int, Int) -> Void)? = nil,
        onEpoch: (EpochReport) throws -> Void = { _ in }
    ) throws {
        let optimizer = makeOptimizer(network, learningRate: settings.learningRate)
        network.train()
        for epoch in 1...max(1, epochs ?? settings.epochs) {
            try onEpoch(runEpoch(epoch, network, optimizer: optimizer, onStep: onStep))
        }
        network.eval()
    }

    /// Adam over `network`'s parameters with the settings' weight decay.
    func makeOptimizer(_ network: any NCFNetwork, learningRate: Float) -> Adam {
        Adam(network.parameters(), learningRate: learningRate, weightDecay: settings.weightDecay)
    }

    /// One pass over freshly sampled and shuffled samples; stops with `TrainingDivergedError` at
    /// the first step whose loss is not finite, or at the end when a parameter is not.
    func runEpoch(_ epoch: Int, _ network: any NCFNetwork, optimizer: Optimizer, onStep: ((Int, Int) -> Void)?) throws
        -> EpochReport
    {
        let start = DispatchTime.now().uptimeNanoseconds
        let samples = epochSamples()
        var lossSum = 0.0
        let batch = settings.batchSize
        // no overflow for huge batches
        let steps = samples.users.count / batch + (samples.users.count % batch == 0 ? 0 : 1)
        for step in 0..<steps {
            let range = (step * batch)..<(step * batch + min(batch, samples.users.count - step * batch))
            let loss = self.step(
                network, optimizer: optimizer, users: Array(samples.users[range]),
                items: Array(samples.items[range]), labels: Array(samples.labels[range]))
            guard loss.isFinite else {
                throw TrainingDivergedError(
                    what: "NCF training", position: "epoch \(epoch), step \(step + 1)", detail: "loss \(loss)")
            }
            lossSum += Double(loss) * Double(range.count)
            onStep?(step + 1, steps)
        }
        if let bad = network.namedParameters().first(where: { !$0.tensor.scalars.allSatisfy(\.isFinite) }) {
            throw TrainingDivergedError(
                what: "NCF training", position: "the end of epoch \(epoch)", detail: "\(bad.name) is not finite")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return EpochReport(
            epoch: epoch, loss: lossSum / Double(max(samples.users.count, 1)), seconds: seconds,
            samples: samples.users.count)
    }

    /// One Adam step on a batch; returns the mean log loss.
    @discardableResult
    public func step(_ network: any NCFNetwork, optimizer: Optimizer, users: [Int], items: [Int], labels: [Float])
        -> Float
    {
        optimizer.zeroGradients()
        let loss = binaryCrossEntropy(logits: network.logits(users: users, items: items), targets: Tensor(labels))
        loss.backward()
        optimizer.step()
        return loss.scalar
    }

    /// A trained network as the settings ask: NeuMF with pretraining trains GMF and MLP first.
    /// `onNetwork` receives each network before it trains (GMF, MLP, then NeuMF when pretraining).
    /// With `validation`, each stage keeps its best epoch by validation NDCG (see
    /// `NCFSettings.validation`); `stageEpochs` fixes a stage's epochs by name instead.
    /// Returns the network and the epochs each stage kept.
    public func trainModel(
        validation: SampledRankingEvaluation?, stageEpochs: [String: Int] = [:],
        onNetwork: (any NCFNetwork) -> Void = { _ in },
        onEpoch: (String, EpochReport) throws -> Void = { _, _ in }
    ) throws -> (network: any NCFNetwork, epochs: [String: Int]) {
        let users = positives.userCount, items = positives.itemCount
        var kept: [String: Int] = [:]
        let stageValidation = { (name: String) in stageEpochs[name] == nil ? validation : nil }
        if settings.architecture == .neumf && settings.pretrain {
            var gmfSettings = settings, mlpSettings = settings
            gmfSettings.architecture = .gmf
            mlpSettings.architecture = .mlp
            let gmf = gmfSettings.makeNetwork(users: users, items: items) as! GMF
            let mlp = mlpSettings.makeNetwork(users: users, items: items) as! NCFMLP
            onNetwork(gmf)
            kept["gmf"] = try fitStage(
                gmf, epochs: stageEpochs["gmf"] ?? settings.epochs, learningRate: settings.learningRate,
                validation: stageValidation("gmf"), onEpoch: { try onEpoch("gmf", $0) })
            onNetwork(mlp)
            kept["mlp"] = try fitStage(
                mlp, epochs: stageEpochs["mlp"] ?? settings.epochs, learningRate: settings.learningRate,
                validation: stageValidation("mlp"), onEpoch: { try onEpoch("mlp", $0) })
            let neumf = NeuMF(pretrainedGMF: gmf, mlp: mlp, alpha: settings.alpha)
            onNetwork(neumf)
            kept["neumf"] = try fitStage(
                neumf, epochs: stageEpochs["neumf"] ?? settings.epochs,
                learningRate: settings.fineTuneLearningRate ?? settings.learningRate,
                validation: stageValidation("neumf"), onEpoch: { try onEpoch("neumf", $0) })
            return (neumf, kept)
        }
        let network = settings.makeNetwork(users: users, items: items)
        let name = settings.architecture.rawValue
        onNetwork(network)
        kept[name] = try fitStage(
            network, epochs: stageEpochs[name] ?? settings.epochs, learningRate: settings.learningRate,
            validation: stageValidation(name), onEpoch: { try onEpoch(name, $0) })
        return (network, kept)
    }

    /// `trainModel(validation: nil)`'s network.
    public func trainModel(
        onNetwork: (any NCFNetwork) -> Void = { _ in },
        onEpoch: (String, EpochReport) throws -> Void = { _, _ in }
    ) throws -> any NCFNetwork {
        try trainModel(validation: nil, onNetwork: onNetwork, onEpoch: onEpoch).network
    }
}
