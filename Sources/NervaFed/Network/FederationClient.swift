import Foundation
import NIOCore
import NervaNN
import NervaTensor

/// Deliberate misbehaviour of a client, to rehearse a server's robustness (`nerva fed client --fault`).
public enum FederationClientFault: String, Sendable, CaseIterable {
    /// Sends an update full of NaN.
    case nan
    /// Sends an update without its last tensor.
    case wrongShape = "wrong-shape"
    /// Sends an update a million times too large.
    case hugeNorm = "huge-norm"
    /// Sends a truncated safetensors body.
    case garbage
    /// Takes its first training task (under secure aggregation: its masked-input task, after
    /// sharing its keys), keeps sending heartbeats and never answers (kill it, or let the round time out).
    case hang
}

/// How a `FederationClient` reaches its server.
public struct FederationClientConfiguration: Sendable {
    /// The server's base URL, `http://host:port` or `https://host:port`.
    public var server: String
    /// The bearer token from the server's credentials file.
    public var token: String?
    /// The name to use with a server without credentials.
    public var name: String?
    /// A PEM file of the certificates that may sign the server's certificate (a self-signed server
    /// certificate itself); `nil` trusts the system's roots.
    public var rootCertificatesPath: String?
    /// The first wait after a failed connection; it doubles up to `maximumBackoff`.
    public var initialBackoff = 0.25
    /// The longest wait between reconnection attempts.
    public var maximumBackoff = 8.0
    /// Give up after this many seconds without reaching the server.
    public var giveUpAfter = 120.0
    /// How long one request for a task waits on the server (long polling).
    public var pollSeconds = 2.0
    /// Deliberate misbehaviour, for robustness rehearsals.
    public var fault: FederationClientFault?
    /// Seeds the jitter of the reconnection waits.
    public var seed: UInt64 = 0

    /// Throws `ConfigurationError` unless every wait is positive and at most a week
    /// (`FederationServerConfiguration.maximumTimeout`).
    public func validate() throws {
        let waits = [
            ("initial backoff", initialBackoff), ("maximum backoff", maximumBackoff), ("give-up time", giveUpAfter),
            ("poll time", pollSeconds)
        ]
        for (name, seconds) in waits {
            try ConfigurationError.require(
                seconds > 0 && seconds <= FederationServerConfiguration.maximumTimeout, name, seconds,
                allowed: "positive and at most \(Int(FederationServerConfiguration.maximumTimeout)) seconds (a week)")
        }
    }

    public init(server: String, token: String? = nil, name: String? = nil) {
        self.server = server
        self.token = token
        self.name = name
    }
}

/// A client that cannot go on: every case says why.
public enum FederationClientError: Error, CustomStringConvertible, Equatable {
    case unauthorized(String)
    case unreachable(server: String, seconds: Double, problem: String)
    case invalidServer(String)
    case tls(path: String, problem: String)

    public var description: String {
        switch self {
        case let .unauthorized(message): "the server refused the credential: \(message)"
        case let .unreachable(server, seconds, problem): "cannot reach \(server) for \(Int(seconds)) s: \(problem)"
        case let .invalidServer(text): "invalid server URL \"\(text)\": expected http://host:port or https://host:port"
        case let .tls(path, problem): "cannot use \(path) as root certificates: \(problem)"
        }
    }
}

/// What a client did before the federation ended.
public struct FederationClientSummary: Sendable, Equatable {
    /// The client's identity in the federation.
    public var client: String
    /// Fit tasks answered.
    public var fitTasks: Int
    /// Evaluation tasks answered.
    public var evaluationTasks: Int
    /// The rounds the server had finished when it ended the federation.
    public var completedRounds: Int
}

/// A participant's side of a real federation: registers with a `FederationServer`, asks for
/// tasks, runs them on its `FederatedParticipant` (whose data never leaves it) and posts the
/// answers, with heartbeats while it works. When the server cannot be reached it retries with
/// exponential backoff (and jitter), so a restarted server finds its clients again.
///
/// ```swift
/// let client = try FederationClient(participant: ClassificationParticipant(id: "client-000", data: train, trainIndices: mine),
///                                   configuration: FederationClientConfiguration(server: "https://fed.example:8443", token: token))
/// let summary = try client.run { print($0) }
/// ```
public final class FederationClient: @unchecked Sendable {
    /// The participant doing the work.
    public let participant: any FederatedParticipant
    /// How to reach the server.
    public let configuration: FederationClientConfiguration
    let transport: FederationTransport
    private let jitter: RandomGenerator
    /// The last task answered and its answer, to answer a re-delivery without running it again;
    /// the answer is dropped once the server has acknowledged it (it then has it, and a model's
    /// update is megabytes).
    private var lastAnswer: (id: String, answer: ByteBuffer?)?
    /// The participant's side of secure rounds.
    private let secure: SecureAggregatingParticipant

