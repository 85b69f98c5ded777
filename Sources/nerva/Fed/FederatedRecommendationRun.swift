import Foundation
import NervaData
import NervaFed
import NervaRec

/// Federated NCF over simulated users written into a run folder: every user is a participant
/// holding its interactions and its user embedding; rounds with progress; HR@10 / NDCG@10 per
/// round (each user ranks its held-out item, NCF protocol); bytes each participant sends; the
/// final shared weights. Used by `nerva fed recommend`.
struct FederatedRecommendationRun {
    /// Where the interactions come from.
    enum DataSource: Equatable {
        /// NervaRec's planted synthetic data (`users × items`).
        case planted(users: Int, items: Int)
        /// A MovieLens folder as published (ml-100k, ml-1m, …).
        case movieLens(String)
    }

    var data: DataSource = .planted(users: 943, items: 1682)
    var architecture: NCFSettings.Architecture = .neumf
    var factors = 8
    var layers = [64, 32, 16, 8]
    var negatives = 4
    /// Epochs of the participants' user-embedding refit (0: off).
    var refitEpochs = 1
    var rounds = 30
    var fraction = 1.0
    var localEpochs = 3
    var batchSize = 64
    var learningRate: Float = 0.05
    /// DP-FedAvg's clipping norm `S`; `nil` for no differential privacy.
    var clippingNorm: Double?
    var noiseMultiplier = 0.0
    var delta = 1e-5
    var threads: Int?
    /// Run the federation over HTTP on loopback: a `FederationServer` and one `FederationClient`
    /// per user, instead of the in-process simulation.
    var overHTTP = false
    /// Run every round under secure aggregation (in process only): the server sees sums only.
    var secureAggregation = false
    /// How the server applies the averaged update.
    enum ServerUpdate: String, CaseIterable, Sendable { case average, momentum, adam }
    var serverUpdate: ServerUpdate = .average
    var serverLearningRate: Float?
    var learningRateDecay: Float = 1
    var seed: UInt64 = 0

    var serverOptimizer: ServerOptimizer {
        switch serverUpdate {
        case .average: .average(learningRate: serverLearningRate ?? 1)
        case .momentum: .momentum(learningRate: serverLearningRate ?? 1)
        case .adam: .adam(learningRate: serverLearningRate ?? 0.01)
        }
    }

    var model: (Int) -> FederatedNCFModel {
        { FederatedNCFModel(architecture: architecture, itemCount: $0, factors: factors, layers: layers, negatives: negatives,
                            refitEpochs: refitEpochs) }
    }

    var privacy: DifferentialPrivacy? { clippingNorm.map { DifferentialPrivacy(clippingNorm: $0, noiseMultiplier: noiseMultiplier) } }

    /// The settings as the report's table.
    var settings: [(String, String)] {
        let source = switch data {
        case let .planted(users, items): "planted synthetic (\(users) users × \(items) items)"
        case let .movieLens(path): path
        }
        return [("data", source), ("model", architecture.rawValue), ("factors / layers", "\(factors) / \(layers.map(String.init).joined(separator: "-"))"),
                ("negatives per positive", "\(negatives)"), ("user-embedding refit epochs", "\(refitEpochs)"), ("rounds", "\(rounds)"), ("fraction C", "\(fraction)"),
                ("local epochs E", "\(localEpochs)"), ("server update", serverOptimizer.description), ("batch size B", "\(batchSize)"), ("local Adam learning rate", learningRateDecay == 1 ? "\(learningRate)" : "\(learningRate) × \(learningRateDecay)^(round − 1)"),
                ("secure aggregation", secureAggregation ? "on (the server sees sums only)" : "off"),
                ("differential privacy", privacy.map { "S = \($0.clippingNorm), z = \($0.noiseMultiplier), δ = \(delta)" } ?? "off"),
                ("seed", "\(seed)")]
    }

