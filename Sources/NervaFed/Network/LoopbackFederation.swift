import Foundation

/// A real `FederationServer` on a loopback port with one `FederationClient` per participant, each
/// on a thread of its own: every instruction, update and evaluation crosses HTTP as bytes, and
/// the server holds nothing but what the clients send it. With the same seed it gives the same
/// results as `FederatedSimulation`.
///
/// ```swift
/// let federation = try LoopbackFederation(model: .mlp(), participants: clients, strategy: strategy, seed: 0)
/// let reports = try federation.run(rounds: 5)
/// federation.finish()
/// ```
public final class LoopbackFederation: @unchecked Sendable {
    /// The server; its clients are this process's threads.
    public let server: FederationServer
    /// The port the server listens on.
    public let port: Int
    private let clientsDone = DispatchGroup()

    /// Starts the server and the clients; the first round starts once all of them are registered.
    ///
    /// - Parameters:
    ///   - model: the architecture every participant trains.
    ///   - participants: the participants, each served by one client thread.
    ///   - strategy: the server's strategy.
    ///   - seed: the initial weights and the participant sampling, as in `FederatedSimulation`.
    ///   - initialParameters: the global model to start from (default: `model`'s seeded initialisation).
    ///   - pollSeconds: how long a client's task request waits at the server.
    ///   - secureAggregation: run every round under secure aggregation, one task per step over
    ///     HTTP; the clients compute the strategy's own secure input (they share this process).
    /// - Throws: the server's or a client's configuration errors.
    public init(
        model: ModelDescription, participants: [any FederatedParticipant], strategy: any Strategy, seed: UInt64,
        initialParameters: ParameterSet? = nil, pollSeconds: Double? = nil,
        secureAggregation: SecureAggregationSettings? = nil
    ) throws {
        var configuration = FederationServerConfiguration()
        configuration.minimumClients = participants.count
        configuration.clientWaitTimeout = 300
        // Hundreds of clients may share two cores: be patient with heartbeats.
        configuration.heartbeatTimeout = 120
        server = try FederationServer(
            model: model, strategy: strategy, configuration: configuration, seed: seed,
            initialParameters: initialParameters, secureAggregation: secureAggregation)
        var secureInput: (@Sendable (FitResult, ParameterSet) throws -> [Float])?
        if let secure = strategy as? any SecureAggregationStrategy {
            secureInput = { result, global in try secure.secureInput(result, global: global) }
        }
        port = try server.start()
        for participant in participants {
            var settings = FederationClientConfiguration(server: "http://127.0.0.1:\(port)", name: participant.id)
            settings.giveUpAfter = 300
            if let pollSeconds { settings.pollSeconds = pollSeconds }
            let client = try FederationClient(
                participant: participant, configuration: settings, secureInput: secureInput)
            clientsDone.enter()
            let thread = Thread { [clientsDone] in
                _ = try? client.run()
                clientsDone.leave()
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
    }

    /// The current global parameters.
    public var global: ParameterSet { server.global }

    /// Runs `rounds` more rounds (see `FederationServer.run`).
    @discardableResult
    public func run(rounds: Int, onRound: (RoundReport) throws -> Void = { _ in }) throws -> [RoundReport] {
        try server.run(rounds: rounds, onRound: onRound)
    }

    /// Ends the federation and waits (at most `grace` seconds) for the clients to leave.
    public func finish(grace: Double = 30) {
        server.finish(grace: grace)
        _ = clientsDone.wait(timeout: .now() + grace)
    }
}
