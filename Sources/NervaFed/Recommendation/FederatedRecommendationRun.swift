import Foundation
import NervaData
import NervaNN
import NervaRec

/// Federated NCF over simulated users written into a run folder: every user is a participant
/// holding its interactions and its user embedding; rounds with progress; HR@10 / NDCG@10 per
/// round (each user ranks its held-out item, NCF protocol); bytes each participant sends; the
/// final shared weights. `nerva fed recommend` runs it; every setting has the library's default.
public struct FederatedRecommendationRun: Sendable {
    /// Where the interactions come from.
    public enum DataSource: Equatable, Sendable {
        /// NervaRec's planted synthetic data (`users × items`).
        case planted(users: Int, items: Int)
        /// A MovieLens folder as published (ml-100k, ml-1m, …).
        case movieLens(String)
    }

    /// The interactions (default: planted data of MovieLens-100k's size).
    public var data: DataSource = .planted(users: 943, items: 1682)
    /// The NCF architecture.
    public var architecture: NCFSettings.Architecture = .neumf
    /// GMF predictive factors.
    public var factors = 8
    /// MLP sizes (the first is the concatenated embedding size); NCF's default tower.
    public var layers = NCFSettings().layers
    /// Sampled negatives per positive in each local epoch; NCF's default.
    public var negatives = NCFSettings().negatives
    /// Epochs of the participants' user-embedding refit (0: off).
    public var refitEpochs = 1
    /// Communication rounds.
    public var rounds = 30
    /// `C`: the share of users that train each round.
    public var fraction = 1.0
    /// `E`: local epochs per round.
    public var localEpochs = 3
    /// The most local epochs a participant accepts (each epoch's samples are drawn before training).
    public static let maximumLocalEpochs = 10_000
    /// `B`: local batch size.
    public var batchSize = 64
    /// The local Adam learning rate.
    public var learningRate: Float = 0.05
    /// FedProx's `μ`: the participants add `μ/2·‖w − w_global‖²` to their local loss (0: FedAvg).
    public var mu: Float = 0
    /// DP-FedAvg around the row-weighted FedAvg when set.
    public var privacy: DifferentialPrivacy?
    /// `δ` of the reported `(ε, δ)`.
    public var delta = 1e-5
    /// Threads training users at once (`nil`: one per core).
    public var threads: Int?
    /// Run the federation over HTTP on loopback: a `FederationServer` and one `FederationClient`
    /// per user, instead of the in-process simulation.
    public var overHTTP = false
    /// Run every round under secure aggregation (in process or, with `overHTTP`, one task per
    /// step over HTTP): the server sees sums only.
    public var secureAggregation = false
    /// How the server applies the averaged update.
    public enum ServerUpdate: String, CaseIterable, Sendable { case average, momentum, adam }
    /// How the server applies the averaged update.
    public var serverUpdate: ServerUpdate = .average
    /// The server's learning rate (`nil`: `ServerOptimizer`'s default for `serverUpdate`).
    public var serverLearningRate: Float?
    /// The participants' learning rate is multiplied by this every round (1: constant).
    public var learningRateDecay: Float = 1
    /// Seeds the data, the models, the sampling and the noise.
    public var seed: UInt64 = 0

    public init() {}

    /// The server optimiser of `serverUpdate` with `serverLearningRate`.
    public var serverOptimizer: ServerOptimizer {
        switch serverUpdate {
        case .average: serverLearningRate.map { .average(learningRate: $0) } ?? .average()
        case .momentum: serverLearningRate.map { .momentum(learningRate: $0) } ?? .momentum()
        case .adam: serverLearningRate.map { .adam(learningRate: $0) } ?? .adam()
        }
    }

    /// The model for a catalogue of `itemCount` items.
    public var model: (Int) -> FederatedNCFModel {
        {
            FederatedNCFModel(
                architecture: architecture, itemCount: $0, factors: factors, layers: layers, negatives: negatives,
                refitEpochs: refitEpochs)
        }
    }

