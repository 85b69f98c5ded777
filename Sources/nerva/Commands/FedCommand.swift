import ArgumentParser
import Foundation
import NervaData
import NervaFed

/// `nerva fed`: federated learning. `simulate` runs many participants in one process.
struct FedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fed",
        abstract: "Federated learning: simulate a federation of clients that keep their data private.",
        subcommands: [FedSimulateCommand.self, FedServerCommand.self, FedClientCommand.self, FedRecommendCommand.self,
                      FlowerClientCommand.self]
    )
}

/// `nerva fed simulate`: a federation of Fashion-MNIST clients in one process.
struct FedSimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Train a Fashion-MNIST classifier by federated learning over simulated clients.",
        discussion: """
            Each client trains on its private share of the training set (--partition) and sends back \
            parameters only; the server aggregates them with --strategy and evaluates the global model \
            on the test set after every round. Writes metrics.jsonl, an accuracy curve, the partition's \
            label heat map, the global model (safetensors) and index.html into --out.
            """
    )

    @Option(help: "The model: \(FederatedRun.Model.allCases.map(\.rawValue).joined(separator: ", ")) (MLP 784→200→200→10 or the NIID-Bench CNN).")
    var model: FederatedRun.Model = .mlp
    @Option(help: "The number of clients.")
    var clients = 10
    @Option(help: "C: the share of clients that train each round.")
    var fraction = 1.0
    @Option(help: "Communication rounds.")
    var rounds = 10
    @Option(help: "E: local epochs per round.")
    var localEpochs = 1
    @Option(help: "B: local batch size.")
    var batchSize = 10
    @Option(help: "Local SGD learning rate.")
    var learningRate: Float = 0.01
    @Option(help: "Local SGD momentum.")
    var momentum: Float = 0
    @Option(help: "The strategy: \(FederatedRun.StrategyName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var strategy: FederatedRun.StrategyName = .fedavg
    @Option(help: "FedProx's μ.")
    var mu: Float = 0.01
    @Option(help: "The server's learning rate (FedSGD, FedAvgM, FedAdam, FedYogi, FedAdagrad).")
    var serverLearningRate: Float?
    @Option(help: "Krum's assumed number of attackers f.")
    var byzantine = 1
    @Option(help: "How the data is split: \(FederatedRun.PartitionName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var partition: FederatedRun.PartitionName = .iid
    @Option(help: "β of the Dirichlet (label or quantity) skew.")
    var beta = 0.5
    @Option(help: "Classes per client for --partition labels.")
    var labelsPerClient = 2
    @Option(help: "Shards per client for --partition shards (McMahan et al.: 2).")
    var shardsPerClient = 2
    @Option(help: "Use only the first N training images.")
    var limit: Int?
    @Option(help: "Evaluate on only the first N test images.")
    var testLimit: Int?
    @Option(help: "Threads training clients at once (default: one per core).")
    var threads: Int?
    @Flag(help: "Send every message through the safetensors wire format, as a networked federation would.")
    var wire = false
    @Option(help: "DP-FedAvg: clip each client's update to this norm S (enables client-level differential privacy).")
    var clipNorm: Double?
    @Option(help: "DP-FedAvg: Gaussian noise of standard deviation z·S/m on the mean of m clipped updates.")
    var noiseMultiplier = 0.0
    @Option(help: "The Fashion-MNIST folder (default \(FashionMNIST.defaultDirectory.path)).")
    var data: String?
    @Option(help: "Output folder (default ./nerva-out/fed-simulate-<timestamp>).")
    var out: String?
    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    func validate() throws {
        guard clients >= 1 else { throw ValidationError("--clients must be at least 1, got \(clients).") }
        guard fraction > 0 && fraction <= 1 else { throw ValidationError("--fraction must be in (0, 1], got \(fraction).") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1, got \(rounds).") }
        guard localEpochs >= 1 else { throw ValidationError("--local-epochs must be at least 1, got \(localEpochs).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be positive, got \(batchSize).") }
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive, got \(learningRate).") }
        guard momentum >= 0 && momentum < 1 else { throw ValidationError("--momentum must be in [0, 1), got \(momentum).") }
        guard mu >= 0 else { throw ValidationError("--mu must be non-negative, got \(mu).") }
        guard beta > 0 else { throw ValidationError("--beta must be positive, got \(beta).") }
        guard (1...10).contains(labelsPerClient) else { throw ValidationError("--labels-per-client must be in 1...10, got \(labelsPerClient).") }
        guard shardsPerClient >= 1 else { throw ValidationError("--shards-per-client must be at least 1, got \(shardsPerClient).") }
        if let limit, limit < clients * 10 { throw ValidationError("--limit must give each client at least 10 images: at least \(clients * 10), got \(limit).") }
        if let testLimit, testLimit < 1 { throw ValidationError("--test-limit must be positive, got \(testLimit).") }
        if let clipNorm, clipNorm <= 0 { throw ValidationError("--clip-norm must be positive, got \(clipNorm).") }
        guard noiseMultiplier >= 0 else { throw ValidationError("--noise-multiplier must be non-negative, got \(noiseMultiplier).") }
        if noiseMultiplier > 0 && clipNorm == nil { throw ValidationError("--noise-multiplier needs --clip-norm S.") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        if strategy == .krum || strategy == .multiKrum {
            let perRound = max(1, Int(fraction * Double(clients)))
            guard perRound > 2 * byzantine + 2 else {
                throw ValidationError("--strategy \(strategy.rawValue) with --byzantine \(byzantine) needs more than \(2 * byzantine + 2) clients per round, got \(perRound).")
            }
        }
    }

    func run() throws {
        let configuration = FederatedRun(model: model, clients: clients, fraction: fraction, rounds: rounds, localEpochs: localEpochs,
                                         batchSize: batchSize, learningRate: learningRate, momentum: momentum, strategy: strategy,
                                         mu: mu, serverLearningRate: serverLearningRate, byzantine: byzantine, partition: partition,
                                         beta: beta, labelsPerClient: labelsPerClient, shardsPerClient: shardsPerClient,
                                         limit: limit, testLimit: testLimit, threads: threads, overWire: wire,
                                         clippingNorm: clipNorm, noiseMultiplier: noiseMultiplier, seed: seed)
        let folder = try RunFolder(command: "fed-simulate", out: out, settings: configuration.settings)
        print("nerva fed simulate → \(folder.url.path)")
        let dataset = try FashionMNIST(directory: data.map { URL(fileURLWithPath: $0) } ?? FashionMNIST.defaultDirectory)
        let outcome = try configuration.run(on: dataset, folder: folder)
        let failures = outcome.reports.reduce(0) { $0 + $1.failures.count }
        folder.addTable(title: "Rounds", header: ["round", "test accuracy", "train loss", "accepted", "failures", "seconds"],
                        rows: outcome.reports.map { r in
                            [String(r.round), String(format: "%.4f", r.centralEvaluation?.metrics["accuracy"] ?? 0),
                             String(format: "%.4f", r.trainMetrics["train_loss"] ?? .nan), String(r.accepted.count),
                             String(r.failures.count), String(format: "%.2f", r.seconds)]
                        })
        try folder.writeReport()
        print(String(format: "test accuracy after %d rounds: %.4f (%d failures); report: %@", rounds, outcome.finalAccuracy, failures,
                     folder.file("index.html").path))
    }
}

extension FederatedRun.Model: ExpressibleByArgument {}
extension FederatedRun.StrategyName: ExpressibleByArgument {}
extension FederatedRun.PartitionName: ExpressibleByArgument {}
