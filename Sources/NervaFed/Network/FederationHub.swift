import Foundation
import NIOCore

/// The meeting point of the server's round loop and its HTTP handlers: who is connected, which
/// task waits for which client, and the answers that came back. Handlers only take the lock
/// briefly; the round loop's threads wait on it for answers.
final class FederationHub: @unchecked Sendable {
    /// A task waiting for (or taken by) one client.
    struct Assignment: Sendable {
        let id: String
        let client: String
        let round: Int
        let kind: FederationTaskKind
        /// The encoded task, sent as it is to the client (a shared buffer, not a copy per response).
        let body: ByteBuffer
    }

    /// What came back for a task.
    enum Answer: Sendable {
        case fit(FitResult)
        case evaluation(ParticipantEvaluation)
        /// The body of a secure aggregation step, read by the round's driver.
        case secure([UInt8])
        /// The client sent a body that could not be read; the reason.
        case unreadable(String)
    }

    /// A client is gone when its last request is older than this, in seconds.
    let heartbeatTimeout: Double
    private let condition = NSCondition()
    private var lastSeen: [String: Date] = [:]
    private var assignments: [String: Assignment] = [:] // by client: one task at a time
    private var answers: [String: Answer] = [:] // by assignment id
    private var finished = false
    private var dismissed = Set<String>()
    private var completedRounds = 0
    private var latestModel: [UInt8] = []

    init(heartbeatTimeout: Double) {
        self.heartbeatTimeout = heartbeatTimeout
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    // MARK: - Handlers' side

    /// Records that `client` is alive (any authenticated request).
    func touch(_ client: String) {
        locked { lastSeen[client] = Date() }
    }

    /// The clients seen within the heartbeat timeout, sorted by name.
    func connected() -> [String] {
        let now = Date()
        return locked { lastSeen.filter { now.timeIntervalSince($0.value) <= heartbeatTimeout }.keys.sorted() }
    }

    /// The task waiting for `client`, if any.
    func assignment(for client: String) -> Assignment? {
        locked { assignments[client] }
    }

    /// Stores the answer to task `id` from `client`; `false` when no such task is waiting for
    /// that client (late, repeated or forged).
    func deliver(_ answer: Answer, task id: String, from client: String) -> Bool {
        locked {
            guard let assignment = assignments[client], assignment.id == id, answers[id] == nil else { return false }
            answers[id] = answer
            condition.broadcast()
            return true
        }
    }

    /// The task `id` if it is waiting for `client`.
    func task(_ id: String, of client: String) -> Assignment? {
        locked { assignments[client].flatMap { $0.id == id ? $0 : nil } }
    }

    var isFinished: Bool { locked { finished } }
    var rounds: Int { locked { completedRounds } }
    /// The latest global model (`WireFormat.encodeGlobalModel`).
    var model: [UInt8] { locked { latestModel } }

    /// Records that `client` was told the federation is over.
    func dismiss(_ client: String) { locked { _ = dismissed.insert(client) } }

    /// Whether every connected client was told the federation is over.
    var everyoneDismissed: Bool {
        let connected = connected()
        return locked { connected.allSatisfy(dismissed.contains) }
    }

    // MARK: - Round loop's side

    /// Publishes the global model after `rounds` rounds.
    func publish(model: [UInt8], rounds: Int) {
        locked {
            latestModel = model
            completedRounds = rounds
        }
    }

    /// Ends the federation: every later task request is answered 410 Gone.
    func finish() { locked { finished = true } }

    /// Gives `client` a task and waits for its answer.
    ///
    /// - Throws: `ParticipantUnavailable` with `.timedOut` after `timeout` seconds, or with
    ///   `.error("vanished …")` as soon as the client has been silent for the heartbeat timeout.
    func perform(_ kind: FederationTaskKind, round: Int, body: ByteBuffer, for client: String, timeout: Double) throws
        -> Answer
    {
        let assignment = Assignment(id: UUID().uuidString, client: client, round: round, kind: kind, body: body)
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer {
            if assignments[client]?.id == assignment.id { assignments[client] = nil }
            answers[assignment.id] = nil
            condition.unlock()
        }
        assignments[client] = assignment
        while true {
            if let answer = answers[assignment.id] { return answer }
            let now = Date()
            if now >= deadline { throw ParticipantUnavailable(.timedOut(seconds: timeout)) }
            let silence = now.timeIntervalSince(lastSeen[client] ?? .distantPast)
            if silence > heartbeatTimeout {
                throw ParticipantUnavailable(
                    .error(String(format: "vanished: no request or heartbeat for %.1f s", silence)))
            }
            _ = condition.wait(until: min(deadline, now.addingTimeInterval(0.1)))
        }
    }
}

/// A participant on the other end of an HTTP connection, as the round loop sees it: `fit` and
/// `evaluate` (and the steps of a secure round) hand a task to the client through the hub and
/// wait for the answer.
final class RemoteParticipant: FederatedParticipant, SecureAggregationDevice, @unchecked Sendable {
    let id: String
    private let hub: FederationHub
    private let timeout: Double