    /// Checks every setting.
    ///
    /// - Throws: `ConfigurationError` naming the first field out of range.
    public func validate() throws {
        if case let .planted(users, items) = data {
            // MovieLens-25M, the largest published, has 162,541 users and 62,423 movies.
            try ConfigurationError.check("users", users, in: 2...200_000)
            try ConfigurationError.check("items", items, in: 32...100_000)
        }
        try ConfigurationError.check("factors", factors, atLeast: 1)
        try ConfigurationError.require(
            layers.count >= 2 && layers.allSatisfy { $0 > 0 } && layers[0] % 2 == 0, "layers", layers,
            allowed: "at least two positive sizes with an even first one")
        try ConfigurationError.check("negatives", negatives, atLeast: 1)
        try ConfigurationError.check("refit epochs", refitEpochs, atLeast: 0)
        try ConfigurationError.require(refitEpochs <= 10_000, "refit epochs", refitEpochs, allowed: "at most 10000")
        try ConfigurationError.check("rounds", rounds, atLeast: 1)
        try ConfigurationError.require(fraction > 0 && fraction <= 1, "fraction", fraction, allowed: "in (0, 1]")
        try ConfigurationError.check("local epochs", localEpochs, atLeast: 1)
        try ConfigurationError.require(
            localEpochs <= Self.maximumLocalEpochs, "local epochs", localEpochs,
            allowed: "at most \(Self.maximumLocalEpochs)")
        try ConfigurationError.check("batch size", batchSize, atLeast: 1)
        try ConfigurationError.check("learning rate", learningRate, positive: true)
        try ConfigurationError.check("mu", mu, positive: false)
        if let privacy {
            try DifferentialPrivacy.validate(
                clippingNorm: privacy.clippingNorm, noiseMultiplier: privacy.noiseMultiplier)
        }
        try ConfigurationError.require(delta > 0 && delta < 1, "delta", delta, allowed: "in (0, 1)")
        if let threads { try ConfigurationError.check("threads", threads, atLeast: 1) }
        try ConfigurationError.require(
            learningRateDecay > 0 && learningRateDecay <= 1, "learning-rate decay", learningRateDecay,
            allowed: "in (0, 1]")
        if let serverLearningRate {
            try ConfigurationError.check("server learning rate", serverLearningRate, positive: true)
        }
    }

    /// The settings as the report's table.
    public var settings: [(String, String)] {
        let source =
            switch data {
            case let .planted(users, items): "planted synthetic (\(users) users × \(items) items)"
            case let .movieLens(path): path
            }
        return [
            ("data", source), ("model", architecture.rawValue),
            ("factors / layers", "\(factors) / \(layers.map(String.init).joined(separator: "-"))"),
            ("negatives per positive", "\(negatives)"), ("user-embedding refit epochs", "\(refitEpochs)"),
            ("rounds", "\(rounds)"), ("fraction C", "\(fraction)"),
            ("local epochs E", "\(localEpochs)"), ("server update", serverOptimizer.description),
            ("batch size B", "\(batchSize)"),
            (
                "local Adam learning rate",
                learningRateDecay == 1 ? "\(learningRate)" : "\(learningRate) × \(learningRateDecay)^(round − 1)"
            ),
            ("FedProx μ", mu > 0 ? "\(mu)" : "off"),
            ("secure aggregation", secureAggregation ? "on (the server sees sums only)" : "off"),
            (
                "differential privacy",
                privacy.map { "S = \($0.clippingNorm), z = \($0.noiseMultiplier), δ = \(delta)" } ?? "off"
            ),
            ("seed", "\(seed)")
        ]
    }

    /// Reads (or generates) the interactions and splits them leave-one-out (latest item held out).
    public func loadSplit() throws -> (split: InteractionSplit, source: String) {
        switch data {
        case let .planted(users, items):
            let dataset = SyntheticInteractions(users: users, items: items, seed: seed).dataset
            return (SplitRule.leaveOneOut.split(dataset), "planted")
        case let .movieLens(path):
            let (dataset, report) = try MovieLens.load(directory: URL(fileURLWithPath: path), malformed: .fail)
            if !report.skipped.isEmpty { print("skipped \(report.skipped.count) malformed line(s)") }
            return (SplitRule.leaveOneOut.split(dataset), path)
        }
    }

