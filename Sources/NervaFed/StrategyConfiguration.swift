import Foundation
import NervaNN

/// A strategy of the literature chosen by name, with its hyperparameters: what `nerva fed
/// simulate` and `nerva fed server` build. A hyperparameter left `nil` takes the library's
/// default (`ServerOptimizer`'s learning rates).
///
/// ```swift
/// var configuration = StrategyConfiguration()
/// configuration.name = .fedadam
/// let strategy = try configuration.makeStrategy(clients: 10, seed: 7)   // FedAdam, η = 0.01
/// ```
public struct StrategyConfiguration: Sendable, Equatable {
    /// The strategies by their command-line names.
    public enum Name: String, CaseIterable, Sendable {
        case fedavg
        case fedavgUnweighted = "fedavg-unweighted"
        case fedsgd, fedprox, fedavgm, fedadam, fedyogi, fedadagrad
        case median
        case trimmedMean = "trimmed-mean"
        case krum
        case multiKrum = "multi-krum"
    }

    /// Which strategy.
    public var name: Name = .fedavg
    /// The participants' local training (`E`, `B`, learning rate, momentum).
    public var clientSettings = FitConfiguration(round: 0)
    /// `C`: the share of participants that train each round.
    public var fraction = 1.0
    /// A round with fewer usable updates keeps the previous global model.
    public var minimumResults = 1
    /// FedProx's `μ`.
    public var mu: Float = 0.01
    /// The server's learning rate (FedSGD: the clients' learning rate; FedAvgM, FedAdam, FedYogi,
    /// FedAdagrad: `ServerOptimizer`'s default) when `nil`.
    public var serverLearningRate: Float?
    /// Krum's assumed number of attackers `f`.
    public var byzantine = 1
    /// The trimmed mean's `β`: the share cut at each end.
    public var trimmedMeanBeta = 0.1
    /// DP-FedAvg around the strategy (`DifferentiallyPrivateStrategy`) when set.
    public var privacy: DifferentialPrivacy?

    public init() {}

    /// The participants training each round out of `clients`.
    public func participantsPerRound(clients: Int) -> Int {
        let share = fraction * Double(clients)
        return share.isFinite && share < Double(Int.max) ? max(1, Int(share)) : clients // no trap for absurd counts
    }

    /// Checks the hyperparameters, and the strategy against `clients` participants.
    ///
    /// - Throws: `ConfigurationError` naming a field out of range; `FederatedError.invalidConfiguration`
    ///   for Krum with too few participants per round, or a strategy secure aggregation cannot run.
    public func validate(clients: Int, secureAggregation: Bool = false) throws {
        try ConfigurationError.require(fraction > 0 && fraction <= 1, "fraction", fraction, allowed: "in (0, 1]")
        try ConfigurationError.check("local epochs", clientSettings.localEpochs, atLeast: 1)
        try ConfigurationError.check("batch size", clientSettings.batchSize, atLeast: 1)
        try ConfigurationError.check("learning rate", clientSettings.learningRate, positive: true)
        try ConfigurationError.check("momentum", clientSettings.momentum, in: 0..<1)
        try ConfigurationError.check("mu", mu, positive: false)
        if let serverLearningRate {
            try ConfigurationError.check("server learning rate", serverLearningRate, positive: true)
        }
        try ConfigurationError.check("byzantine", byzantine, atLeast: 0)
        try ConfigurationError.check("minimum results", minimumResults, atLeast: 1)
        try ConfigurationError.require(
            trimmedMeanBeta >= 0 && trimmedMeanBeta < 0.5, "trimmed-mean beta", trimmedMeanBeta,
            allowed: "in [0, 0.5)")
        let perRound = participantsPerRound(clients: clients)
        // Krum needs n > 2f + 2, written so that no f overflows.
        if name == .krum || name == .multiKrum, perRound < 3 || byzantine > (perRound - 3) / 2 {
            let needed = byzantine < Int.max / 4 ? "\(2 * byzantine + 2)" : "2 × \(byzantine) + 2"
            throw FederatedError.invalidConfiguration(
                "\(name.rawValue) with f = \(byzantine) needs more than \(needed) clients per round, got \(perRound)")
        }
        if let problem = baseStrategy(clients: clients, seed: 0).secureAggregationProblem,
            secureAggregation || privacy != nil
        {
            throw FederatedError.invalidConfiguration(problem)
        }
        if secureAggregation, perRound < 2 {
            throw FederatedError.invalidConfiguration(
                "secure aggregation needs at least 2 clients per round, got \(perRound)")
        }
    }

    /// The strategy, wrapped in DP-FedAvg when `privacy` is set.
    ///
    /// - Throws: `FederatedError.invalidConfiguration` when `privacy` is set for a robust rule.
    public func makeStrategy(clients: Int, seed: UInt64) throws -> any SecureAggregationStrategy {
        let base = baseStrategy(clients: clients, seed: seed)
        guard let privacy else { return base }
        return try DifferentiallyPrivateStrategy(wrapping: base, privacy: privacy)
    }

    /// The named strategy without differential privacy.
    public func baseStrategy(clients: Int, seed: UInt64) -> FederatedStrategy {
        let settings = clientSettings
        let sampling = ClientSampling(fraction: fraction, minimumResults: minimumResults)
        func adaptive(_ optimizer: ServerOptimizer) -> FederatedStrategy {
            .withServerOptimizer(optimizer, clientSettings: settings, sampling: sampling, seed: seed)
        }
        switch name {
        case .fedavg: return .fedAvg(clientSettings: settings, sampling: sampling, seed: seed)
        case .fedavgUnweighted:
            return .fedAvg(clientSettings: settings, sampling: sampling, weighted: false, seed: seed)
        case .fedsgd:
            return .fedSGD(
                serverLearningRate: serverLearningRate ?? settings.learningRate, clientSettings: settings,
                sampling: sampling, seed: seed)
        case .fedprox: return .fedProx(mu: mu, clientSettings: settings, sampling: sampling, seed: seed)
        case .fedavgm: return adaptive(serverLearningRate.map { .momentum(learningRate: $0) } ?? .momentum())
        case .fedadam: return adaptive(serverLearningRate.map { .adam(learningRate: $0) } ?? .adam())
        case .fedyogi: return adaptive(serverLearningRate.map { .yogi(learningRate: $0) } ?? .yogi())
        case .fedadagrad: return adaptive(serverLearningRate.map { .adagrad(learningRate: $0) } ?? .adagrad())
        case .median: return .robust(.coordinateMedian, clientSettings: settings, sampling: sampling, seed: seed)
        case .trimmedMean:
            return .robust(
                .trimmedMean(beta: trimmedMeanBeta), clientSettings: settings, sampling: sampling, seed: seed)
        case .krum:
            return .robust(
                .krum(byzantine: byzantine, selected: 1), clientSettings: settings, sampling: sampling, seed: seed)
        case .multiKrum:
            let selected = max(1, participantsPerRound(clients: clients) - byzantine)
            return .robust(
                .krum(byzantine: byzantine, selected: selected), clientSettings: settings, sampling: sampling,
                seed: seed)
        }
    }

    /// The differential privacy setting as a phrase for reports.
    public var privacySummary: String {
        privacy.map { "S = \($0.clippingNorm), z = \($0.noiseMultiplier)" } ?? "off"
    }
}
