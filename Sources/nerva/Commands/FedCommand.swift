import ArgumentParser
import Foundation
import NervaData
import NervaFed

/// `nerva fed`: federated learning. `simulate` runs many participants in one process.
struct FedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fed",
        abstract: "Federated learning: simulate a federation of clients that keep their data private.",
        subcommands: [
            FedSimulateCommand.self, FedServerCommand.self, FedClientCommand.self, FedRecommendCommand.self,
            FlowerClientCommand.self
        ]
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

    @OptionGroup(title: "Model and strategy") var training: FedStrategyOptions
    @OptionGroup(title: "Data and partition") var split: FedPartitionOptions
    @Option(parsing: .unconditional, help: "The number of clients (default \(federatedRunDefaults.clients)).")
    var clients: Int?
    @Option(parsing: .unconditional, help: "Communication rounds (default \(federatedRunDefaults.rounds)).")
    var rounds: Int?
    @Option(parsing: .unconditional, help: "Evaluate on only the first N test images.")
    var testLimit: Int?
    @Option(parsing: .unconditional, help: "Threads training clients at once (default: one per core).")
    var threads: Int?
    @Flag(help: "Send every message through the safetensors wire format, as a networked federation would.")
    var wire = false
    @Flag(
        help:
            "Secure aggregation (Bonawitz et al.): the server only sees the sum of each round's updates, never one client's."
    )
    var secureAggregation = false
    @Option(help: "Output folder (default ./nerva-out/fed-simulate-<timestamp>).")
    var out: String?
    @Option(parsing: .unconditional, help: "Random seed (default \(federatedRunDefaults.seed)).")
    var seed: UInt64?

    /// The run these options describe: `FederatedRun`'s defaults, overridden by the options given.
    func makeRun() throws -> FederatedRun {
        var run = FederatedRun()
        if let clients { run.clients = clients }
        if let rounds { run.rounds = rounds }
        if let seed { run.seed = seed }
        run.testLimit = testLimit
        run.threads = threads
        run.overWire = wire
        run.secureAggregation = secureAggregation
        try training.apply(to: &run)
        split.apply(to: &run)
        return run
    }

    func validate() throws {
        if let clients, clients < 1 { throw ValidationError("--clients must be at least 1, got \(clients).") }
        if let rounds, rounds < 1 { throw ValidationError("--rounds must be at least 1, got \(rounds).") }
        if let testLimit, testLimit < 1 { throw ValidationError("--test-limit must be positive, got \(testLimit).") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        try rejectingInvalid {
            let run = try makeRun()
            try split.validate(parts: run.clients, flag: "client")
            try run.validate()
        }
    }

    func run() throws {
        let configuration = try makeRun()
        let folder = try RunFolder(command: "fed-simulate", out: out, settings: configuration.settings)
        print("nerva fed simulate → \(folder.url.path)")
        let dataset = try FashionMNIST(directory: split.directory)
        let outcome = try configuration.run(on: dataset, folder: folder)
        let failures = outcome.reports.reduce(0) { $0 + $1.failures.count }
        folder.addTable(
            title: "Rounds", header: ["round", "test accuracy", "train loss", "accepted", "failures", "seconds"],
            rows: outcome.reports.map { r in
                [
                    String(r.round), String(format: "%.4f", r.centralEvaluation?.metrics["accuracy"] ?? 0),
                    String(format: "%.4f", r.trainMetrics["train_loss"] ?? .nan), String(r.accepted.count),
                    String(r.failures.count), String(format: "%.2f", r.seconds)
                ]
            })
        try folder.writeReport()
        print(
            String(
                format: "test accuracy after %d rounds: %.4f (%d failures); report: %@", configuration.rounds,
                outcome.finalAccuracy, failures, folder.file("index.html").path))
    }
}

extension FashionMNISTArchitecture: ExpressibleByArgument {}
extension StrategyConfiguration.Name: ExpressibleByArgument {}
extension PartitionScheme.Kind: ExpressibleByArgument {}
