import Foundation
import NervaTensor
import Synchronization

/// The strategies of the literature as one configurable type: sample participants, train them
/// with `clientSettings`, validate their updates, combine them with an `Aggregation`, and apply
/// the result with a `ServerOptimizer`.
///
/// | strategy | aggregation | server optimiser | client |
/// |---|---|---|---|
/// | FedAvg (McMahan et al. 2017, https://arxiv.org/abs/1602.05629) | weighted mean | average | parameters |
/// | FedSGD (same paper) | weighted mean | average, `η` = server step | gradient |
/// | FedProx (Li et al. 2020) | weighted mean | average | parameters, `μ > 0` |
/// | FedAvgM | weighted mean | momentum | parameters |
/// | FedAdam / FedYogi / FedAdagrad | weighted mean | adam / yogi / adagrad | parameters |
/// | median, trimmed mean, Krum | robust rules | average | parameters |
///
/// ```swift
/// let strategy = FederatedStrategy.fedAvg(clientSettings: .init(round: 0, localEpochs: 1, batchSize: 10),
///                                         sampling: ClientSampling(fraction: 0.1), seed: 7)
/// ```
public final class FederatedStrategy: Strategy {
    public let name: String
    /// Participant selection and minimum counts.
    public let sampling: ClientSampling
    /// The local training settings sent to every participant (the round and seed are filled in).
    public let clientSettings: FitConfiguration
    /// How updates are combined.
    public let aggregation: Aggregation
    /// How the combined update moves the global model.
    public let serverOptimizer: ServerOptimizer
    /// Which updates are rejected.
    public let validation: UpdateValidation
    /// The share of participants asked to evaluate each round (0: none).
    public let evaluationFraction: Double
    /// Derives each participant's per-round seed.
    public let seed: UInt64

    private let state = Mutex(ServerOptimizerState())

    public init(
        name: String, sampling: ClientSampling = ClientSampling(), clientSettings: FitConfiguration,
        aggregation: Aggregation = .weightedMean, serverOptimizer: ServerOptimizer = .average(),
        validation: UpdateValidation = UpdateValidation(), evaluationFraction: Double = 0, seed: UInt64 = 0
    ) {
        precondition(
            evaluationFraction >= 0 && evaluationFraction <= 1,
            "FederatedStrategy: evaluation fraction must be in [0, 1].")
        self.name = name
        self.sampling = sampling
        self.clientSettings = clientSettings
        self.aggregation = aggregation
        self.serverOptimizer = serverOptimizer
        self.validation = validation
        self.evaluationFraction = evaluationFraction
        self.seed = seed
    }

    // MARK: - Round phases

    public func configureFit(round: Int, available: [String], generator: RandomGenerator) throws
        -> [(participant: String, configuration: FitConfiguration)]
    {
        try sampling.sample(available, generator: generator).map {
            ($0, clientSettings.forRound(round, participant: $0, strategySeed: seed))
        }
    }

    public func aggregateFit(
        round: Int, global: ParameterSet, results: [(participant: String, result: FitResult)],
        failures: [ParticipantFailure]
    ) -> RoundAggregate {
        var failures = failures
        var accepted: [(participant: String, result: FitResult)] = []
        for (participant, result) in results {
            if let reason = validation.problem(with: result, global: global, expectedKind: clientSettings.updateKind) {
                failures.append(ParticipantFailure(participant: participant, reason: reason))
            } else {
                accepted.append((participant, result))
            }
        }
        var metrics = Self.weightedMetrics(accepted.map(\.result))
        metrics["accepted"] = Double(accepted.count)
        metrics["failures"] = Double(failures.count)
        guard accepted.count >= sampling.minimumResults, !accepted.isEmpty else {
            return RoundAggregate(parameters: nil, accepted: [], failures: failures, metrics: metrics)
        }
        var delta = aggregation.combine(
            accepted.map(\.result.update.values), weights: accepted.map(\.result.exampleCount))
        switch clientSettings.updateKind {
        case .parameters: for i in delta.indices { delta[i] -= global.values[i] }
        case .gradient: for i in delta.indices { delta[i] = -delta[i] }
        }
        let values = applyServerOptimizer(global: global.values, delta: delta)
        return RoundAggregate(
            parameters: ParameterSet(layout: global.layout, values: values),
            accepted: accepted.map(\.participant), failures: failures, metrics: metrics)
    }

    public var serverState: [String: [Float]] { state.withLock { $0.tensors } }

    public func restoreServerState(_ saved: [String: [Float]]) {
        state.withLock { $0 = ServerOptimizerState(tensors: saved) }
    }

