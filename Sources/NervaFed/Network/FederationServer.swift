import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import NervaNN
import NervaTensor

/// How a `FederationServer` listens and how patient it is.
public struct FederationServerConfiguration: Sendable {
    /// The address to listen on (`127.0.0.1` for loopback, `0.0.0.0` for every interface).
    public var host = "127.0.0.1"
    /// The port (0: any free port; `FederationServer.start()` returns the one chosen).
    public var port = 0
    /// PEM files of the server's certificate chain and private key; `nil` for plain HTTP.
    public var tls: (certificatePath: String, keyPath: String)?
    /// The clients allowed to join; `nil` accepts any client that names itself (tests, trusted networks).
    public var credentials: FederationCredentials?
    /// The largest request body accepted (413 above).
    public var maximumMessageBytes = 256 << 20
    /// A client that has not answered its task after this many seconds is a failure (`.timedOut`).
    public var roundTimeout: Double = 600
    /// A client silent for this many seconds (no request, no heartbeat) is gone: its task fails at once.
    public var heartbeatTimeout: Double = 10
    /// The first round (of this process: also after a resume) starts only when at least this many
    /// clients are connected; later rounds go on with whoever is still connected.
    public var minimumClients = 1
    /// Give up when `minimumClients` are not connected within this many seconds (`nil`: wait forever).
    public var clientWaitTimeout: Double?
    /// Where the state is checkpointed after every round (`nil`: no checkpoints).
    public var checkpoint: URL?

    public init() {}

    /// The longest timeout: a week (a longer wait is a restart's job), short enough that every
    /// deadline stays representable.
    public static let maximumTimeout: Double = 604_800

    /// Throws `ConfigurationError` naming the first setting out of range (timeouts must be finite,
    /// positive and at most `maximumTimeout`).
    public func validate() throws {
        try ConfigurationError.check("port", port, in: 0...65535)
        try ConfigurationError.check("maximum message bytes", maximumMessageBytes, atLeast: 1)
        try ConfigurationError.check("minimum clients", minimumClients, atLeast: 1)
        let timeouts =
            [("round timeout", roundTimeout), ("heartbeat timeout", heartbeatTimeout)]
            + (clientWaitTimeout.map { [("client wait timeout", $0)] } ?? [])
        for (name, seconds) in timeouts {
            try ConfigurationError.require(
                seconds > 0 && seconds <= Self.maximumTimeout, name, seconds,
                allowed: "positive and at most \(Int(Self.maximumTimeout)) seconds (a week)")
        }
    }
}

/// A server that cannot go on: every case says why.
public enum FederationServerError: Error, CustomStringConvertible {
    case cannotListen(host: String, port: Int, problem: String)
    case tls(path: String, problem: String)
    case tooFewClients(connected: Int, required: Int, seconds: Double)

    public var description: String {
        switch self {
        case let .cannotListen(host, port, problem): "cannot listen on \(host):\(port): \(problem)"
        case let .tls(path, problem): "cannot use \(path) for TLS: \(problem)"
        case let .tooFewClients(connected, required, seconds):
            "only \(connected) of the \(required) required clients connected within \(Int(seconds)) s"
        }
    }
}

/// The server of a real federation: participants are separate processes (`FederationClient`,
/// `nerva fed client`) that reach it over HTTP(S). It drives the same round loop as the
/// simulation (`FederatedRounds`) with the same strategies; each selected client is a
/// `FederatedParticipant` whose `fit` hands it a task and waits for its answer, so clients that
/// vanish, time out or send unusable updates become failures with reasons.
///
/// ```swift
/// var configuration = FederationServerConfiguration()
/// configuration.minimumClients = 3
/// let server = try FederationServer(model: .mlp(), strategy: strategy, configuration: configuration, seed: 0)
/// let port = try server.start()
/// let reports = try server.run(rounds: 10)
/// server.finish(grace: 5)
/// ```
public final class FederationServer: @unchecked Sendable {
    /// The architecture the federation trains.
    public let model: ModelDescription
    /// How it listens.
    public let configuration: FederationServerConfiguration
    let hub: FederationHub
    private let rounds: FederatedRounds
    private var service: Task<Void, Never>?
    private let stopped = DispatchSemaphore(value: 0)