    /// Reads (or generates) the interactions and splits them leave-one-out (latest item held out).
    func loadSplit() throws -> (split: InteractionSplit, source: String) {
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

    struct Outcome {
        let reports: [RoundReport]
        let hitRate: Double
        let ndcg: Double
        /// Bytes one participant sent in its fit results, over the run, averaged over users.
        let uploadBytesPerUser: Double
        /// Bytes of one fit result, averaged over all sent.
        let bytesPerUpdate: Double
        /// Bytes of the instruction a participant downloads each round it trains.
        let instructionBytes: Int
        /// `ε` at `delta` when differentially private.
        let epsilon: Double?
        let global: ParameterSet
    }

    /// Runs the federation on `split`, logging rounds into `folder` under `part`.
    func run(split: InteractionSplit, folder: RunFolder, part: String = "fedrec", showsProgress: Bool = true) throws -> Outcome {
        let model = model(split.train.itemCount)
        let settings = model.settings(seed: seed)   // the embeddings and one epoch's samples must fit in memory
        try settings.checkSize(users: split.train.userCount, items: split.train.itemCount)
        try settings.checkEpochSize(interactions: split.train.count)
        let federation = FederatedRecommendation(split: split, model: model, seed: seed)
        let strategy = RowWeightedFedAvg(model: model, sampling: ClientSampling(fraction: fraction),
                                         clientSettings: FitConfiguration(round: 0, localEpochs: localEpochs, batchSize: batchSize,
                                                                          learningRate: learningRate),
                                         privacy: privacy, serverOptimizer: serverOptimizer,
                                         learningRateDecay: learningRateDecay, seed: seed)
        let meters = federation.participants.map { MeteredParticipant($0) }
        let meterByID = Dictionary(uniqueKeysWithValues: meters.map { ($0.id, $0) })
        let federationRounds: any RoundRunner = overHTTP
            ? try LoopbackFederation(model: FederatedNCFModel.protocolDescription, participants: meters, strategy: strategy, seed: seed,
                                     initialParameters: model.initialParameters(seed: federation.seed))
            : try federation.simulation(strategy: strategy, seed: seed, concurrency: threads,
                                        secureAggregation: secureAggregation ? SecureAggregationSettings() : nil) { participant in
                meterByID[participant.id]!
            }
        defer { (federationRounds as? LoopbackFederation)?.finish() }
        let instructionBytes = try WireFormat.encode(FitInstruction(model: FederatedNCFModel.protocolDescription, parameters: federationRounds.global,
                                                                    configuration: strategy.clientSettings)).count
        print("\(part): \(strategy.name), \(architecture.rawValue) (\(federationRounds.global.scalarCount) shared parameters, "
              + "\(model.userDimensions.reduce(0, +)) private per user), \(federation.participants.count) users, "
              + "\(Int(fraction * Double(federation.participants.count))) per round, \(federationRounds.transport)"
              + (secureAggregation ? ", under secure aggregation" : ""))
        let progress = showsProgress ? ProgressBar(label: part, total: rounds) : nil
        let hitName = RecommendationMetric.hitRate(10), ndcgName = RecommendationMetric.ndcg(10)
        // Under secure aggregation the fit results stay on the devices: each sends its masked vector
        // (8 bytes per value) instead, counted here (the key and share messages are not).
        let maskedBytes = 8 * (federationRounds.global.scalarCount + split.train.itemCount + 1)
        var maskedSent = 0
        var sentBefore = 0
        let reports = try federationRounds.run(rounds: rounds) { report in
            let evaluation = report.federatedEvaluation
            maskedSent += report.accepted.count * maskedBytes
            let sent = secureAggregation ? maskedSent : meters.reduce(0) { $0 + $1.traffic.fitBytes }
            var record: MetricRecord = ["part": part, "round": report.round, "strategy": strategy.name,
                                        "hit_rate@10": evaluation?.metrics[hitName] ?? .nan, "ndcg@10": evaluation?.metrics[ndcgName] ?? .nan,
                                        "train_loss": report.trainMetrics["train_loss"] ?? .nan, "participants": report.selected.count,
                                        "accepted": report.accepted.count, "failures": report.failures.count,
                                        "upload_bytes_per_participant": Double(sent - sentBefore) / Double(max(report.selected.count, 1)),
                                        "rows_per_update": report.trainMetrics["rows_per_update"] ?? .nan, "seconds": report.seconds]
            if !report.failures.isEmpty { record["failure_reasons"] = .string(report.failures.prefix(5).map(\.description).joined(separator: "; ")) }
            folder.log(record)
            if let divergence = report.divergence {
                progress?.finish()
                throw divergence
            }
            if !federationRounds.global.values.allSatisfy(\.isFinite) {   // the server's own update, e.g. a huge server learning rate
                progress?.finish()
                throw TrainingDivergedError(what: "federated training", position: "round \(report.round)",
                                            detail: "the shared model became NaN or infinite after the server's update")
            }
            sentBefore = sent
            progress?.update(step: report.round, values: [("HR@10", evaluation?.metrics[hitName] ?? .nan),
                                                          ("loss", report.trainMetrics["train_loss"] ?? .nan), ("s/round", report.seconds)])
        }
        progress?.finish()
        let traffic = meters.map(\.traffic)
        let totalBytes = secureAggregation ? maskedSent : traffic.reduce(0) { $0 + $1.fitBytes }
        let messages = secureAggregation ? maskedSent / maskedBytes : traffic.reduce(0) { $0 + $1.fitMessages }
        let last = reports.last?.federatedEvaluation
        let epsilon = privacy.map { $0.epsilon(rounds: rounds, delta: delta) }
        try Safetensors.write(federationRounds.global.stateDictionary(),
                              metadata: ["model": architecture.rawValue, "strategy": strategy.name, "rounds": "\(rounds)", "seed": "\(seed)",
                                         "note": "shared weights only: the user embeddings stayed on the participants"],
                              to: folder.file("\(part)-shared-\(architecture.rawValue).safetensors"))
        return Outcome(reports: reports, hitRate: last?.metrics[hitName] ?? 0, ndcg: last?.metrics[ndcgName] ?? 0,
                       uploadBytesPerUser: Double(totalBytes) / Double(max(federation.participants.count, 1)),
                       bytesPerUpdate: Double(totalBytes) / Double(max(messages, 1)), instructionBytes: instructionBytes,
                       epsilon: epsilon, global: federationRounds.global)
    }

    /// Centralised NCF (NervaRec's trainer, same architecture, same split, same evaluation cases)
    /// and popularity, for the comparison line; `epochs` 0 skips NCF.
    func baselines(split: InteractionSplit, epochs: Int) throws -> (popularity: (Double, Double), centralised: (Double, Double)?) {
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
