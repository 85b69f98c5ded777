import Foundation
import NervaNN
import NervaTensor

/// An error a participant throws when it could not take part, carrying the failure's reason
/// (`.timedOut`, or `.error("vanished…")` for a networked participant whose heartbeats stopped).
/// The round driver records exactly this reason instead of the error's text.
public struct ParticipantUnavailable: Error, CustomStringConvertible {
    /// Why the participant did not answer.
    public let reason: ParticipantFailure.Reason

    public init(_ reason: ParticipantFailure.Reason) { self.reason = reason }

    public var description: String { reason.description }
}

/// The server's round loop, independent of where the participants live: configure, train in
/// parallel, aggregate, evaluate. `FederatedSimulation` drives it with participants in the
/// process; `FederationServer` drives it with participants reached over HTTP.
///
/// Its state is what a server checkpoints: the global parameters, the number of finished
/// rounds and the sampling generator.
public final class FederatedRounds {
    /// The architecture every participant trains.
    public let model: ModelDescription
    /// The server's strategy.
    public let strategy: any Strategy
    /// At most this many participants are asked at once (threads).
    public let concurrency: Int
    /// The server's evaluation of the global model on its own data, after each round.
    public let centralEvaluation: (@Sendable (ParameterSet) throws -> ParticipantEvaluation)?
    /// The current global parameters.
    public private(set) var global: ParameterSet
    /// The number of rounds finished so far.
    public private(set) var completedRounds: Int
    /// The generator that samples participants (save its `snapshot` to resume a run exactly).
    public let generator: RandomGenerator
    /// When set, the server only ever sees the sum of the participants' updates
    /// (`SecureAggregation`); the strategy must be a `SecureAggregationStrategy`.
    public let secureAggregation: SecureAggregationSettings?

    /// - Parameters:
    ///   - model: the architecture every participant trains.
    ///   - strategy: the server's strategy.
    ///   - global: the parameters to start from.
    ///   - completedRounds: rounds already finished (a resumed run continues with the next one).
    ///   - generator: samples the participants of each round.
    ///   - concurrency: how many participants train at once.
    ///   - secureAggregation: run every round under secure aggregation.
    ///   - centralEvaluation: the server's evaluation of each new global model on its own data.
    /// - Throws: `FederatedError.invalidConfiguration` when `secureAggregation` is set and the
    ///   strategy cannot aggregate from a sum.
    public init(
        model: ModelDescription, strategy: any Strategy, global: ParameterSet, completedRounds: Int = 0,
        generator: RandomGenerator, concurrency: Int, secureAggregation: SecureAggregationSettings? = nil,
        centralEvaluation: (@Sendable (ParameterSet) throws -> ParticipantEvaluation)? = nil
    ) throws {
        if secureAggregation != nil {
            guard let secure = strategy as? any SecureAggregationStrategy else {
                throw FederatedError.invalidConfiguration(
                    "secure aggregation: \(strategy.name) cannot aggregate from a sum")
            }
            if let problem = secure.secureAggregationProblem {
                throw FederatedError.invalidConfiguration("secure aggregation: \(problem)")
            }
        }
        self.secureAggregation = secureAggregation
        self.model = model
        self.strategy = strategy
        self.global = global
        self.completedRounds = completedRounds
        self.generator = generator
        self.concurrency = max(1, concurrency)
        self.centralEvaluation = centralEvaluation
    }

    /// Runs the next round with the participants `available` (in a fixed order), reached through
    /// `participant`. A participant that throws, or that `participant` cannot find, becomes a
    /// failure with a reason; the round goes on without it.
    ///
    /// - Throws: `FederatedError.tooFewParticipants` when the strategy cannot start the round,
    ///   or an error of the central evaluation.
    public func runRound(available: [String], participant: @escaping @Sendable (String) -> (any FederatedParticipant)?)
        throws
        -> RoundReport
    {
        let start = Date()
        let round = completedRounds + 1
        let plan = try strategy.configureFit(round: round, available: available, generator: generator)
        let instructions = plan.map {
            FitInstruction(model: model, parameters: global, configuration: $0.configuration)
        }
        let aggregate: RoundAggregate
        if let secureAggregation, let strategy = strategy as? any SecureAggregationStrategy {
            aggregate = try secureFit(
                round: round, plan: plan.map(\.participant), instructions: instructions, strategy: strategy,
                settings: secureAggregation, participant: participant)
        } else {
            let outcomes = ThreadedWork.map(count: plan.count, threads: concurrency) {
                i -> Result<FitResult, any Error> in
                Result { try Self.reach(plan[i].participant, participant).fit(instructions[i]) }
            }
            let (results, failures) = Self.split(zip(plan.map(\.participant), outcomes))
            aggregate = strategy.aggregateFit(round: round, global: global, results: results, failures: failures)
        }
        if let parameters = aggregate.parameters { global = parameters }
        completedRounds = round

        let evaluationPlan = strategy.configureEvaluate(round: round, available: available, generator: generator)
        let current = global, description = model
        let evaluations = ThreadedWork.map(count: evaluationPlan.count, threads: concurrency) {
            i -> Result<ParticipantEvaluation, any Error> in
            Result {
                try Self.reach(evaluationPlan[i].participant, participant)
                    .evaluate(model: description, parameters: current, configuration: evaluationPlan[i].configuration)
            }
        }
        let (evaluationResults, evaluationFailures) = Self.split(zip(evaluationPlan.map(\.participant), evaluations))
        let federated =
            evaluationPlan.isEmpty
            ? nil
            : strategy.aggregateEvaluate(round: round, results: evaluationResults, failures: evaluationFailures)
        let central = try centralEvaluation?(global)
        return RoundReport(
            round: round, selected: plan.map(\.participant), accepted: aggregate.accepted, failures: aggregate.failures,
            trainMetrics: aggregate.metrics, federatedEvaluation: federated, evaluationFailures: evaluationFailures,
            centralEvaluation: central,
            isUpdated: aggregate.parameters != nil, seconds: Date().timeIntervalSince(start))
    }

    static func reach(_ name: String, _ participant: (String) -> (any FederatedParticipant)?) throws
        -> any FederatedParticipant
    {
        guard let found = participant(name) else { throw ParticipantUnavailable(.error("not connected")) }
        return found
    }

    /// Results in plan order, and failures with their reasons.
    static func split<T>(_ outcomes: some Sequence<(String, Result<T, any Error>)>)
        -> (results: [(participant: String, result: T)], failures: [ParticipantFailure])
    {
        var results: [(participant: String, result: T)] = [], failures: [ParticipantFailure] = []
        for (name, outcome) in outcomes {
            switch outcome {
            case .success(let result): results.append((name, result))
            case .failure(let error as ParticipantUnavailable):
                failures.append(ParticipantFailure(participant: name, reason: error.reason))
            case .failure(let error): failures.append(ParticipantFailure(participant: name, reason: .error("\(error)")))
            }
        }
        return (results, failures)
    }
}