    /// The current global parameters.
    public var global: ParameterSet { rounds.global }
    /// The rounds finished (including those of a resumed checkpoint).
    public var completedRounds: Int { rounds.completedRounds }

    /// - Parameters:
    ///   - model: the architecture every participant trains.
    ///   - strategy: the server's strategy.
    ///   - configuration: the address, limits, timeouts and credentials of the server.
    ///   - seed: the initial weights and the participant sampling, as in `FederatedSimulation`
    ///     (the same seed gives the same global model and the same choices).
    ///   - initialParameters: start from these instead of `model`'s seeded initialisation (for
    ///     models a `ModelDescription` only names, such as federated NCF).
    ///   - checkpoint: continue after this checkpoint's rounds, with its model and sampling state.
    ///   - secureAggregation: run every round under secure aggregation: each client gets one task
    ///     per step of the protocol (`FederationTaskKind.secureKeys` …) and the server sees only sums.
    ///   - centralEvaluation: the server's evaluation of each new global model on its own data.
    /// - Throws: `ModelDescriptionError`, `FederationCheckpointError.differentModel`, or
    ///   `FederatedError.invalidConfiguration` for a strategy that cannot aggregate securely.
    public init(
        model: ModelDescription, strategy: any Strategy, configuration: FederationServerConfiguration, seed: UInt64,
        initialParameters: ParameterSet? = nil, resumingFrom checkpoint: FederationCheckpoint? = nil,
        secureAggregation: SecureAggregationSettings? = nil,
        centralEvaluation: (@Sendable (ParameterSet) throws -> ParticipantEvaluation)? = nil
    ) throws {
        try configuration.validate()
        self.model = model
        self.configuration = configuration
        hub = FederationHub(heartbeatTimeout: configuration.heartbeatTimeout)
        let generator = RandomGenerator(seed: seed)
        var global =
            try initialParameters ?? ParameterSet(module: model.makeModel(generator: RandomGenerator(seed: seed)))
        var completed = 0
        if let checkpoint {
            guard checkpoint.model == model, checkpoint.global.layout == global.layout else {
                throw FederationCheckpointError.differentModel(path: configuration.checkpoint?.path ?? "the checkpoint")
            }
            global = checkpoint.global
            completed = checkpoint.completedRounds
            generator.restore(checkpoint.generatorState)
            strategy.restoreServerState(checkpoint.serverState)
        }
        // Remote participants mostly wait, so every selected client gets a thread.
        rounds = try FederatedRounds(
            model: model, strategy: strategy, global: global, completedRounds: completed,
            generator: generator, concurrency: 4096, secureAggregation: secureAggregation,
            centralEvaluation: centralEvaluation)
        hub.publish(
            model: try WireFormat.encodedGlobalModelBuffer(model: model, parameters: global, round: completed),
            rounds: completed)
    }

