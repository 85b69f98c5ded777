import Foundation
import NervaData
import NervaNN

/// A simulated federation on Fashion-MNIST written into a run folder: partition, rounds with
/// progress, metrics per round, accuracy curve, partition heat map and the final global model.
/// `nerva fed simulate` and the tour run it; every setting has the library's default.
///
/// ```swift
/// var run = FederatedRun()
/// run.strategy.name = .fedprox
/// run.partition = .dirichlet(beta: 0.5)
/// let outcome = try run.run(on: FashionMNIST(directory: FashionMNIST.defaultDirectory),
///                           folder: RunFolder(command: "fed", out: nil, settings: run.settings))
/// ```
public struct FederatedRun: Sendable {
    /// The classifier.
    public var model: FashionMNISTArchitecture = .mlp
    /// The number of participants.
    public var clients = 10
    /// Communication rounds.
    public var rounds = 10
    /// The strategy and the participants' local training.
    public var strategy = StrategyConfiguration()
    /// How the training set is split among the participants.
    public var partition: PartitionScheme = .iid
    /// Use only the first `limit` training images (before partitioning); `nil` for all.
    public var limit: Int?
    /// Evaluate on only the first `testLimit` test images; `nil` for all.
    public var testLimit: Int?
    /// Threads training participants at once (`nil`: one per core).
    public var threads: Int?
    /// Send every message through the safetensors wire format, as a networked federation would.
    public var overWire = false
    /// Run every round under secure aggregation.
    public var secureAggregation = false
    /// Seeds the partition, the initial model, the sampling and the local training.
    public var seed: UInt64 = 0

    /// The defaults, with the given settings instead where they are not `nil`.
    public init(
        model: FashionMNISTArchitecture? = nil, clients: Int? = nil, fraction: Double? = nil, rounds: Int? = nil,
        localEpochs: Int? = nil, batchSize: Int? = nil, learningRate: Float? = nil, momentum: Float? = nil,
        strategy: StrategyConfiguration.Name? = nil, partition: PartitionScheme.Kind? = nil, beta: Double? = nil,
        limit: Int? = nil, seed: UInt64? = nil
    ) {
        if let model { self.model = model }
        if let clients { self.clients = clients }
        if let rounds { self.rounds = rounds }
        if let fraction { self.strategy.fraction = fraction }
        if let localEpochs { self.strategy.clientSettings.localEpochs = localEpochs }
        if let batchSize { self.strategy.clientSettings.batchSize = batchSize }
        if let learningRate { self.strategy.clientSettings.learningRate = learningRate }
        if let momentum { self.strategy.clientSettings.momentum = momentum }
        if let strategy { self.strategy.name = strategy }
        if let partition { self.partition = PartitionScheme(kind: partition, beta: beta) }
        self.limit = limit
        if let seed { self.seed = seed }
    }

    /// The settings as the report's table.
    public var settings: [(String, String)] {
        let client = strategy.clientSettings
        return [
            ("model", model.rawValue), ("clients", "\(clients)"), ("fraction C", "\(strategy.fraction)"),
            ("rounds", "\(rounds)"),
            ("local epochs E", "\(client.localEpochs)"), ("batch size B", "\(client.batchSize)"),
            ("learning rate", "\(client.learningRate)"), ("momentum", "\(client.momentum)"),
            ("strategy", strategy.name.rawValue), ("partition", partition.description),
            ("examples", limit.map(String.init) ?? "all"), ("over the wire format", "\(overWire)"),
            ("secure aggregation", secureAggregation ? "on" : "off"), ("differential privacy", strategy.privacySummary),
            ("seed", "\(seed)")
        ]
    }

    /// Checks the settings that do not depend on the data.
    ///
    /// - Throws: `ConfigurationError` naming the field, or `FederatedError.invalidConfiguration`.
    public func validate() throws {
        try ConfigurationError.check("clients", clients, atLeast: 1)
        try ConfigurationError.check("rounds", rounds, atLeast: 1)
        if let limit { try ConfigurationError.check("limit", limit, atLeast: 1) }
        if let testLimit { try ConfigurationError.check("test limit", testLimit, atLeast: 1) }
        if let threads { try ConfigurationError.check("threads", threads, atLeast: 1) }
        try strategy.validate(clients: clients, secureAggregation: secureAggregation)
    }

    /// The outcome of `run(on:folder:part:showsProgress:)`.
    public struct Outcome: Sendable {
        /// One report per round.
        public let reports: [RoundReport]
        /// The global model's test accuracy after the last round.
        public let finalAccuracy: Double
        /// The final global model.
        public let global: ParameterSet
    }

    /// The partition of `labels` among the clients, as `run` (and so `nerva fed client`) splits it.
    public func split(labels: [Int]) -> [[Int]] {
        Partition.split(
            labels: labels, classCount: 10, clientCount: clients, scheme: partition,
            generator: RandomGenerator(seed: seed &+ 1))
    }

