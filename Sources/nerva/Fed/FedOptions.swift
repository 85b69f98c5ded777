import ArgumentParser
import Foundation
import NervaData
import NervaFed
import NervaNN

/// The model and strategy options shared by `nerva fed simulate` and `nerva fed server`.
struct FedStrategyOptions: ParsableArguments {
    @Option(help: "The model: \(FederatedRun.Model.allCases.map(\.rawValue).joined(separator: ", ")) (MLP 784→200→200→10 or the NIID-Bench CNN).")
    var model: FederatedRun.Model = .mlp
    @Option(help: "The strategy: \(FederatedRun.StrategyName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var strategy: FederatedRun.StrategyName = .fedavg
    @Option(parsing: .unconditional, help: "C: the share of clients that train each round.")
    var fraction = 1.0
    @Option(parsing: .unconditional, help: "E: local epochs per round.")
    var localEpochs = 1
    @Option(parsing: .unconditional, help: "B: local batch size.")
    var batchSize = 10
    @Option(parsing: .unconditional, help: "Local SGD learning rate.")
    var learningRate: Float = 0.01
    @Option(parsing: .unconditional, help: "Local SGD momentum.")
    var momentum: Float = 0
    @Option(parsing: .unconditional, help: "FedProx's μ.")
    var mu: Float = 0.01
    @Option(parsing: .unconditional, help: "The server's learning rate (FedSGD, FedAvgM, FedAdam, FedYogi, FedAdagrad).")
    var serverLearningRate: Float?
    @Option(parsing: .unconditional, help: "Krum's assumed number of attackers f.")
    var byzantine = 1
    @Option(parsing: .unconditional, help: "DP-FedAvg: clip each client's update to this norm S (enables client-level differential privacy).")
    var clipNorm: Double?
    @Option(parsing: .unconditional, help: "DP-FedAvg: Gaussian noise of standard deviation z·S/m on the mean of m clipped updates.")
    var noiseMultiplier = 0.0

    func validate() throws {
        guard fraction > 0 && fraction <= 1 else { throw ValidationError("--fraction must be in (0, 1], got \(fraction).") }
        guard localEpochs >= 1 else { throw ValidationError("--local-epochs must be at least 1, got \(localEpochs).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be positive, got \(batchSize).") }
        try rejectingInvalid {
            try ConfigurationError.check("learning rate", learningRate, positive: true)
            try ConfigurationError.check("momentum", momentum, in: 0..<1)
            try ConfigurationError.check("mu", mu, positive: false)
            if let serverLearningRate { try ConfigurationError.check("server learning rate", serverLearningRate, positive: true) }
            try DifferentialPrivacy.validate(clippingNorm: clipNorm ?? 1, noiseMultiplier: noiseMultiplier)
        }
        guard byzantine >= 0 else { throw ValidationError("--byzantine must be non-negative, got \(byzantine).") }
        if noiseMultiplier > 0 && clipNorm == nil { throw ValidationError("--noise-multiplier needs --clip-norm S.") }
    }

    /// Checks the strategy against the number of clients per round.
    func validate(clients: Int) throws {
        if strategy == .krum || strategy == .multiKrum {
            let perRound = max(1, Int(fraction * Double(clients)))
            guard perRound > 2 * byzantine + 2 else {
                throw ValidationError("--strategy \(strategy.rawValue) with --byzantine \(byzantine) needs more than \(2 * byzantine + 2) clients per round, got \(perRound).")
            }
        }
    }

    /// These settings in `run`.
    func apply(to run: inout FederatedRun) {
        run.model = model
        run.strategy = strategy
        run.fraction = fraction
        run.localEpochs = localEpochs
        run.batchSize = batchSize
        run.learningRate = learningRate
        run.momentum = momentum
        run.mu = mu
        run.serverLearningRate = serverLearningRate
        run.byzantine = byzantine
        run.clippingNorm = clipNorm
        run.noiseMultiplier = noiseMultiplier
    }
}

/// The data and partition options shared by `nerva fed simulate` and `nerva fed client`, so a
/// client process holds exactly the share a simulated client would.
struct FedPartitionOptions: ParsableArguments {
    @Option(help: "How the data is split: \(FederatedRun.PartitionName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var partition: FederatedRun.PartitionName = .iid
    @Option(parsing: .unconditional, help: "β of the Dirichlet (label or quantity) skew.")
    var beta = 0.5
    @Option(parsing: .unconditional, help: "Classes per client for --partition labels.")
    var labelsPerClient = 2
    @Option(parsing: .unconditional, help: "Shards per client for --partition shards (McMahan et al.: 2).")
    var shardsPerClient = 2
    @Option(parsing: .unconditional, help: "Use only the first N training images (before partitioning).")
    var limit: Int?
    @Option(help: "The Fashion-MNIST folder (default \(FashionMNIST.defaultDirectory.path)).")
    var data: String?

    func validate() throws {
        try rejectingInvalid { try ConfigurationError.check("beta", beta, positive: true) }
        guard (1...10).contains(labelsPerClient) else { throw ValidationError("--labels-per-client must be in 1...10, got \(labelsPerClient).") }
        guard shardsPerClient >= 1 else { throw ValidationError("--shards-per-client must be at least 1, got \(shardsPerClient).") }
    }

    /// Checks that `parts` partitions get at least 10 images each.
    func validate(parts: Int, flag: String) throws {
        if let limit, limit / 10 < parts {   // not parts * 10, which overflows for huge part counts
            let needed = parts.multipliedReportingOverflow(by: 10)
            throw ValidationError("--limit must give each \(flag) at least 10 images: at least \(needed.overflow ? "\(parts) × 10" : "\(needed.partialValue)"), got \(limit).")
        }
    }

    /// The Fashion-MNIST folder.
    var directory: URL { data.map { URL(fileURLWithPath: $0) } ?? FashionMNIST.defaultDirectory }

    /// These settings in `run`.
    func apply(to run: inout FederatedRun) {
        run.partition = partition
        run.beta = beta
        run.labelsPerClient = labelsPerClient
        run.shardsPerClient = shardsPerClient
        run.limit = limit
    }
}

/// ε for people: three significant digits, or "∞ (no noise, no guarantee)" for clipping without noise.
func epsilonText(_ epsilon: Double) -> String {
    epsilon.isFinite ? String(format: "%.3g", epsilon) : "∞ (no noise, no guarantee)"
}
