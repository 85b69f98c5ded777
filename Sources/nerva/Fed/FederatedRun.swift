import Foundation
import NervaData
import NervaFed
import NervaNN

/// A simulated federation on Fashion-MNIST written into a run folder: partition, rounds with
/// progress, metrics per round, accuracy curve, partition heat map and the final global model.
/// Used by `nerva fed simulate` and the tour.
struct FederatedRun {
    enum Model: String, CaseIterable, Sendable {
        case mlp, cnn
        var description: ModelDescription { self == .mlp ? .mlp(hiddenSizes: [200, 200]) : .lenet() }
    }

    enum StrategyName: String, CaseIterable, Sendable {
        case fedavg, fedavgUnweighted = "fedavg-unweighted", fedsgd, fedprox, fedavgm, fedadam, fedyogi, fedadagrad
        case median, trimmedMean = "trimmed-mean", krum, multiKrum = "multi-krum"
    }

    enum PartitionName: String, CaseIterable, Sendable {
        case iid, dirichlet, labels, shards, quantity
    }

    var model: Model = .mlp
    var clients = 10
    var fraction = 1.0
    var rounds = 10
    var localEpochs = 1
    var batchSize = 10
    var learningRate: Float = 0.01
    var momentum: Float = 0
    var strategy: StrategyName = .fedavg
    var mu: Float = 0.01
    var serverLearningRate: Float?
    var byzantine = 1
    var partition: PartitionName = .iid
    var beta = 0.5
    var labelsPerClient = 2
    var shardsPerClient = 2
    var limit: Int?
    var testLimit: Int?
    var threads: Int?
    var overWire = false
    /// Run every round under secure aggregation.
    var secureAggregation = false
    /// DP-FedAvg's clipping norm `S`; `nil` for no differential privacy.
    var clippingNorm: Double?
    /// DP-FedAvg's noise multiplier `z`.
    var noiseMultiplier = 0.0
    var seed: UInt64 = 0

    /// The privacy mechanism, when `clippingNorm` is set.
    var privacy: DifferentialPrivacy? { clippingNorm.map { DifferentialPrivacy(clippingNorm: $0, noiseMultiplier: noiseMultiplier) } }

    var scheme: PartitionScheme {
        switch partition {
        case .iid: .iid
        case .dirichlet: .dirichlet(beta: beta)
        case .labels: .labelsPerClient(labelsPerClient)
        case .shards: .shards(perClient: shardsPerClient)
        case .quantity: .quantitySkew(beta: beta)
        }
    }

    /// The settings as the report's table.
    var settings: [(String, String)] {
        [("model", model.rawValue), ("clients", "\(clients)"), ("fraction C", "\(fraction)"), ("rounds", "\(rounds)"),
         ("local epochs E", "\(localEpochs)"), ("batch size B", "\(batchSize)"), ("learning rate", "\(learningRate)"),
         ("momentum", "\(momentum)"), ("strategy", strategy.rawValue), ("partition", scheme.description),
         ("examples", limit.map(String.init) ?? "all"), ("over the wire format", "\(overWire)"), ("secure aggregation", secureAggregation ? "on" : "off"),
         ("differential privacy", privacy.map { "S = \($0.clippingNorm), z = \($0.noiseMultiplier)" } ?? "off"), ("seed", "\(seed)")]
    }

    func makeStrategy() -> FederatedStrategy {
        let base = makeBaseStrategy()
        guard let privacy else { return base }
        return FederatedStrategy(name: "DP-\(base.name)", sampling: base.sampling, clientSettings: base.clientSettings,
                                 aggregation: base.aggregation, serverOptimizer: base.serverOptimizer, seed: seed, privacy: privacy)
    }