    /// - Parameters:
    ///   - participant: the participant doing the work.
    ///   - configuration: how to reach the server.
    ///   - secureInput: the strategy's input for secure rounds, when this side knows the strategy
    ///     (a federation in one process); `nil` follows the `SecureInputRule` the server sends.
    /// - Throws: `FederationClientError.invalidServer` or `.tls`.
    public init(
        participant: any FederatedParticipant, configuration: FederationClientConfiguration,
        secureInput: (@Sendable (FitResult, ParameterSet) throws -> [Float])? = nil
    ) throws {
        try configuration.validate()
        secure = SecureAggregatingParticipant(participant: participant, secureInput: secureInput)
        self.participant = participant
        self.configuration = configuration
        transport = try FederationTransport(configuration: configuration, name: configuration.name ?? participant.id)
        jitter = RandomGenerator(seed: configuration.seed)
    }

    deinit { transport.shutdown() }

    /// Takes part until the server ends the federation.
    ///
    /// - Parameter log: receives one line per event (registration, tasks, retries, refusals).
    /// - Throws: `FederationClientError.unauthorized` (at once: retrying cannot help) or
    ///   `.unreachable` after `giveUpAfter` seconds without the server.
    public func run(log: @escaping @Sendable (String) -> Void = { _ in }) throws -> FederationClientSummary {
        let registration = try JSONDecoder().decode(
            RegistrationReply.self,
            from: Data(
                try retrying(log) { try transport.send(.post, FederationProtocol.registerPath) }.expecting(200).data))
        log("registered as \(registration.client) (server at round \(registration.completedRounds))")
        var summary = FederationClientSummary(
            client: registration.client, fitTasks: 0, evaluationTasks: 0, completedRounds: 0)
        while true {
            let reply = try retrying(log) {
                try transport.send(
                    .get, "\(FederationProtocol.taskPath)?wait=\(configuration.pollSeconds)",
                    timeout: configuration.pollSeconds + 30)
            }
            let status = reply.status
            switch status {
            case 204: continue
            case 410:
                summary.completedRounds = registration.completedRounds
                if let status = try? transport.send(.get, FederationProtocol.statusPath).expecting(200),
                    let decoded = try? JSONDecoder().decode(FederationStatus.self, from: status.data)
                {
                    summary.completedRounds = decoded.completedRounds
                }
                log("the federation is over after \(summary.completedRounds) rounds")
                return summary
            case 200:
                // Handed over: the task's bytes are freed once decoded.
                try perform(consume reply, heartbeat: registration.heartbeatSeconds, summary: &summary, log: log)
            default:
                log("unexpected answer \(status) to a task request: \(reply.errorMessage)")
                Thread.sleep(forTimeInterval: configuration.initialBackoff)
            }
        }
    }

    /// Runs one task and posts its answer.
    private func perform(
        _ task: consuming FederationTransport.Reply, heartbeat interval: Double,
        summary: inout FederationClientSummary,
        log: @escaping @Sendable (String) -> Void
    ) throws {
        let kindName = task.header(FederationProtocol.taskKindHeader)
        let kind = kindName.flatMap(FederationTaskKind.init(rawValue:))
        let id = task.header(FederationProtocol.taskIDHeader) ?? "",
            round = task.header(FederationProtocol.roundHeader) ?? "?"
        // A task delivered again (its first answer or the reply to it was lost on the way) is
        // answered again, not run again: every task runs at most once.
        if let (answeredID, answer) = lastAnswer, answeredID == id, !id.isEmpty {
            guard let answer else {
                log("round \(round): task delivered again; the server acknowledged its result already")
                return
            }
            log("round \(round): task delivered again; resending its result")
            let reply = try retrying(log) {
                try transport.send(.post, "\(FederationProtocol.resultPath)/\(id)", body: answer, timeout: 300)
            }
            if reply.status == 200 { lastAnswer = (id, nil) }
            return
        }
        let heartbeat = Heartbeat(transport: transport, interval: interval)
        defer { heartbeat.stop() }
        let answer: ByteBuffer
        let body = (consume task).body
        do {
            switch kind {
            case .fit:
                let instruction = try body.withUnsafeReadableBytes { try WireFormat.decodeFitInstruction($0) }
                _ = consume body
                log("round \(round): training")
                if configuration.fault == .hang {
                    log("round \(round): hanging on purpose (--fault hang)")
                    hangUntilTheFederationEnds()
                    return
                }
                // The instruction is freed before its answer is encoded.
                answer = try sabotaged(participant.fit(consume instruction))
                summary.fitTasks += 1
            case .evaluate:
                let request = try body.withUnsafeReadableBytes { try WireFormat.decodeEvaluation($0) }
                log("round \(round): evaluating")
                answer = ByteBuffer(
                    bytes: try JSONEncoder().encode(
                        participant.evaluate(
                            model: request.model, parameters: request.parameters,
                            configuration: request.configuration)))
                summary.evaluationTasks += 1
            case .secureKeys:
                let setup = try SecureAggregationWire.decode(SecureRoundSetup.self, from: body.readableBytesView)
                answer = ByteBuffer(bytes: try SecureAggregationWire.json(secure.advertiseKeys(setup)))
                log("round \(round): secure aggregation with \(setup.degree) neighbours of \(setup.participants)")
            case .secureShares:
                let roster = try SecureAggregationWire.decode([AdvertisedKeys].self, from: body.readableBytesView)
                answer = ByteBuffer(bytes: try SecureAggregationWire.json(secure.shareKeys(roster: roster)))
                log("round \(round): shared keys")
            case .secureMaskedInput:
                let (instruction, step) = try SecureAggregationWire.decodeMaskingTask(Array(body.readableBytesView))
                _ = consume body
                log("round \(round): training")
                if configuration.fault == .hang {
                    log("round \(round): hanging on purpose (--fault hang)")
                    hangUntilTheFederationEnds()
                    return
                }
                answer = ByteBuffer(
                    bytes: try SecureAggregationWire.encode(
                        secure.maskedInput(instruction, received: step.received, rule: step.rule)))
                summary.fitTasks += 1
            case .secureUnmask:
                let step = try SecureAggregationWire.decode(
                    SecureAggregationWire.UnmaskingTask.self, from: body.readableBytesView)
                let shares = try secure.unmask(survivors: Set(step.survivors))
                answer = ByteBuffer(bytes: try SecureAggregationWire.json(shares))
            case nil:
                log("round \(round): ignoring a task of unknown kind \(kindName ?? "none")")
                return
            }
        } catch {
            // The server's round goes on without this client; it records a time-out.
            log("round \(round): cannot do the task: \(error)")
            return
        }
        lastAnswer = (id, answer)
        let reply = try retrying(log) {
            try transport.send(.post, "\(FederationProtocol.resultPath)/\(id)", body: answer, timeout: 300)
        }
        let byteCount = answer.readableBytes
        if reply.status == 200 { lastAnswer = (id, nil) }
        switch reply.status {
        case 200: log("round \(round): sent \(kind!.rawValue) result (\(byteCount) bytes)")
        default: log("round \(round): the server refused the result (\(reply.status)): \(reply.errorMessage)")
        }
    }

