import Foundation
import SwiftProtobuf

/// Moves a message's content-addressed objects between a node and the SuperLink for one run:
/// PullObject (retried while the object is not yet available; every object's SHA-256 checked
/// against its id), ConfirmMessageReceived, and PushMessages + PushObject for a reply, children
/// before parents, within Flower's 180-second push session.
struct FlowerObjectTransfer: Sendable {
    let client: FleetClient
    let node: Flwr_Proto_Node
    let runID: UInt64
    /// Seconds an object may stay unavailable before the pull gives up.
    var availabilityTimeout: Double = 60
    /// Flower's `OBJECT_PUSH_SESSION_TTL_SECONDS`: a push session expires this long after its last
    /// successful PushObject.
    static let pushSessionLifetime: Double = 180

    /// Pulls every object of `tree` and rebuilds the message's content.
    ///
    /// - Throws: `FlowerProtocolError` for missing, tampered or malformed objects; `FleetError`
    ///   for transport failures.
    func pullContent(of tree: Flwr_Proto_ObjectTree) async throws -> FlowerContent {
        var objects: [String: [UInt8]] = [:]
        var pending = [tree]
        while let next = pending.popLast() {
            guard FlowerObject.isObjectID(next.objectID) else {
                throw FlowerProtocolError.badContent(
                    "the object tree holds the invalid id \"\(next.objectID.prefix(70))\"")
            }
            if objects[next.objectID] == nil { objects[next.objectID] = try await pull(next.objectID) }
            pending += next.children
        }
        return try FlowerContent(messageObjects: objects, messageID: tree.objectID)
    }

    /// The bytes of one object (verified against its id by `FlowerContent(messageObjects:messageID:)`).
    private func pull(_ id: String) async throws -> [UInt8] {
        var request = Flwr_Proto_PullObjectRequest()
        request.node = node
        request.runID = runID
        request.objectID = id
        let deadline = Date(timeIntervalSinceNow: availabilityTimeout)
        var pause = 0.05
        while true {
            let response = try await client.call("pull-object", request, as: Flwr_Proto_PullObjectResponse.self)
            guard response.objectFound else {
                throw FlowerProtocolError.badObject(id: id, problem: "the SuperLink does not have it")
            }
            if response.objectAvailable { return [UInt8](response.objectContent) }
            guard Date() < deadline else {
                throw FlowerProtocolError.badObject(
                    id: id, problem: "still unavailable after \(Int(availabilityTimeout)) s")
            }
            try await Task.sleep(for: .seconds(pause))
            pause = min(pause * 2, 1)
        }
    }

    /// Tells the SuperLink the message `messageID` arrived, so it may delete it.
    func confirmReceived(_ messageID: String) async throws {
        var request = Flwr_Proto_ConfirmMessageReceivedRequest()
        request.node = node
        request.runID = runID
        request.messageObjectID = messageID
        _ = try await client.call(
            "confirm-message-received", request, as: Flwr_Proto_ConfirmMessageReceivedResponse.self)
    }

    /// Sends the reply to the message `instruction` (whose id is `messageID`): `content`, or
    /// `error` when the work failed.
    func pushReply(
        content: FlowerContent?, error: Flwr_Proto_Error?, to instruction: Flwr_Proto_Metadata, messageID: String,
        runtime: Double
    ) async throws {
        var objects: [FlowerObject] = []
        var messageChildren: [String] = []
        if let content {
            let deflated = try content.deflated()
            objects = deflated.objects
            messageChildren = [deflated.rootID]
        }
        let now = Date().timeIntervalSince1970
        var metadata = Flwr_Proto_Metadata()
        metadata.runID = instruction.runID
        metadata.srcNodeID = node.nodeID
        metadata.dstNodeID = instruction.srcNodeID
        metadata.replyToMessageID = messageID
        metadata.groupID = instruction.groupID
        metadata.messageType = instruction.messageType
        metadata.createdAt = now
        metadata.ttl = max(0, min(43_200, instruction.createdAt + instruction.ttl - now))
        if instruction.hasDstTaskID { metadata.srcTaskID = instruction.dstTaskID }
        if instruction.hasSrcTaskID { metadata.dstTaskID = instruction.srcTaskID }
        var body = Flwr_Proto_Message()
        body.metadata = metadata
        if let error { body.error = error }
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        let messageObject = FlowerObject(
            kind: .message, children: messageChildren, body: try body.serializedBytes(options: options))
        objects.append(messageObject)

        let byID = Dictionary(objects.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        func tree(_ id: String) -> Flwr_Proto_ObjectTree {
            var subtree = Flwr_Proto_ObjectTree()
            subtree.objectID = id
            subtree.children = byID[id]!.children.map(tree)
            return subtree
        }
        var wire = Flwr_Proto_Message()
        wire.metadata = metadata
        wire.metadata.messageID = messageObject.id
        if let error { wire.error = error } else { wire.content = Flwr_Proto_RecordDict() }
        var request = Flwr_Proto_PushMessagesRequest()
        request.node = node
        request.messagesList = [wire]
        request.messageObjectTrees = [tree(messageObject.id)]
        request.clientappRuntimeList = [runtime]
        let response = try await client.call("push-messages", request, as: Flwr_Proto_PushMessagesResponse.self)
        try await push(
            objects.map(\.id), wanted: Set(response.objectsToPush), objects: byID, session: response.sessionID)
    }

    /// PushObject for every id in `order` the SuperLink asked for, failing clearly when the
    /// session would have expired (more than 180 s since the last stored object).
    private func push(_ order: [String], wanted: Set<String>, objects: [String: FlowerObject], session: String)
        async throws
    {
        var lastSuccess = Date()
        var seen: Set<String> = []
        for id in order where wanted.contains(id) && seen.insert(id).inserted {
            var request = Flwr_Proto_PushObjectRequest()
            request.node = node
            request.runID = runID
            request.objectID = id
            request.objectContent = Data(objects[id]!.bytes)
            request.sessionID = session
            let response = try await client.call("push-object", request, as: Flwr_Proto_PushObjectResponse.self)
            guard Date().timeIntervalSince(lastSuccess) < Self.pushSessionLifetime else {
                throw FleetError.refused(
                    "the reply's push session expired: pushing object \(id.prefix(12))… took more than "
                        + "\(Int(Self.pushSessionLifetime)) s since the previous one (uplink too slow for Flower's session limit)"
                )
            }
            guard response.stored else {
                throw FleetError.refused("the SuperLink did not store object \(id.prefix(12))… of the reply")
            }
            lastSuccess = Date()
        }
        let unknown = wanted.subtracting(order)
        guard unknown.isEmpty else {
            throw FleetError.refused("the SuperLink asked for \(unknown.count) object(s) the reply does not hold")
        }
    }
}
