import Foundation
import NervaTensor

/// The outcome of a round's aggregation.
public struct RoundAggregate: Sendable {
    /// The new global parameters, or `nil` to keep the previous ones (too few usable results).
    public var parameters: ParameterSet?
    /// The participants whose updates were used.
    public var accepted: [String]
    /// Every failure of the round: those passed in plus updates the strategy rejected.
    public var failures: [ParticipantFailure]
    /// Aggregated training metrics (`train_loss`, weighted by example counts) and the like.
    public var metrics: [String: Double]

    public init(
        parameters: ParameterSet?, accepted: [String], failures: [ParticipantFailure], metrics: [String: Double]
    ) {
        self.parameters = parameters
        self.accepted = accepted
        self.failures = failures
        self.metrics = metrics
    }
}

/// Evaluation results combined over participants: loss and metrics weighted by example counts.
public struct EvaluationSummary: Sendable, Equatable {
    /// `Σ nᵢ·lossᵢ / Σ nᵢ`.
    public var loss: Double
    /// The examples evaluated, over all participants.
    public var exampleCount: Int
    /// Each metric weighted by example counts.
    public var metrics: [String: Double]

    public init(loss: Double, exampleCount: Int, metrics: [String: Double]) {
        self.loss = loss
        self.exampleCount = exampleCount
        self.metrics = metrics
    }

    /// Weighted means of `results`' losses and metrics; `nil` when no example was evaluated.
    public init?(combining results: [ParticipantEvaluation]) {
        let total = results.reduce(0) { $0 + $1.exampleCount }
        guard total > 0 else { return nil }
        func mean(_ value: (ParticipantEvaluation) -> Double?) -> Double {
            results.reduce(0.0) { $0 + (value($1) ?? 0) * Double($1.exampleCount) } / Double(total)
        }
        let names = Set(results.flatMap(\.metrics.keys))
        self.init(
            loss: mean(\.loss), exampleCount: total,
            metrics: Dictionary(uniqueKeysWithValues: names.map { name in (name, mean { $0.metrics[name] }) }))
    }
}

/// How the server runs a federation, one round at a time (Flower's `Strategy`): which
/// participants train and with which settings, how their results become the next global model,
/// and how evaluations are combined. Failures arrive as data beside the results.
public protocol Strategy: AnyObject, Sendable {
    /// A short name for reports (`FedAvg`).
    var name: String { get }
    /// The participants chosen for round `round` from `available`, with their settings.
    ///
    /// - Throws: `FederatedError.tooFewParticipants` when fewer are available than required.
    func configureFit(round: Int, available: [String], generator: RandomGenerator) throws
        -> [(participant: String, configuration: FitConfiguration)]
    /// Combines the round's results with the current `global` parameters.
    func aggregateFit(
        round: Int, global: ParameterSet, results: [(participant: String, result: FitResult)],
        failures: [ParticipantFailure]
    ) -> RoundAggregate
    /// The participants asked to evaluate the global model in round `round` (none: no
    /// federated evaluation).
    func configureEvaluate(round: Int, available: [String], generator: RandomGenerator)
        -> [(participant: String, configuration: EvaluateConfiguration)]
    /// Combines the participants' evaluations.
    func aggregateEvaluate(
        round: Int, results: [(participant: String, result: ParticipantEvaluation)],
        failures: [ParticipantFailure]
    ) -> EvaluationSummary?
    /// State the strategy carries from round to round (a server optimiser's moments), by name,
    /// so a checkpoint can hold it; empty for a stateless strategy.
    var serverState: [String: [Float]] { get }
    /// Restores `serverState` from a checkpoint.
    func restoreServerState(_ state: [String: [Float]])
}

extension Strategy {
    public var serverState: [String: [Float]] { [:] }
    public func restoreServerState(_ state: [String: [Float]]) {}
}

/// Which participants take part in a round (Flower's `fraction_fit`, `min_fit_clients`,
/// `min_available_clients`).
public struct ClientSampling: Sendable, Equatable {
    /// `C`: the share of available participants chosen each round.
    public var fraction: Double
    /// Never fewer than this many participants per round.
    public var minimumParticipants: Int
    /// A round needs at least this many available participants.
    public var minimumAvailable: Int
    /// A round whose usable results are fewer than this keeps the previous global model.
    public var minimumResults: Int

