import ArgumentParser
import Foundation
import NervaData
import NervaFed
import NervaNN

/// The library's federation defaults, which the help of `fed simulate`, `fed server` and their
/// option groups quotes.
let federatedRunDefaults = FederatedRun()

/// The strategy's defaults, quoted in the help.
private let strategyDefaults = federatedRunDefaults.strategy

/// The model and strategy options shared by `nerva fed simulate` and `nerva fed server`. An
/// option left out keeps `FederatedRun`'s and `StrategyConfiguration`'s default.
struct FedStrategyOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The model: \(FashionMNISTArchitecture.allCases.map(\.rawValue).joined(separator: ", ")) "
                + "(MLP 784→200→200→10 or the NIID-Bench CNN; default \(federatedRunDefaults.model.rawValue))."))
    var model: FashionMNISTArchitecture?
    @Option(
        help:
            "The strategy: \(StrategyConfiguration.Name.allCases.map(\.rawValue).joined(separator: ", ")) (default \(strategyDefaults.name.rawValue))."
    )
    var strategy: StrategyConfiguration.Name?
    @Option(
        parsing: .unconditional,
        help: "C: the share of clients that train each round (default \(helpNumber(strategyDefaults.fraction))).")
    var fraction: Double?
    @Option(
        parsing: .unconditional,
        help: "E: local epochs per round (default \(strategyDefaults.clientSettings.localEpochs)).")
    var localEpochs: Int?
    @Option(
        parsing: .unconditional, help: "B: local batch size (default \(strategyDefaults.clientSettings.batchSize)).")
    var batchSize: Int?
    @Option(
        parsing: .unconditional,
        help: "Local SGD learning rate (default \(helpNumber(strategyDefaults.clientSettings.learningRate))).")
    var learningRate: Float?
    @Option(
        parsing: .unconditional,
        help: "Local SGD momentum (default \(helpNumber(strategyDefaults.clientSettings.momentum))).")
    var momentum: Float?
    @Option(parsing: .unconditional, help: "FedProx's μ (default \(helpNumber(strategyDefaults.mu))).")
    var mu: Float?
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The server's learning rate (FedSGD: the local one; FedAvgM 1, FedAdam and FedYogi 0.01, "
                + "FedAdagrad 0.1 unless given)."))
    var serverLearningRate: Float?
    @Option(
        parsing: .unconditional, help: "Krum's assumed number of attackers f (default \(strategyDefaults.byzantine)).")
    var byzantine: Int?
    @Option(
        parsing: .unconditional,
        help: "DP-FedAvg: clip each client's update to this norm S (enables client-level differential privacy).")
    var clipNorm: Double?
    @Option(
        parsing: .unconditional,
        help: "DP-FedAvg: Gaussian noise of standard deviation z·S/m on the mean of m clipped updates (default 0).")
    var noiseMultiplier: Double?

    func validate() throws {
        if let fraction, !(fraction > 0 && fraction <= 1) {
            throw ValidationError("--fraction must be in (0, 1], got \(fraction).")
        }
        if let localEpochs, localEpochs < 1 {
            throw ValidationError("--local-epochs must be at least 1, got \(localEpochs).")
        }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be positive, got \(batchSize).") }
        if let byzantine, byzantine < 0 { throw ValidationError("--byzantine must be non-negative, got \(byzantine).") }
        if noiseMultiplier != nil && clipNorm == nil {
            throw ValidationError("--noise-multiplier needs --clip-norm S.")
        }
        try rejectingInvalid {
            var strategy = StrategyConfiguration()
            try apply(to: &strategy)
            try strategy.validate(clients: 1_000_000) // the ranges; the client count is checked with the run
        }
    }

    /// These settings in `run`.
    func apply(to run: inout FederatedRun) throws {
        if let model { run.model = model }
        try apply(to: &run.strategy)
    }

    /// These settings in `strategy`.
    func apply(to strategy: inout StrategyConfiguration) throws {
        if let name = self.strategy { strategy.name = name }
        if let fraction { strategy.fraction = fraction }
        if let localEpochs { strategy.clientSettings.localEpochs = localEpochs }
        if let batchSize { strategy.clientSettings.batchSize = batchSize }
        if let learningRate { strategy.clientSettings.learningRate = learningRate }
        if let momentum { strategy.clientSettings.momentum = momentum }
        if let mu { strategy.mu = mu }
        if let serverLearningRate { strategy.serverLearningRate = serverLearningRate }
        if let byzantine { strategy.byzantine = byzantine }
        if let clipNorm {
            try DifferentialPrivacy.validate(clippingNorm: clipNorm, noiseMultiplier: noiseMultiplier ?? 0)
            strategy.privacy = DifferentialPrivacy(clippingNorm: clipNorm, noiseMultiplier: noiseMultiplier ?? 0)
        }
    }
}

/// The data and partition options shared by `nerva fed simulate` and `nerva fed client`, so a
/// client process holds exactly the share a simulated client would.
struct FedPartitionOptions: ParsableArguments {
    @Option(
        help:
            "How the data is split: \(PartitionScheme.Kind.allCases.map(\.rawValue).joined(separator: ", ")) (default iid)."
    )
    var partition: PartitionScheme.Kind?
    @Option(
        parsing: .unconditional,
        help: "β of the Dirichlet (label or quantity) skew (default \(PartitionScheme.defaultBeta)).")
    var beta: Double?
    @Option(
        parsing: .unconditional,
        help: "Classes per client for --partition labels (default \(PartitionScheme.defaultLabelsPerClient)).")
    var labelsPerClient: Int?
    @Option(
        parsing: .unconditional,
        help: "Shards per client for --partition shards (McMahan et al.: \(PartitionScheme.defaultShardsPerClient)).")
    var shardsPerClient: Int?
    @Option(parsing: .unconditional, help: "Use only the first N training images (before partitioning).")
    var limit: Int?
    @Option(help: "The Fashion-MNIST folder (default \(FashionMNIST.defaultDirectory.path)).")
    var data: String?

    func validate() throws {
        if let beta { try rejectingInvalid { try ConfigurationError.check("beta", beta, positive: true) } }
        if let labelsPerClient, !(1...10).contains(labelsPerClient) {
            throw ValidationError("--labels-per-client must be in 1...10, got \(labelsPerClient).")
        }
        if let shardsPerClient, shardsPerClient < 1 {
            throw ValidationError("--shards-per-client must be at least 1, got \(shardsPerClient).")
        }
    }

    /// Checks that `parts` partitions get at least 10 images each.
    func validate(parts: Int, flag: String) throws {
        if let limit, limit / 10 < parts { // not parts * 10, which overflows for huge part counts
            let needed = parts.multipliedReportingOverflow(by: 10)
            throw ValidationError(
                "--limit must give each \(flag) at least 10 images: at least "
                    + "\(needed.overflow ? "\(parts) × 10" : "\(needed.partialValue)"), got \(limit).")
        }
    }

    /// The Fashion-MNIST folder.
    var directory: URL { data.map { URL(fileURLWithPath: $0) } ?? FashionMNIST.defaultDirectory }

    /// These settings in `run`.
    func apply(to run: inout FederatedRun) {
        run.partition = PartitionScheme(
            kind: partition ?? run.partition.kind, beta: beta, labelsPerClient: labelsPerClient,
            shardsPerClient: shardsPerClient)
        run.limit = limit ?? run.limit
    }
}
