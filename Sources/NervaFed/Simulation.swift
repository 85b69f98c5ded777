import Foundation
import NervaData
import NervaNN
import NervaTensor

/// What happened in one round of a federation.
public struct RoundReport: Sendable {
    /// The round number, from 1.
    public let round: Int
    /// The participants asked to train.
    public let selected: [String]
    /// The participants whose updates were aggregated.
    public let accepted: [String]
    /// Participants that failed or whose updates were rejected, with reasons.
    public let failures: [ParticipantFailure]
    /// Training metrics weighted by example counts (`train_loss`), plus `accepted` and `failures`.
    public let trainMetrics: [String: Double]
    /// The participants' evaluation of the new global model, when the strategy asked for it.
    public let federatedEvaluation: EvaluationSummary?
    /// Participants whose evaluation failed, with reasons.
    public let evaluationFailures: [ParticipantFailure]
    /// The server's own evaluation of the new global model on held-out data, when configured.
    public let centralEvaluation: ParticipantEvaluation?
    /// Whether the global model changed (enough usable results).
    public let isUpdated: Bool
    /// Wall-clock time of the round.
    public let seconds: Double
}

extension RoundReport {
    /// The round as a divergence, or `nil`: every selected participant diverged or sent an update
    /// holding NaN or infinite values, or a training or evaluation figure of the round is not finite (a
    /// learning rate too large, on a participant or on the server), so the federation cannot
    /// learn any more.
    public var divergence: TrainingDivergedError? {
        // A participant's own `TrainingDivergedError` arrives as its message (it may have crossed the wire).
        func isDivergence(_ failure: ParticipantFailure) -> Bool {
            switch failure.reason {
            case .nonFinite: true
            case let .error(message): message.contains(" diverged at ")
            default: false
            }
        }
        let diverged = failures.filter(isDivergence)
        if !selected.isEmpty, accepted.isEmpty, diverged.count == selected.count {
            return TrainingDivergedError(
                what: "federated training", position: "round \(round)",
                detail: "all \(diverged.count) participants diverged or sent NaN or infinite values")
        }
        // A global model so far out that every evaluation of it is NaN or infinite (a huge server
        // learning rate) leaves the round without a figure.
        if federatedEvaluation == nil, !evaluationFailures.isEmpty, evaluationFailures.allSatisfy(isDivergence) {
            return TrainingDivergedError(
                what: "federated training", position: "round \(round)",
                detail:
                    "every one of the \(evaluationFailures.count) participants' evaluations of the global model was NaN or infinite"
            )
        }
        var figures = trainMetrics.map { ("training \($0.key)", $0.value) }
        figures += (federatedEvaluation?.metrics ?? [:]).map { ("federated evaluation \($0.key)", $0.value) }
        if let federatedEvaluation { figures.append(("federated evaluation loss", federatedEvaluation.loss)) }
        figures += (centralEvaluation?.metrics ?? [:]).map { ("central evaluation \($0.key)", $0.value) }
        if let centralEvaluation { figures.append(("central evaluation loss", centralEvaluation.loss)) }
        guard let (name, value) = figures.sorted(by: { $0.0 < $1.0 }).first(where: { !$0.1.isFinite }) else {
            return nil
        }
        return TrainingDivergedError(what: "federated training", position: "round \(round)", detail: "\(name) \(value)")
    }
}

/// Many participants in one process: the server's round loop, with the participants' local
/// training spread over a few threads.
///
/// Reproducible regardless of thread timing: participants are chosen by the seeded generator,
/// each one's local training is seeded by the strategy from the round and its name, results are
/// put back in selection order before aggregation, and aggregation sums in that fixed order.
///
/// ```swift
/// let simulation = FederatedSimulation(model: .mlp(), participants: clients, strategy: strategy, seed: 1,
///                                      centralEvaluation: ClassificationEvaluator(model: .mlp(), data: test).evaluate)
/// let reports = try simulation.run(rounds: 20) { report in print(report.round, report.centralEvaluation?.metrics["accuracy"] ?? 0) }
/// ```
public final class FederatedSimulation {
    /// The architecture every participant trains.
    public let model: ModelDescription
    /// The participants, by name.
    public let participants: [String: any FederatedParticipant]
    /// The participants' names in a fixed order (as given).
    public let participantNames: [String]
    /// The server's strategy.
    public let strategy: any Strategy
    /// How many participants train at once (threads).
    public let concurrency: Int
    /// The server's evaluation of the global model on its own data, after each round.
    public let centralEvaluation: (@Sendable (ParameterSet) throws -> ParticipantEvaluation)?
    /// The current global parameters.
    public var global: ParameterSet { rounds.global }
    /// The number of rounds run so far.
    public var completedRounds: Int { rounds.completedRounds }

    /// The shared round loop (also driven by `FederationServer`).
    private let rounds: FederatedRounds

