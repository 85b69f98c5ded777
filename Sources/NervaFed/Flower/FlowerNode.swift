import Foundation

/// A Flower node that runs Nerva: it joins a Flower 1.42 SuperLink over the Fleet API, next to
/// Flower's own Python SuperNodes, and answers the ServerApp's `train`, `evaluate` and `query`
/// messages with a `FederatedParticipant` (through `FlowerMessageHandler`).
///
/// The session follows Flower's SuperNode (`flwr/supernode/fleet_http_connection.py`):
/// RegisterNode (unless the key was registered beforehand with `flwr supernode register`),
/// ActivateNode, a heartbeat in the background, then a loop of PullMessages → PullObject for every
/// object of the message (SHA-256 verified) → ConfirmMessageReceived → local work → PushMessages →
/// PushObject of what the SuperLink asks for. A message is processed at most once. The node stays
/// active after replying, until the run has finished (GetRun, asked less and less often while
/// nothing happens), then leaves when `maximumRuns` runs are done: DeactivateNode, and
/// UnregisterNode when it registered itself, also when cancelled (SIGINT, SIGTERM), within
/// `leaveTimeout`. When the SuperLink forgets the node (HTTP 401 after a restart), it registers
/// again instead of leaving.
///
/// ```swift
/// let client = try FleetClient(superlink: "127.0.0.1:8000", transport: .insecure, identity: FleetIdentity())
/// let handler = try FlowerMessageHandler(participant: participant, model: .mlp(hiddenSizes: [200, 200]))
/// let summary = try await FlowerNode(client: client, handler: handler).run()
/// ```
public struct FlowerNode: Sendable {
    /// The Flower release whose Fleet protocol this node speaks.
    public static let protocolVersion = "1.42.0"

    /// How the node behaves.
    public struct Configuration: Sendable, Equatable {
        /// Seconds between heartbeats the SuperLink is told to expect (Flower: 10…1800, default 30);
        /// the node beats every 0.8 · interval.
        public var heartbeatInterval: Double
        /// Seconds to wait before pulling again when there was no message.
        public var pollInterval: Double
        /// Whether to call RegisterNode first (false when the key was registered with
        /// `flwr supernode register`, as SuperLinks with `--enable-supernode-auth` require).
        public var registers: Bool
        /// Leave after this many runs have finished (nil: stay until cancelled).
        public var maximumRuns: Int?
        /// Seconds of silence before the first GetRun check of whether a run this node worked for
        /// has finished; each check that finds it still running doubles the wait (up to 30 s), a
        /// message of the run resets it.
        public var runCheckInterval: Double
        /// Seconds before registering again after the SuperLink forgot the node (doubling, up to 60 s).
        public var rejoinDelay: Double
        /// Seconds that leaving (DeactivateNode, UnregisterNode) may take.
        public var leaveTimeout: Double

        public init(
            heartbeatInterval: Double = 30, pollInterval: Double = 1, registers: Bool = true, maximumRuns: Int? = nil,
            runCheckInterval: Double = 2, rejoinDelay: Double = 1, leaveTimeout: Double = 5
        ) {
            self.heartbeatInterval = heartbeatInterval
            self.pollInterval = pollInterval
            self.registers = registers
            self.maximumRuns = maximumRuns
            self.runCheckInterval = runCheckInterval
            self.rejoinDelay = rejoinDelay
            self.leaveTimeout = leaveTimeout
        }
    }

    /// What a node did before it left.
    public struct Summary: Sendable, Equatable {
        public var nodeID: UInt64 = 0
        /// Messages answered, by type (`train`, `evaluate`, …).
        public var replies: [String: Int] = [:]
        /// Messages answered with an error (bad content, a participant failure).
        public var errorReplies = 0
        /// Runs this node worked for that have finished.
        public var finishedRuns: [UInt64] = []
    }

    public let client: FleetClient
    public let handler: FlowerMessageHandler
    /// Answers the `train` messages of a `SecAggPlusWorkflow` (the four SecAgg+ stages).
    public let secureAggregation: SecAggPlusClient
    public let configuration: Configuration
    /// Called with one line per event (joined, message received, reply sent, run finished, left).
    public let log: @Sendable (String) -> Void

    public init(
        client: FleetClient, handler: FlowerMessageHandler, configuration: Configuration = .init(),
        secureAggregation: SecAggPlusClient = SecAggPlusClient(),
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.client = client
        self.handler = handler
        self.configuration = configuration
        self.secureAggregation = secureAggregation
        self.log = log
    }

    /// The reply's content to a message of `messageType` for run `runID`: SecAgg+ stages go to
    /// `secureAggregation` (which calls `handler` to train), everything else to `handler`.
    public func replyContent(
        to messageType: String, content: FlowerContent, runID: UInt64,
        nodeID: UInt64
    ) throws -> FlowerContent {
        guard messageType.split(separator: ".").first == "train", SecAggPlusClient.stage(of: content) != nil else {
            return try handler.reply(to: messageType, content: content)
        }
        return try secureAggregation.reply(to: content, runID: runID, nodeID: nodeID) { instruction in
            try handler.reply(to: messageType, content: instruction)
        }
    }