    public init(fraction: Double = 1, minimumParticipants: Int = 1, minimumAvailable: Int = 1, minimumResults: Int = 1)
    {
        precondition(fraction > 0 && fraction <= 1, "ClientSampling: the fraction must be in (0, 1], got \(fraction).")
        precondition(
            minimumParticipants >= 1 && minimumResults >= 1, "ClientSampling: minimum counts must be at least 1.")
        self.fraction = fraction
        self.minimumParticipants = minimumParticipants
        self.minimumAvailable = minimumAvailable
        self.minimumResults = minimumResults
    }

    /// `max(⌊C·available⌋, minimumParticipants)` participants drawn without replacement, in the
    /// order of `available`.
    ///
    /// - Throws: `FederatedError.tooFewParticipants`.
    public func sample(_ available: [String], generator: RandomGenerator) throws -> [String] {
        let required = max(minimumAvailable, minimumParticipants)
        guard available.count >= required else {
            throw FederatedError.tooFewParticipants(available: available.count, required: required)
        }
        let count = min(available.count, max(Int(fraction * Double(available.count) + 1e-9), minimumParticipants))
        let chosen = Set(generator.sample(count, from: available.count))
        return available.indices.filter(chosen.contains).map { available[$0] }
    }
}

/// Checks a participant's update before it is aggregated; a bad update becomes a failure with
/// a reason instead of spoiling the global model.
public struct UpdateValidation: Sendable, Equatable {
    /// The largest accepted norm of `update − global` (parameters) or of the gradient;
    /// `nil` for no limit.
    public var maximumNorm: Double?
    /// The largest example count a participant may claim (its weight in FedAvg); `nil` for no limit.
    public var maximumExampleCount: Int?

    public init(maximumNorm: Double? = 1e4, maximumExampleCount: Int? = nil) {
        self.maximumNorm = maximumNorm
        self.maximumExampleCount = maximumExampleCount
    }

    /// `nil` when `result` may be aggregated with `global`, otherwise why not.
    public func problem(with result: FitResult, global: ParameterSet, expectedKind: UpdateKind) -> ParticipantFailure
        .Reason?
    {
        guard result.kind == expectedKind else { return .wrongKind(expected: expectedKind, actual: result.kind) }
        guard result.update.layout == global.layout else {
            return .wrongLayout(Self.layoutDifference(result.update.layout, global.layout))
        }
        guard result.exampleCount > 0, result.exampleCount <= (maximumExampleCount ?? Int.max) else {
            return .invalidExampleCount(result.exampleCount)
        }
        let nonFinite = result.update.values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        guard nonFinite == 0 else { return .nonFinite(count: nonFinite) }
        if let limit = maximumNorm {
            let norm = expectedKind == .gradient ? result.update.norm : result.update.subtracting(global).norm
            guard norm <= limit else { return .normTooLarge(norm: norm, limit: limit) }
        }
        return nil
    }

    /// The first difference between two layouts, as a phrase.
    static func layoutDifference(_ actual: ParameterLayout, _ expected: ParameterLayout) -> String {
        let expectedShapes = Dictionary(uniqueKeysWithValues: expected.entries.map { ($0.name, $0.shape) })
        let actualShapes = Dictionary(uniqueKeysWithValues: actual.entries.map { ($0.name, $0.shape) })
        if let missing = expected.names.first(where: { actualShapes[$0] == nil }) {
            return "missing tensor \"\(missing)\""
        }
        if let extra = actual.names.first(where: { expectedShapes[$0] == nil }) {
            return "unexpected tensor \"\(extra)\""
        }
        if let name = expected.names.first(where: { actualShapes[$0] != expectedShapes[$0] }) {
            return "\"\(name)\" has shape \(actualShapes[name]!), expected \(expectedShapes[name]!)"
        }
        return "tensors in a different order"
    }
}
