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
        /// The encoded task, in parts sent one after another as they are (shared buffers, not a
        /// copy per response).
        let body: [ByteBuffer]
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
    private var latestModel = ByteBuffer()

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

    /// The task waiting for `client`, if any (not one it has answered: the round loop may not
    /// have collected the answer yet, and the client must not get the task again).
    func assignment(for client: String) -> Assignment? {
        locked { assignments[client].flatMap { answers[$0.id] == nil ? $0 : nil } }
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
    /// The latest global model (`WireFormat.encodeGlobalModel`), shared by every response.
    var model: ByteBuffer { locked { latestModel } }

    /// Records that `client` was told the federation is over.
    func dismiss(_ client: String) { locked { _ = dismissed.insert(client) } }

    /// Whether every connected client was told the federation is over.
    var everyoneDismissed: Bool {
        let connected = connected()
        return locked { connected.allSatisfy(dismissed.contains) }
    }

    // MARK: - Round loop's side

    /// Publishes the global model after `rounds` rounds.
    func publish(model: ByteBuffer, rounds: Int) {
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
    func perform(_ kind: FederationTaskKind, round: Int, body: [ByteBuffer], for client: String, timeout: Double) throws
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
    private let tasks: EncodedTasks

    /// - Parameter tasks: the round's encoded tasks, shared by its participants.
    init(id: String, hub: FederationHub, timeout: Double, tasks: EncodedTasks) {
        self.id = id
        self.hub = hub
        self.timeout = timeout
        self.tasks = tasks
    }

    func fit(_ instruction: FitInstruction) throws -> FitResult {
        let body = try tasks.body(for: instruction)
        switch try hub.perform(.fit, round: instruction.configuration.round, body: body, for: id, timeout: timeout) {
        case .fit(let result): return result
        case .unreadable(let problem): throw ParticipantUnavailable(.error("sent an unreadable update: \(problem)"))
        default: throw ParticipantUnavailable(.error("answered a fit task with something else"))
        }
    }

    func evaluate(model: ModelDescription, parameters: ParameterSet, configuration: EvaluateConfiguration) throws
        -> ParticipantEvaluation
    {
        let body = try tasks.body(model: model, parameters: parameters, configuration: configuration)
        switch try hub.perform(.evaluate, round: configuration.round, body: body, for: id, timeout: timeout) {
        case .evaluation(let result): return result
        case .unreadable(let problem): throw ParticipantUnavailable(.error("sent an unreadable evaluation: \(problem)"))
        default: throw ParticipantUnavailable(.error("answered an evaluation task with something else"))
        }
    }

    // MARK: - Secure aggregation: one task per step

    private var round = 0

    private func secureStep(_ kind: FederationTaskKind, _ body: [UInt8]) throws -> [UInt8] {
        switch try hub.perform(kind, round: round, body: [ByteBuffer(bytes: body)], for: id, timeout: timeout) {
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

/// The encoded tasks of one round. A round sends one global model to every client, each with
/// settings of its own (a seed, say): the model's elements are encoded once and every task is
/// sent as a header of its own followed by those shared bytes (the same buffer, not a copy per
/// client).
final class EncodedTasks: @unchecked Sendable {
    private let lock = NSLock()
    /// The last parameters encoded and their elements as they are in the message.
    private var shared: (parameters: ParameterSet, elements: ByteBuffer)?

    init() {}

    /// The fit instruction's message (`WireFormat.encode`), in parts to send one after another.
    func body(for instruction: FitInstruction) throws -> [ByteBuffer] {
        try parts(instruction.parameters, metadata: WireFormat.metadata(of: instruction))
    }

    /// The evaluation request's message (`WireFormat.encodeEvaluation`), in parts.
    func body(model: ModelDescription, parameters: ParameterSet, configuration: EvaluateConfiguration) throws
        -> [ByteBuffer]
    {
        try parts(parameters, metadata: WireFormat.evaluationMetadata(model: model, configuration: configuration))
    }

    private func parts(_ parameters: ParameterSet, metadata: [String: String]) throws -> [ByteBuffer] {
        lock.lock()
        defer { lock.unlock() }
        if let shared, Self.sameStorage(shared.parameters, parameters) {
            return [ByteBuffer(bytes: try parameters.encodedHeader(metadata: metadata)), shared.elements]
        }
        let message = try parameters.encodedBuffer(metadata: metadata)
        let headerBytes = 8 + Int(message.getInteger(at: message.readerIndex, endianness: .little, as: UInt64.self)!)
        shared = (
            parameters,
            message.getSlice(at: message.readerIndex + headerBytes, length: message.readableBytes - headerBytes)!
        )
        return [message]
    }

    /// Whether `a` and `b` share their values' storage (copies of one value that neither
    /// changed): then they hold the same bits. The cache keeps its copy alive, so the storage
    /// cannot be freed and reused for other values meanwhile.
    private static func sameStorage(_ a: ParameterSet, _ b: ParameterSet) -> Bool {
        guard a.layout == b.layout else { return false }
        return a.values.withUnsafeBufferPointer { x in
            b.values.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress && x.count == y.count }
        }
    }
}