    /// The outcome of `run(split:folder:part:showsProgress:)`.
    public struct Outcome: Sendable {
        /// One report per round.
        public let reports: [RoundReport]
        /// HR@10 and NDCG@10 after the last round, averaged over the users.
        public let hitRate: Double
        public let ndcg: Double
        /// Bytes one participant sent in its fit results, over the run, averaged over users.
        public let uploadBytesPerUser: Double
        /// Bytes of one fit result, averaged over all sent.
        public let bytesPerUpdate: Double
        /// Bytes of the instruction a participant downloads each round it trains.
        public let instructionBytes: Int
        /// `ε` at `delta` when differentially private.
        public let epsilon: Double?
        /// The final shared weights.
        public let global: ParameterSet
    }

    /// The participants' local training settings (the round and seed are filled in per round).
    public var clientSettings: FitConfiguration {
        FitConfiguration(
            round: 0, localEpochs: localEpochs, batchSize: batchSize, learningRate: learningRate, proximalMu: mu)
    }

    /// The strategy: the row-weighted FedAvg, wrapped in DP-FedAvg when `privacy` is set.
    public func makeStrategy(model: FederatedNCFModel) throws -> any SecureAggregationStrategy {
        let base = RowWeightedFedAvg(
            model: model, sampling: ClientSampling(fraction: fraction),
            clientSettings: clientSettings, serverOptimizer: serverOptimizer, learningRateDecay: learningRateDecay,
            seed: seed)
        guard let privacy else { return base }
        return try DifferentiallyPrivateStrategy(wrapping: base, privacy: privacy)
    }