    public func configureEvaluate(round: Int, available: [String], generator: RandomGenerator)
        -> [(participant: String, configuration: EvaluateConfiguration)]
    {
        guard evaluationFraction > 0, !available.isEmpty else { return [] }
        let count = max(1, Int(evaluationFraction * Double(available.count) + 1e-9))
        let chosen = Set(generator.sample(min(count, available.count), from: available.count))
        return available.indices.filter(chosen.contains).map { (available[$0], EvaluateConfiguration(round: round)) }
    }

    public func aggregateEvaluate(
        round: Int, results: [(participant: String, result: ParticipantEvaluation)],
        failures: [ParticipantFailure]
    ) -> EvaluationSummary? {
        EvaluationSummary(combining: results.map(\.result))
    }

    // MARK: - Helpers

    /// Moves `global` by the aggregated `delta` with the server optimiser (and its state).
    func applyServerOptimizer(global: [Float], delta: [Float]) -> [Float] {
        state.withLock { $0.apply(serverOptimizer, global: global, delta: delta) }
    }

    /// Training metrics averaged with example-count weights.
    static func weightedMetrics(_ results: [FitResult]) -> [String: Double] {
        let total = Double(results.reduce(0) { $0 + $1.exampleCount })
        guard total > 0 else { return [:] }
        var metrics: [String: Double] = [:]
        for result in results {
            for (name, value) in result.metrics {
                metrics[name, default: 0] += value * Double(result.exampleCount) / total
            }
        }
        return metrics
    }

    /// A seed that depends only on the strategy's seed, the round and the participant's name, so
    /// a participant's local training replays exactly whatever else happens in the round.
    static func seed(_ base: UInt64, round: Int, participant: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 // FNV-1a of the name
        for byte in participant.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var x = base ^ hash ^ (UInt64(truncatingIfNeeded: round) &* 0x9E37_79B9_7F4A_7C15)
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }
}

// MARK: - The named strategies

extension FederatedStrategy {
    /// FedAvg: example-weighted mean of the trained parameters (`weighted: false` for the plain mean).
    public static func fedAvg(
        clientSettings: FitConfiguration, sampling: ClientSampling = ClientSampling(),
        weighted: Bool = true, seed: UInt64 = 0
    ) -> FederatedStrategy {
        FederatedStrategy(
            name: weighted ? "FedAvg" : "FedAvg (unweighted)", sampling: sampling, clientSettings: clientSettings,
            aggregation: weighted ? .weightedMean : .mean, seed: seed)
    }

    /// FedSGD: participants send the gradient of their whole local loss; the server steps
    /// `x ← x − η·ḡ` with the example-weighted mean gradient.
    public static func fedSGD(
        serverLearningRate: Float, clientSettings: FitConfiguration,
        sampling: ClientSampling = ClientSampling(), seed: UInt64 = 0
    ) -> FederatedStrategy {
        var settings = clientSettings
        settings.updateKind = .gradient
        return FederatedStrategy(
            name: "FedSGD", sampling: sampling, clientSettings: settings,
            serverOptimizer: .average(learningRate: serverLearningRate), seed: seed)
    }

    /// FedProx: FedAvg whose participants add the proximal term `μ/2 · ‖w − w_global‖²`.
    public static func fedProx(
        mu: Float, clientSettings: FitConfiguration, sampling: ClientSampling = ClientSampling(),
        seed: UInt64 = 0
    ) -> FederatedStrategy {
        precondition(mu >= 0, "FedProx: μ must be non-negative, got \(mu).")
        var settings = clientSettings
        settings.proximalMu = mu
        return FederatedStrategy(name: "FedProx (μ = \(mu))", sampling: sampling, clientSettings: settings, seed: seed)
    }

    /// A weighted-mean strategy with a server optimiser: FedAvgM, FedAdam, FedYogi, FedAdagrad.
    public static func withServerOptimizer(
        _ optimizer: ServerOptimizer, clientSettings: FitConfiguration,
        sampling: ClientSampling = ClientSampling(), seed: UInt64 = 0
    ) -> FederatedStrategy {
        let name =
            switch optimizer {
            case .average: "FedAvg"
            case .momentum: "FedAvgM"
            case .adam: "FedAdam"
            case .yogi: "FedYogi"
            case .adagrad: "FedAdagrad"
            }
        return FederatedStrategy(
            name: name, sampling: sampling, clientSettings: clientSettings, serverOptimizer: optimizer, seed: seed)
    }

    /// A robust strategy: the parameters combined by `aggregation` (median, trimmed mean, Krum).
    public static func robust(
        _ aggregation: Aggregation, clientSettings: FitConfiguration,
        sampling: ClientSampling = ClientSampling(), seed: UInt64 = 0
    ) -> FederatedStrategy {
        FederatedStrategy(
            name: aggregation.description, sampling: sampling, clientSettings: clientSettings,
            aggregation: aggregation, seed: seed)
    }
}