    /// Starts listening; returns the port (the chosen one when the configuration says 0).
    ///
    /// - Throws: `FederationServerError.cannotListen` or `.tls`.
    @discardableResult
    public func start() throws -> Int {
        let server: HTTPServerBuilder =
            try configuration.tls.map { try HTTPServerBuilder.tls(tlsConfiguration: Self.serverTLS($0)) } ?? .http1()
        var logger = Logger(label: "nerva.fed.server")
        logger.logLevel = .critical // cancellation at shutdown is logged as an error
        let bound = BoundPort()
        let app = Application(
            router: makeRouter(), server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in bound.set(channel.localAddress?.port ?? -1) }, logger: logger)
        let stopped = self.stopped
        service = Task(executorPreference: DedicatedThreadExecutor.servers) {
            do { try await app.runService(gracefulShutdownSignals: []) } catch { bound.fail("\(error)") }
            bound.fail("the server stopped")
            stopped.signal()
        }
        switch bound.wait(seconds: 120) {
        case .success(let port): return port
        case .failure(let problem):
            throw FederationServerError.cannotListen(
                host: configuration.host, port: configuration.port, problem: problem.text)
        }
    }

    /// Runs rounds until `total` rounds are finished (counting a resumed checkpoint's), calling
    /// `onRound` after each and checkpointing first. A round starts when `minimumClients` are
    /// connected; it samples among the connected clients.
    ///
    /// - Throws: `FederationServerError.tooFewClients` when they do not come, a checkpoint
    ///   write error, or what `onRound` throws.
    @discardableResult
    public func run(rounds total: Int, onRound: (RoundReport) throws -> Void = { _ in }) throws -> [RoundReport] {
        var reports: [RoundReport] = []
        let hub = self.hub, timeout = configuration.roundTimeout
        var minimum = configuration.minimumClients
        while rounds.completedRounds < total {
            try waitForClients(minimum)
            minimum = 1
            let report: RoundReport
            do {
                let tasks = EncodedTasks()
                report = try rounds.runRound(available: hub.connected()) {
                    RemoteParticipant(id: $0, hub: hub, timeout: timeout, tasks: tasks)
                }
            } catch FederatedError.tooFewParticipants {
                Thread.sleep(forTimeInterval: 0.1) // a client left between the count and the sampling
                continue
            }
            try checkpoint()
            hub.publish(
                model: try WireFormat.encodedGlobalModelBuffer(
                    model: model, parameters: rounds.global, round: report.round),
                rounds: report.round)
            reports.append(report)
            try onRound(report)
        }
        return reports
    }

    /// Ends the federation: clients asking for work are told it is over (410) and leave. Waits
    /// until every connected client was told, or `grace` seconds, then stops listening.
    public func finish(grace: Double = 5) {
        hub.finish()
        let deadline = Date().addingTimeInterval(grace)
        while !hub.everyoneDismissed && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        stop()
    }

    /// Stops listening at once.
    public func stop() {
        guard let service else { return }
        self.service = nil
        service.cancel()
        _ = stopped.wait(timeout: .now() + 10)
    }

    private func checkpoint() throws {
        guard let url = configuration.checkpoint else { return }
        try FederationCheckpoint(
            model: model, global: rounds.global, completedRounds: rounds.completedRounds,
            generatorState: rounds.generator.snapshot, serverState: rounds.strategy.serverState
        ).write(to: url)
    }

    private func waitForClients(_ minimum: Int) throws {
        let start = Date()
        while hub.connected().count < minimum {
            if let limit = configuration.clientWaitTimeout, Date().timeIntervalSince(start) > limit {
                throw FederationServerError.tooFewClients(
                    connected: hub.connected().count, required: minimum,
                    seconds: limit)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    private static func serverTLS(_ files: (certificatePath: String, keyPath: String)) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate], key: NIOSSLPrivateKey
        do { chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath) } catch {
            throw FederationServerError.tls(
                path: files.certificatePath, problem: "not a PEM certificate chain (\(error))")
        }
        guard !chain.isEmpty else {
            throw FederationServerError.tls(path: files.certificatePath, problem: "holds no certificate")
        }
        do { key = try NIOSSLPrivateKey(file: files.keyPath, format: .pem) } catch {
            throw FederationServerError.tls(path: files.keyPath, problem: "not a PEM private key (\(error))")
        }
        return TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}

/// The port the server bound, handed from the server's task to the caller of `start()`.
private final class BoundPort: @unchecked Sendable {
    struct Problem: Error { let text: String }
    private let lock = NSLock()
    private let ready = DispatchSemaphore(value: 0)
    private var outcome: Result<Int, Problem>?

    func set(_ port: Int) { settle(port >= 0 ? .success(port) : .failure(Problem(text: "no local address"))) }
    func fail(_ problem: String) { settle(.failure(Problem(text: problem))) }

    private func settle(_ result: Result<Int, Problem>) {
        lock.lock()
        defer { lock.unlock() }
        guard outcome == nil else { return }
        outcome = result
        ready.signal()
    }

    func wait(seconds: Double) -> Result<Int, Problem> {
        guard ready.wait(timeout: .now() + seconds) == .success else {
            return .failure(Problem(text: "not listening after \(seconds) s"))
        }
        lock.lock()
        defer { lock.unlock() }
        return outcome!
    }
}