    /// Runs the federation on `dataset`, logging into `folder` under `part`.
    ///
    /// - Throws: `ConfigurationError` when the data is too small for the clients,
    ///   `TrainingDivergedError` when the global model diverges, and the simulation's errors.
    public func run(
        on dataset: FashionMNIST, folder: RunFolder, part: String = "fed", showsProgress: Bool = true
    ) throws -> Outcome {
        try validate()
        let train = limit.map { dataset.train.prefix($0) } ?? dataset.train
        let test = testLimit.map { dataset.test.prefix($0) } ?? dataset.test
        guard train.count / 10 >= clients else { // before the partition allocates a share per client
            throw ConfigurationError(
                field: "clients", value: "\(clients)", allowed: "at most \(train.count / 10) (10 training images each)")
        }
        let parts = split(labels: train.labels)
        let participants: [any FederatedParticipant] = parts.enumerated().map { index, indices in
            let participant = ClassificationParticipant(
                id: String(format: "client-%03d", index), data: train, trainIndices: indices)
            return overWire ? WireParticipant(participant) : participant
        }
        try writePartitionFigure(parts, labels: train.labels, folder: folder, part: part)
        let description = model.modelDescription()
        let evaluator = try ClassificationEvaluator(model: description, data: test)
        let strategy = try self.strategy.makeStrategy(clients: clients, seed: seed)
        let simulation = try FederatedSimulation(
            model: description, participants: participants, strategy: strategy, seed: seed,
            concurrency: threads,
            secureAggregation: secureAggregation ? SecureAggregationSettings() : nil,
            centralEvaluation: { try evaluator.evaluate($0) })
        print(
            "\(part): \(strategy.name)\(secureAggregation ? " under secure aggregation" : ""), \(model.rawValue) "
                + "(\(simulation.global.scalarCount) parameters), \(clients) clients, \(partition), \(train.count) training and "
                + "\(test.count) test images, \(simulation.concurrency) threads")
        let progress = showsProgress ? ProgressBar(label: part, total: rounds) : nil
        let reports = try simulation.run(rounds: rounds) { report in
            let accuracy = report.centralEvaluation?.metrics["accuracy"] ?? .nan
            var record: MetricRecord = [
                "part": part, "round": report.round, "strategy": strategy.name,
                "test_accuracy": accuracy, "test_loss": report.centralEvaluation?.loss ?? .nan,
                "train_loss": report.trainMetrics["train_loss"] ?? .nan,
                "participants": report.selected.count, "accepted": report.accepted.count,
                "failures": report.failures.count, "seconds": report.seconds
            ]
            if !report.failures.isEmpty {
                record["failure_reasons"] = .string(report.failures.map(\.description).joined(separator: "; "))
            }
            folder.log(record)
            if let divergence = report.divergence {
                progress?.finish()
                throw divergence
            }
            progress?.update(
                step: report.round,
                values: [
                    ("accuracy", accuracy), ("loss", report.trainMetrics["train_loss"] ?? .nan),
                    ("s/round", report.seconds)
                ])
        }
        progress?.finish()
        let accuracy = reports.last?.centralEvaluation?.metrics["accuracy"] ?? 0
        if let privacy = self.strategy.privacy {
            let epsilon = privacy.epsilon(rounds: rounds, delta: 1e-5)
            folder.log(["part": part, "dp_epsilon": epsilon, "dp_delta": 1e-5, "rounds": rounds])
            print(
                "\(part): (ε = \(DifferentialPrivacy.epsilonText(epsilon)), δ = 1e-5) client-level differential privacy "
                    + "after \(rounds) rounds (RDP bound, no sampling amplification)")
        }
        try writeAccuracyFigure(reports, strategyName: strategy.name, folder: folder, part: part)
        try Safetensors.write(
            simulation.global.stateDictionary(),
            metadata: [
                "model": try description.jsonString(), "strategy": strategy.name,
                "rounds": "\(rounds)", "test_accuracy": "\(accuracy)", "seed": "\(seed)"
            ],
            to: folder.file("\(part)-global-\(model.rawValue).safetensors"))
        return Outcome(reports: reports, finalAccuracy: accuracy, global: simulation.global)
    }

    private func writePartitionFigure(_ parts: [[Int]], labels: [Int], folder: RunFolder, part: String) throws {
        let counts = Partition.classCounts(parts, labels: labels, classCount: 10)
        let shown = Array(counts.prefix(50))
        let map = HeatMap(
            title: "Examples per client and class",
            rowLabels: shown.indices.map { "client \($0)" }, columnLabels: FashionMNIST.classNames,
            values: shown.map { $0.map(Double.init) }, showsValues: shown.count <= 20,
            xLabel: "class", yLabel: "client")
        folder.addFigure(
            title: "Partition (\(partition))",
            files: try Figure.write(svg: map.svg(), to: folder.file("\(part)-partition.svg")),
            caption: "Label histogram of each client's private data"
                + (counts.count > 50 ? " (first 50 of \(counts.count) clients)." : "."))
    }

    private func writeAccuracyFigure(
        _ reports: [RoundReport], strategyName: String, folder: RunFolder, part: String
    ) throws {
        guard !reports.isEmpty else { return }
        let chart = LineChart(
            title: "\(strategyName): test accuracy per round", xLabel: "round", yLabel: "value",
            series: [
                .init(
                    name: "test accuracy",
                    points: reports.map { (Double($0.round), $0.centralEvaluation?.metrics["accuracy"] ?? 0) }),
                .init(
                    name: "train loss",
                    points: reports.compactMap { r in r.trainMetrics["train_loss"].map { (Double(r.round), $0) } })
            ])
        folder.addFigure(
            title: "Federated training (\(strategyName))",
            files: try Figure.write(svg: chart.svg(), to: folder.file("\(part)-accuracy.svg")),
            caption: "Accuracy of the global model on the test set (centralised evaluation) and the clients' "
                + "mean training loss, after each round.")
    }
}