    /// Runs the federation on `split`, logging rounds into `folder` under `part`.
    ///
    /// - Throws: `NCFSettings`' size errors, `TrainingDivergedError`, and the federation's errors.
    public func run(split: InteractionSplit, folder: RunFolder, part: String = "fedrec", showsProgress: Bool = true)
        throws
        -> Outcome
    {
        try validate()
        let model = model(split.train.itemCount)
        let settings = model.settings(seed: seed) // the embeddings and one epoch's samples must fit in memory
        try settings.checkSize(users: split.train.userCount, items: split.train.itemCount)
        try settings.checkEpochSize(interactions: split.train.count)
        let federation = FederatedRecommendation(split: split, model: model, seed: seed)
        let strategy = try makeStrategy(model: model)
        let clientSettings = self.clientSettings
        let meters = federation.participants.map { MeteredParticipant($0) }
        let meterByID = Dictionary(uniqueKeysWithValues: meters.map { ($0.id, $0) })
        let federationRounds: any RoundRunner =
            overHTTP
            ? try LoopbackFederation(
                model: FederatedNCFModel.protocolDescription, participants: meters, strategy: strategy, seed: seed,
                initialParameters: model.initialParameters(seed: federation.seed),
                secureAggregation: secureAggregation ? SecureAggregationSettings() : nil)
            : try federation.simulation(
                strategy: strategy, seed: seed, concurrency: threads,
                secureAggregation: secureAggregation ? SecureAggregationSettings() : nil
            ) { participant in
                meterByID[participant.id]!
            }
        defer { (federationRounds as? LoopbackFederation)?.finish() }
        let instructionBytes = try WireFormat.encode(
            FitInstruction(
                model: FederatedNCFModel.protocolDescription, parameters: federationRounds.global,
                configuration: clientSettings)
        ).count
        print(
            "\(part): \(strategy.name), \(architecture.rawValue) (\(federationRounds.global.scalarCount) shared parameters, "
                + "\(model.userDimensions.reduce(0, +)) private per user), \(federation.participants.count) users, "
                + "\(Int(fraction * Double(federation.participants.count))) per round, \(federationRounds.transport)"
                + (secureAggregation ? ", under secure aggregation" : ""))
        let progress = showsProgress ? ProgressBar(label: part, total: rounds) : nil
        let hitName = RecommendationMetric.hitRate(10), ndcgName = RecommendationMetric.ndcg(10)
        // Under secure aggregation the fit results stay on the devices: each sends its masked vector
        // (8 bytes per value) instead, counted here (the key and share messages are not).
        // (DP-FedAvg masks the clipped change and a 1; the row-weighted mean also the rows' weights).
        let maskedBytes = 8 * (federationRounds.global.scalarCount + (privacy == nil ? split.train.itemCount : 0) + 1)
        var maskedSent = 0
        var sentBefore = 0
        let reports = try federationRounds.run(rounds: rounds) { report in
            let evaluation = report.federatedEvaluation
            maskedSent += report.accepted.count * maskedBytes
            let sent = secureAggregation ? maskedSent : meters.reduce(0) { $0 + $1.traffic.fitBytes }
            var record: MetricRecord = [
                "part": part, "round": report.round, "strategy": strategy.name,
                "hit_rate@10": evaluation?.metrics[hitName] ?? .nan, "ndcg@10": evaluation?.metrics[ndcgName] ?? .nan,
                "train_loss": report.trainMetrics["train_loss"] ?? .nan, "participants": report.selected.count,
                "accepted": report.accepted.count, "failures": report.failures.count,
                "upload_bytes_per_participant": Double(sent - sentBefore) / Double(max(report.selected.count, 1)),
                "rows_per_update": report.trainMetrics["rows_per_update"] ?? .nan, "seconds": report.seconds
            ]
            if !report.failures.isEmpty {
                record["failure_reasons"] = .string(
                    report.failures.prefix(5).map(\.description).joined(separator: "; "))
            }
            folder.log(record)
            if let divergence = report.divergence {
                progress?.finish()
                throw divergence
            }
            // the server's own update, e.g. a huge server learning rate
            if !federationRounds.global.values.allSatisfy(\.isFinite) {
                progress?.finish()
                throw TrainingDivergedError(
                    what: "federated training", position: "round \(report.round)",
                    detail: "the shared model became NaN or infinite after the server's update")
            }
            sentBefore = sent
            progress?.update(
                step: report.round,
                values: [
                    ("HR@10", evaluation?.metrics[hitName] ?? .nan),
                    ("loss", report.trainMetrics["train_loss"] ?? .nan), ("s/round", report.seconds)
                ])
        }
        progress?.finish()
        let traffic = meters.map(\.traffic)
        let totalBytes = secureAggregation ? maskedSent : traffic.reduce(0) { $0 + $1.fitBytes }
        let messages = secureAggregation ? maskedSent / maskedBytes : traffic.reduce(0) { $0 + $1.fitMessages }
        let last = reports.last?.federatedEvaluation
        let epsilon = privacy.map { $0.epsilon(rounds: rounds, delta: delta) }
        try Safetensors.write(
            federationRounds.global.stateDictionary(),
            metadata: [
                "model": architecture.rawValue, "strategy": strategy.name, "rounds": "\(rounds)", "seed": "\(seed)",
                "note": "shared weights only: the user embeddings stayed on the participants"
            ],
            to: folder.file("\(part)-shared-\(architecture.rawValue).safetensors"))
        return Outcome(
            reports: reports, hitRate: last?.metrics[hitName] ?? 0, ndcg: last?.metrics[ndcgName] ?? 0,
            uploadBytesPerUser: Double(totalBytes) / Double(max(federation.participants.count, 1)),
            bytesPerUpdate: Double(totalBytes) / Double(max(messages, 1)), instructionBytes: instructionBytes,
            epsilon: epsilon, global: federationRounds.global)
    }

    /// Centralised NCF (NervaRec's trainer, same architecture, same split, same evaluation cases)
    /// and popularity, for the comparison line; `epochs` 0 skips NCF.
    public func baselines(split: InteractionSplit, epochs: Int) throws -> (
        popularity: (Double, Double), centralised: (Double, Double)?
    ) {
        let evaluation = SampledRankingEvaluation(split: split, negativeCount: 99, seed: seed)
        let popularity = evaluation.evaluate(PopularityRecommender(train: split.train))
        guard epochs > 0 else { return ((popularity.hitRate, popularity.ndcg), nil) }
        var settings = model(split.train.itemCount).settings(seed: seed)
        settings.epochs = epochs
        let network = try NCFTrainer.trainModel(settings: settings, train: split.train.implicit())
        let centralised = evaluation.evaluate(NCFRecommender(network, name: architecture.rawValue))
        return ((popularity.hitRate, popularity.ndcg), (centralised.hitRate, centralised.ndcg))
    }
}