    init(id: String, hub: FederationHub, timeout: Double) {
        self.id = id
        self.hub = hub
        self.timeout = timeout
    }

    func fit(_ instruction: FitInstruction) throws -> FitResult {
        let body = ByteBuffer(bytes: try WireFormat.encode(instruction))
        switch try hub.perform(.fit, round: instruction.configuration.round, body: body, for: id, timeout: timeout) {
        case .fit(let result): return result
        case .unreadable(let problem): throw ParticipantUnavailable(.error("sent an unreadable update: \(problem)"))
        default: throw ParticipantUnavailable(.error("answered a fit task with something else"))
        }
    }

    func evaluate(model: ModelDescription, parameters: ParameterSet, configuration: EvaluateConfiguration) throws
        -> ParticipantEvaluation
    {
        let body = ByteBuffer(
            bytes: try WireFormat.encodeEvaluation(model: model, parameters: parameters, configuration: configuration))
        switch try hub.perform(.evaluate, round: configuration.round, body: body, for: id, timeout: timeout) {
        case .evaluation(let result): return result
        case .unreadable(let problem): throw ParticipantUnavailable(.error("sent an unreadable evaluation: \(problem)"))
        default: throw ParticipantUnavailable(.error("answered an evaluation task with something else"))
        }
    }

    // MARK: - Secure aggregation: one task per step

    private var round = 0

    private func secureStep(_ kind: FederationTaskKind, _ body: [UInt8]) throws -> [UInt8] {
        switch try hub.perform(kind, round: round, body: ByteBuffer(bytes: body), for: id, timeout: timeout) {
        case .secure(let bytes): return bytes
        case .unreadable(let problem):
            throw ParticipantUnavailable(.error("sent an unreadable \(kind.rawValue) answer: \(problem)"))
        default: throw ParticipantUnavailable(.error("answered a \(kind.rawValue) task with something else"))
        }
    }

    func advertiseKeys(_ setup: SecureRoundSetup) throws -> AdvertisedKeys {
        round = setup.round
        return try SecureAggregationWire.decode(
            AdvertisedKeys.self, from: secureStep(.secureKeys, SecureAggregationWire.json(setup)))
    }

    func shareKeys(roster: [AdvertisedKeys]) throws -> [EncryptedShares] {
        try SecureAggregationWire.decode(
            [EncryptedShares].self, from: secureStep(.secureShares, SecureAggregationWire.json(roster)))
    }

    func maskedInput(_ instruction: FitInstruction, received: [EncryptedShares], rule: SecureInputRule?) throws
        -> MaskedInput
    {
        try SecureAggregationWire.decodeMaskedInput(
            secureStep(
                .secureMaskedInput,
                SecureAggregationWire.encodeMaskingTask(instruction, received: received, rule: rule)))
    }

    func unmask(survivors: Set<Int>) throws -> UnmaskingShares {
        try SecureAggregationWire.decode(
            UnmaskingShares.self,
            from: secureStep(
                .secureUnmask,
                SecureAggregationWire.json(SecureAggregationWire.UnmaskingTask(survivors: survivors.sorted()))))
    }
}