    /// Joins, works until `maximumRuns` runs have finished (or the task is cancelled), leaves.
    ///
    /// - Throws: `FleetError` when the SuperLink cannot be reached or refuses the node;
    ///   cancellation ends the session cleanly (deactivated, unregistered) without an error.
    public func run() async throws -> Summary {
        guard (10...1800).contains(configuration.heartbeatInterval) else {
            throw FleetError.refused(
                "the heartbeat interval must be between 10 and 1800 s, got \(configuration.heartbeatInterval)")
        }
        var summary = Summary()
        var rejoinDelay = configuration.rejoinDelay
        while true {
            let nodeID = try await join()
            let session = FlowerNodeSession(node: self, nodeID: nodeID, carrying: summary)
            let outcome: Result<Summary, any Error>
            do {
                outcome = .success(
                    try await withThrowingTaskGroup(of: Summary?.self) { group in
                        group.addTask {
                            try await session.beat()
                            return nil
                        }
                        group.addTask { try await session.work() }
                        defer { group.cancelAll() }
                        while let result = try await group.next() {
                            if let result { return result }
                        }
                        return await session.summary
                    })
            } catch is CancellationError {
                outcome = .success(await session.summary)
            } catch {
                outcome = .failure(error)
            }
            summary = await session.summary
            if case let .failure(error) = outcome, configuration.registers, Self.isForgotten(error) {
                // The SuperLink no longer knows this node (it restarted with an in-memory state):
                // register again, at most once per backoff delay.
                log("the SuperLink no longer knows node \(nodeID) (\(error)); registering again in \(rejoinDelay) s")
                do { try await Task.sleep(for: .seconds(rejoinDelay)) } catch { return summary }
                rejoinDelay = min(2 * rejoinDelay, 60)
                continue
            }
            await leaveWithin(nodeID: nodeID)
            return try outcome.map { _ in summary }.get()
        }
    }

    /// Whether a session ended because the SuperLink does not know the node (HTTP 401, or a
    /// heartbeat it refused).
    static func isForgotten(_ error: any Error) -> Bool {
        switch error as? FleetError {
        case .rejected(_, 401, _)?: true
        case let .refused(problem)?: problem.contains("no longer recognises")
        default: false
        }
    }

    /// RegisterNode (unless pre-registered) and ActivateNode; the node id.
    private func join() async throws -> UInt64 {
        let publicKey = Data(client.identity.publicKeyPEM)
        var registeredID: UInt64?
        if configuration.registers {
            var request = Flwr_Proto_RegisterNodeFleetRequest()
            request.publicKey = publicKey
            registeredID = try await client.call(
                "register-node", request, as: Flwr_Proto_RegisterNodeFleetResponse.self
            ).nodeID
        }
        var activate = Flwr_Proto_ActivateNodeRequest()
        activate.publicKey = publicKey
        activate.heartbeatInterval = configuration.heartbeatInterval
        let nodeID: UInt64
        do {
            nodeID = try await client.call("activate-node", activate, as: Flwr_Proto_ActivateNodeResponse.self).nodeID
        } catch {
            await unregister(nodeID: registeredID)
            throw error
        }
        log("joined the SuperLink at \(client.address) as node \(nodeID)")
        return nodeID
    }

    /// Leaves in a task of its own, so that a cancelled session (SIGINT, SIGTERM) still
    /// deactivates and unregisters; gives up after `leaveTimeout` seconds.
    private func leaveWithin(nodeID: UInt64) async {
        let node = self
        let leaving = Task { await node.leave(nodeID: nodeID) }
        let timer = Task {
            try await Task.sleep(for: .seconds(node.configuration.leaveTimeout))
            leaving.cancel()
            node.log("leaving took longer than \(node.configuration.leaveTimeout) s; gave up")
        }
        await leaving.value
        timer.cancel()
    }

    /// DeactivateNode, then UnregisterNode when self-registered; failures only logged.
    private func leave(nodeID: UInt64) async {
        var request = Flwr_Proto_DeactivateNodeRequest()
        request.nodeID = nodeID
        do {
            _ = try await client.call(
                "deactivate-node", request, as: Flwr_Proto_DeactivateNodeResponse.self, retrying: false)
        } catch {
            log("could not deactivate node \(nodeID): \(error)")
        }
        if configuration.registers { await unregister(nodeID: nodeID) }
        log("left the SuperLink (node \(nodeID))")
    }

    private func unregister(nodeID: UInt64?) async {
        guard let nodeID else { return }
        var request = Flwr_Proto_UnregisterNodeFleetRequest()
        request.nodeID = nodeID
        do {
            _ = try await client.call(
                "unregister-node", request, as: Flwr_Proto_UnregisterNodeFleetResponse.self, retrying: false)
        } catch {
            log("could not unregister node \(nodeID): \(error)")
        }
    }
}