    /// `--fault hang`: holds the task (heartbeats go on) until the server says the federation is over.
    private func hangUntilTheFederationEnds() {
        while true {
            Thread.sleep(forTimeInterval: 0.5)
            if let reply = try? transport.send(.get, FederationProtocol.statusPath),
                let status = try? JSONDecoder().decode(FederationStatus.self, from: reply.data), status.isFinished
            {
                return
            }
        }
    }

    /// The fit result as bytes, spoiled as `configuration.fault` says.
    private func sabotaged(_ result: FitResult) throws -> ByteBuffer {
        var result = result
        switch configuration.fault {
        case .nan: result.update.values = [Float](repeating: .nan, count: result.update.scalarCount)
        case .hugeNorm: result.update.values = result.update.values.map { $0 * 1e6 }
        case .wrongShape:
            var tensors = result.update.stateDictionary()
            tensors.removeValue(forKey: result.update.layout.names.last!)
            result.update = ParameterSet(
                tensors: result.update.layout.names.compactMap { name in tensors[name].map { (name, $0) } })
        case .garbage: return ByteBuffer(bytes: try WireFormat.encode(result).prefix(64))
        case .hang, nil: break
        }
        return try WireFormat.encodedBuffer(result)
    }

    /// `body`, retried with exponential backoff while the server cannot be reached or answers 5xx.
    private func retrying(_ log: (String) -> Void, _ body: () throws -> FederationTransport.Reply) throws
        -> FederationTransport.Reply
    {
        var delay = configuration.initialBackoff
        let start = Date()
        while true {
            let problem: String
            do {
                let reply = try body()
                if reply.status == 401 { throw FederationClientError.unauthorized(reply.errorMessage) }
                guard reply.status >= 500 else { return reply }
                problem = "server error \(reply.status): \(reply.errorMessage)"
            } catch let error as FederationClientError {
                throw error
            } catch {
                problem = "\(error)"
            }
            let waited = Date().timeIntervalSince(start)
            guard waited < configuration.giveUpAfter else {
                throw FederationClientError.unreachable(server: configuration.server, seconds: waited, problem: problem)
            }
            let pause = delay * (0.5 + 0.5 * Double(jitter.uniform()))
            log(String(format: "cannot reach the server (%@); retrying in %.2f s", problem, pause))
            Thread.sleep(forTimeInterval: pause)
            delay = min(delay * 2, configuration.maximumBackoff)
        }
    }
}

/// Sends heartbeats on a thread of its own while a task runs.
private final class Heartbeat: @unchecked Sendable {
    private let lock = NSCondition()
    private var running = true

    init(transport: FederationTransport, interval: Double) {
        let thread = Thread { [self] in
            while true {
                lock.lock()
                if running { _ = lock.wait(until: Date().addingTimeInterval(interval)) }
                let keepGoing = running
                lock.unlock()
                guard keepGoing else { return }
                _ = try? transport.send(.post, FederationProtocol.heartbeatPath, timeout: max(interval, 1))
            }
        }
        thread.start()
    }

    func stop() {
        lock.lock()
        running = false
        lock.broadcast()
        lock.unlock()
    }
}
