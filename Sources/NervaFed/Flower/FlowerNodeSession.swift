import Foundation

/// The state of one `FlowerNode` session between ActivateNode and DeactivateNode: the heartbeat,
/// the pull–work–push loop, the messages already processed and the runs being waited for.
actor FlowerNodeSession {
    let node: FlowerNode
    let nodeID: UInt64
    private(set) var summary: FlowerNode.Summary
    /// Message ids already processed (each at most once).
    private var processed: Set<String> = []
    /// Runs this node worked for that have not finished: when to check next, and the wait after that.
    private var openRuns: [UInt64: (next: Date, wait: Double)] = [:]

    /// - Parameter carrying: what earlier sessions of the same node did (after a re-registration).
    init(node: FlowerNode, nodeID: UInt64, carrying earlier: FlowerNode.Summary = .init()) {
        self.node = node
        self.nodeID = nodeID
        summary = earlier
        summary.nodeID = nodeID
    }

    private var flowerNode: Flwr_Proto_Node {
        var proto = Flwr_Proto_Node()
        proto.nodeID = nodeID
        return proto
    }

    /// Sends SendNodeHeartbeat every 0.8 · interval until cancelled. Transport errors are retried
    /// by the client; a SuperLink that no longer knows the node ends the session with an error.
    nonisolated func beat() async throws {
        var request = Flwr_Proto_SendNodeHeartbeatRequest()
        request.node.nodeID = nodeID
        request.heartbeatInterval = node.configuration.heartbeatInterval
        while true {
            try await Task.sleep(for: .seconds(0.8 * node.configuration.heartbeatInterval))
            let response = try await node.client.call(
                "send-node-heartbeat", request, as: Flwr_Proto_SendNodeHeartbeatResponse.self)
            guard response.success else {
                throw FleetError.refused("the SuperLink no longer recognises node \(nodeID) (heartbeat)")
            }
        }
    }

    /// Pulls and answers messages until `maximumRuns` runs have finished.
    func work() async throws -> FlowerNode.Summary {
        while true {
            try Task.checkCancellation()
            if try await handleNextMessage() { continue }
            try await checkOpenRuns()
            if let maximum = node.configuration.maximumRuns, summary.finishedRuns.count >= maximum, openRuns.isEmpty {
                return summary
            }
            try await Task.sleep(for: .seconds(node.configuration.pollInterval))
        }
    }

    /// Pulls one message and answers it; false when there was none.
    private func handleNextMessage() async throws -> Bool {
        let pullStarted = Date()
        var request = Flwr_Proto_PullMessagesRequest()
        request.node = flowerNode
        let response = try await node.client.call("pull-messages", request, as: Flwr_Proto_PullMessagesResponse.self)
        guard let message = response.messagesList.first else { return false }
        guard let tree = response.messageObjectTrees.first, FlowerObject.isObjectID(tree.objectID) else {
            throw FleetError.badResponse(call: "pull-messages", problem: "a message without a valid object tree")
        }
        let metadata = message.metadata
        let messageID = tree.objectID
        guard processed.insert(messageID).inserted else {
            node.log("message \(messageID.prefix(12))… was already processed; ignored")
            return true
        }
        let firstWait = node.configuration.runCheckInterval
        openRuns[metadata.runID] = (Date(timeIntervalSinceNow: firstWait), firstWait)
        node.log("run \(metadata.runID): received \(metadata.messageType) message \(messageID.prefix(12))…")
        let transfer = FlowerObjectTransfer(client: node.client, node: flowerNode, runID: metadata.runID)
        var reply: Result<FlowerContent, any Error>
        var workStarted = Date()
        var stage = ""
        do {
            let content = try await transfer.pullContent(of: tree)
            try await transfer.confirmReceived(messageID)
            workStarted = Date()
            let flowerNode = node
            let messageType = metadata.messageType, runID = metadata.runID, ownID = self.nodeID
            stage = SecAggPlusClient.stage(of: content).map { " (SecAgg+ \($0))" } ?? ""
            reply = await Self.offload {
                try flowerNode.replyContent(to: messageType, content: content, runID: runID, nodeID: ownID)
            }
        } catch let error as FleetError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            reply = .failure(error)
        }
        let pushStarted = Date()
        let runtime = pushStarted.timeIntervalSince(workStarted)
        switch reply {
        case let .success(content):
            try await transfer.pushReply(
                content: content, error: nil, to: metadata, messageID: messageID, runtime: runtime)
            summary.replies[metadata.messageType, default: 0] += 1
            func seconds(_ value: Double) -> String { String(format: "%.3f", value) }
            node.log(
                "run \(metadata.runID): replied to \(metadata.messageType)\(stage) "
                    + "(pull \(seconds(workStarted.timeIntervalSince(pullStarted))) s, "
                    + "work \(seconds(runtime)) s, push \(seconds(Date().timeIntervalSince(pushStarted))) s)")
        case let .failure(error):
            var flowerError = Flwr_Proto_Error()
            flowerError.code = 2 // CLIENT_APP_RAISED_EXCEPTION
            flowerError.reason = "Nerva: \(error)"
            try await transfer.pushReply(
                content: nil, error: flowerError, to: metadata, messageID: messageID, runtime: runtime)
            summary.errorReplies += 1
            node.log("run \(metadata.runID): answered \(metadata.messageType)\(stage) with an error: \(error)")
        }
        return true
    }

    /// Asks the SuperLink (GetRun) whether the runs this node worked for have finished.
    private func checkOpenRuns() async throws {
        let now = Date()
        for (runID, check) in openRuns where now >= check.next {
            openRuns[runID] = (now.addingTimeInterval(check.wait), min(2 * check.wait, 30))
            var request = Flwr_Proto_GetRunRequest()
            request.node = flowerNode
            request.runID = runID
            let status: String
            do {
                status = try await node.client.call("get-run", request, as: Flwr_Proto_GetRunResponse.self).run.status
                    .status
            } catch FleetError.rejected(_, let code, _) where code == 403 || code == 404 {
                status = "finished" // Flower 1.42 refuses Fleet calls for a run that has ended (403)
            }
            if status == "finished" {
                openRuns[runID] = nil
                node.secureAggregation.forget(runID: runID)
                summary.finishedRuns.append(runID)
                node.log("run \(runID) has finished")
            }
        }
    }

    /// Runs CPU-bound work on a Dispatch thread, so it does not hold a cooperative thread the
    /// heartbeat and the HTTP client need.
    private static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async -> Result<T, any Error> {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Result { try work() }) }
        }
    }
}