    private func makeBaseStrategy() -> FederatedStrategy {
        let settings = FitConfiguration(round: 0, localEpochs: localEpochs, batchSize: batchSize, learningRate: learningRate,
                                        momentum: momentum)
        let sampling = ClientSampling(fraction: fraction)
        switch strategy {
        case .fedavg: return .fedAvg(clientSettings: settings, sampling: sampling, seed: seed)
        case .fedavgUnweighted: return .fedAvg(clientSettings: settings, sampling: sampling, weighted: false, seed: seed)
        case .fedsgd: return .fedSGD(serverLearningRate: serverLearningRate ?? learningRate, clientSettings: settings, sampling: sampling, seed: seed)
        case .fedprox: return .fedProx(mu: mu, clientSettings: settings, sampling: sampling, seed: seed)
        case .fedavgm: return .withServerOptimizer(.momentum(learningRate: serverLearningRate ?? 1), clientSettings: settings, sampling: sampling, seed: seed)
        case .fedadam: return .withServerOptimizer(.adam(learningRate: serverLearningRate ?? 0.01), clientSettings: settings, sampling: sampling, seed: seed)
        case .fedyogi: return .withServerOptimizer(.yogi(learningRate: serverLearningRate ?? 0.01), clientSettings: settings, sampling: sampling, seed: seed)
        case .fedadagrad: return .withServerOptimizer(.adagrad(learningRate: serverLearningRate ?? 0.1), clientSettings: settings, sampling: sampling, seed: seed)
        case .median: return .robust(.coordinateMedian, clientSettings: settings, sampling: sampling, seed: seed)
        case .trimmedMean: return .robust(.trimmedMean(beta: 0.1), clientSettings: settings, sampling: sampling, seed: seed)
        case .krum: return .robust(.krum(byzantine: byzantine, selected: 1), clientSettings: settings, sampling: sampling, seed: seed)
        case .multiKrum:
            let selected = max(1, Int(fraction * Double(clients)) - byzantine)
            return .robust(.krum(byzantine: byzantine, selected: selected), clientSettings: settings, sampling: sampling, seed: seed)
        }
    }

    struct Outcome {
        let reports: [RoundReport]
        let finalAccuracy: Double
        let global: ParameterSet
    }