    /// - Parameters:
    ///   - model: the architecture every participant trains.
    ///   - participants: the participants, with unique names.
    ///   - strategy: the server's strategy.
    ///   - seed: the initial weights and the participant sampling.
    ///   - concurrency: threads for local training (default: one per core).
    ///   - initialParameters: start from these instead of a fresh initialisation.
    ///   - secureAggregation: run every round under secure aggregation (see `FederatedRounds`).
    ///   - centralEvaluation: the server's evaluation of each new global model on its own data.
    /// - Throws: `ModelDescriptionError` for an invalid model, `FederatedError` for a strategy
    ///   that cannot aggregate securely.
    public init(
        model: ModelDescription, participants: [any FederatedParticipant], strategy: any Strategy, seed: UInt64,
        concurrency: Int? = nil, initialParameters: ParameterSet? = nil,
        secureAggregation: SecureAggregationSettings? = nil,
        centralEvaluation: (@Sendable (ParameterSet) throws -> ParticipantEvaluation)? = nil
    ) throws {
        precondition(!participants.isEmpty, "FederatedSimulation: needs at least one participant.")
        precondition(
            Set(participants.map(\.id)).count == participants.count,
            "FederatedSimulation: participant names must be unique.")
        self.model = model
        self.participants = Dictionary(uniqueKeysWithValues: participants.map { ($0.id, $0) })
        participantNames = participants.map(\.id)
        self.strategy = strategy
        self.concurrency = max(1, concurrency ?? ProcessInfo.processInfo.activeProcessorCount)
        self.centralEvaluation = centralEvaluation
        let global =
            try initialParameters ?? ParameterSet(module: model.makeModel(generator: RandomGenerator(seed: seed)))
        rounds = try FederatedRounds(
            model: model, strategy: strategy, global: global, generator: RandomGenerator(seed: seed),
            concurrency: self.concurrency, secureAggregation: secureAggregation,
            centralEvaluation: centralEvaluation)
    }

    /// Runs `rounds` more rounds, calling `onRound` after each.
    @discardableResult
    public func run(rounds count: Int, onRound: (RoundReport) throws -> Void = { _ in }) throws -> [RoundReport] {
        var reports: [RoundReport] = []
        for _ in 0..<count {
            let report = try runRound()
            reports.append(report)
            try onRound(report)
        }
        return reports
    }

    /// Runs the next round: configure, train in parallel, aggregate, evaluate.
    ///
    /// - Throws: `FederatedError.tooFewParticipants` when the strategy cannot start the round.
    public func runRound() throws -> RoundReport {
        let participants = self.participants
        return try rounds.runRound(available: participantNames) { participants[$0] }
    }
}

/// The server-side ("centralised") evaluation of a classifier on held-out data.
public final class ClassificationEvaluator: @unchecked Sendable {
    private let model: Sequential
    private let data: LabeledImages
    private let lock = NSLock()

    /// - Throws: `ModelDescriptionError` for an invalid model.
    public init(model description: ModelDescription, data: LabeledImages) throws {
        model = try description.makeModel(generator: RandomGenerator(seed: 0))
        self.data = data
    }

    /// Loss and accuracy of `parameters` on the data.
    public func evaluate(_ parameters: ParameterSet) throws -> ParticipantEvaluation {
        lock.lock()
        defer { lock.unlock() }
        try model.load(parameters)
        let (loss, accuracy) = ClassificationParticipant.evaluate(model, data: data, indices: Array(0..<data.count))
        return ParticipantEvaluation(loss: loss, exampleCount: data.count, metrics: ["accuracy": accuracy])
    }
}

/// Runs independent jobs on a few threads of their own.
enum ThreadedWork {
    /// `body(0..<count)` on up to `threads` threads (the caller's included), results in index order.
    static func map<T>(count: Int, threads: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        guard count > 0 else { return [] }
        let threads = min(threads, count)
        let slots = UnsafeMutablePointer<T?>.allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
        defer {
            slots.deinitialize(count: count)
            slots.deallocate()
        }
        if threads == 1 {
            for i in 0..<count { slots[i] = body(i) }
        } else {
            let next = NextIndex()
            let box = UnsafeSendable(slots)
            let group = DispatchGroup()
            let work: @Sendable () -> Void = {
                while let i = next.take(below: count) { box.pointer[i] = body(i) }
            }
            for _ in 1..<threads {
                group.enter()
                let thread = Thread {
                    work()
                    group.leave()
                }
                thread.stackSize = 16 << 20
                thread.start()
            }
            work()
            group.wait()
        }
        return (0..<count).map { slots[$0]! }
    }

    private final class NextIndex: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func take(below count: Int) -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard value < count else { return nil }
            defer { value += 1 }
            return value
        }
    }

    private struct UnsafeSendable<T>: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<T?>
        init(_ pointer: UnsafeMutablePointer<T?>) { self.pointer = pointer }
    }
}