    /// Runs the federation on `dataset`, logging into `folder` under `part`.
    func run(on dataset: FashionMNIST, folder: RunFolder, part: String = "fed", showsProgress: Bool = true) throws -> Outcome {
        let train = limit.map { dataset.train.prefix($0) } ?? dataset.train
        let test = testLimit.map { dataset.test.prefix($0) } ?? dataset.test
        guard train.count / 10 >= clients else {   // before the partition allocates a share per client
            throw ConfigurationError(field: "clients", value: "\(clients)", allowed: "at most \(train.count / 10) (10 training images each)")
        }
        let parts = Partition.split(labels: train.labels, classCount: 10, clientCount: clients, scheme: scheme,
                                    generator: RandomGenerator(seed: seed &+ 1))
        let participants: [any FederatedParticipant] = parts.enumerated().map { index, indices in
            let participant = ClassificationParticipant(id: String(format: "client-%03d", index), data: train, trainIndices: indices)
            return overWire ? WireParticipant(participant) : participant
        }
        try writePartitionFigure(parts, labels: train.labels, folder: folder, part: part)
        let evaluator = try ClassificationEvaluator(model: model.description, data: test)
        let strategy = makeStrategy()
        let simulation = try FederatedSimulation(model: model.description, participants: participants, strategy: strategy, seed: seed,
                                                 concurrency: threads, secureAggregation: secureAggregation ? SecureAggregationSettings() : nil,
                                                 centralEvaluation: { try evaluator.evaluate($0) })
        print("\(part): \(strategy.name)\(secureAggregation ? " under secure aggregation" : ""), \(model.rawValue) (\(simulation.global.scalarCount) parameters), \(clients) clients, "
              + "\(scheme), \(train.count) training and \(test.count) test images, \(simulation.concurrency) threads")
        let progress = showsProgress ? ProgressBar(label: part, total: rounds) : nil
        let reports = try simulation.run(rounds: rounds) { report in
            let accuracy = report.centralEvaluation?.metrics["accuracy"] ?? .nan
            var record: MetricRecord = ["part": part, "round": report.round, "strategy": strategy.name,
                                        "test_accuracy": accuracy, "test_loss": report.centralEvaluation?.loss ?? .nan,
                                        "train_loss": report.trainMetrics["train_loss"] ?? .nan,
                                        "participants": report.selected.count, "accepted": report.accepted.count,
                                        "failures": report.failures.count, "seconds": report.seconds]
            if !report.failures.isEmpty { record["failure_reasons"] = .string(report.failures.map(\.description).joined(separator: "; ")) }
            folder.log(record)
            if let divergence = report.divergence {
                progress?.finish()
                throw divergence
            }
            progress?.update(step: report.round, values: [("accuracy", accuracy), ("loss", report.trainMetrics["train_loss"] ?? .nan),
                                                          ("s/round", report.seconds)])
        }
        progress?.finish()
        let accuracy = reports.last?.centralEvaluation?.metrics["accuracy"] ?? 0
        if let privacy {
            let epsilon = privacy.epsilon(rounds: rounds, delta: 1e-5)
            folder.log(["part": part, "dp_epsilon": epsilon, "dp_delta": 1e-5, "rounds": rounds])
            print(String(format: "%@: (ε = %@, δ = 1e-5) client-level differential privacy after %d rounds (RDP bound, no sampling amplification)",
                         part, epsilonText(epsilon), rounds))
        }
        try writeAccuracyFigure(reports, strategyName: strategy.name, folder: folder, part: part)
        try Safetensors.write(simulation.global.stateDictionary(),
                              metadata: ["model": try model.description.jsonString(), "strategy": strategy.name,
                                         "rounds": "\(rounds)", "test_accuracy": "\(accuracy)", "seed": "\(seed)"],
                              to: folder.file("\(part)-global-\(model.rawValue).safetensors"))
        return Outcome(reports: reports, finalAccuracy: accuracy, global: simulation.global)
    }

    private func writePartitionFigure(_ parts: [[Int]], labels: [Int], folder: RunFolder, part: String) throws {
        let counts = Partition.classCounts(parts, labels: labels, classCount: 10)
        let shown = Array(counts.prefix(50))
        let map = HeatMap(title: "Examples per client and class",
                          rowLabels: shown.indices.map { "client \($0)" }, columnLabels: FashionMNIST.classNames,
                          values: shown.map { $0.map(Double.init) }, showsValues: shown.count <= 20,
                          xLabel: "class", yLabel: "client")
        folder.addFigure(title: "Partition (\(scheme))",
                         files: try Figure.write(svg: map.svg(), to: folder.file("\(part)-partition.svg")),
                         caption: "Label histogram of each client's private data" + (counts.count > 50 ? " (first 50 of \(counts.count) clients)." : "."))
    }

    private func writeAccuracyFigure(_ reports: [RoundReport], strategyName: String, folder: RunFolder, part: String) throws {
        guard !reports.isEmpty else { return }
        let chart = LineChart(title: "\(strategyName): test accuracy per round", xLabel: "round", yLabel: "value", series: [
            .init(name: "test accuracy", points: reports.map { (Double($0.round), $0.centralEvaluation?.metrics["accuracy"] ?? 0) }),
            .init(name: "train loss", points: reports.compactMap { r in r.trainMetrics["train_loss"].map { (Double(r.round), $0) } }),
        ])
        folder.addFigure(title: "Federated training (\(strategyName))",
                         files: try Figure.write(svg: chart.svg(), to: folder.file("\(part)-accuracy.svg")),
                         caption: "Accuracy of the global model on the test set (centralised evaluation) and the clients' mean training loss, after each round.")
    }
}
