import Foundation

/// What the first step of a secure round tells a participant: its place, the neighbour graph
/// (which it derives itself from the three numbers), the threshold and the fixed-point scale.
public struct SecureRoundSetup: Sendable, Codable, Equatable {
    /// The round.
    public var round: Int
    /// The participant's index in the round.
    public var index: Int
    /// The round's participants.
    public var participants: Int
    /// Neighbours per participant.
    public var degree: Int
    /// The seed of the graph's ring.
    public var graphSeed: UInt64
    /// Shares needed to rebuild a secret.
    public var threshold: Int
    /// The fixed-point scale.
    public var scale: Double

    /// - Parameters:
    ///   - round: the round.
    ///   - index: the participant's index in the round.
    ///   - graph: the round's neighbour graph.
    ///   - threshold: shares needed to rebuild a secret.
    ///   - scale: the fixed-point scale.
    public init(round: Int, index: Int, graph: SecureAggregationGraph, threshold: Int, scale: Double) {
        self.round = round
        self.index = index
        participants = graph.participants
        degree = graph.degree
        graphSeed = graph.seed
        self.threshold = threshold
        self.scale = scale
    }

    /// The neighbour graph, checked: the participant's index must be in it and the threshold in
    /// `2...degree + 1`.
    public func graph() throws -> SecureAggregationGraph {
        let graph = try SecureAggregationGraph(participants: participants, degree: degree, seed: graphSeed)
        guard (0..<participants).contains(index), threshold >= 2, threshold <= graph.degree + 1, scale.isFinite,
            scale > 0, round >= 0
        else {
            throw SecureAggregationError.invalidGraph(
                "index \(index), threshold \(threshold), scale \(scale) for \(participants) participants of degree \(graph.degree)"
            )
        }
        return graph
    }

    /// Binds every key of the round to the round and its graph.
    public var context: Data {
        Data(
            "nerva secure aggregation, round \(round), \(participants) participants, graph \(degree)/\(graphSeed)".utf8)
    }
}

/// How a participant that does not know the server's strategy (`nerva fed client`) turns its fit
/// result into the vector it masks: FedAvg's `[w·Δ, w]`, with `Δ` clipped to an L2 norm under
/// DP-FedAvg. Strategies publish theirs (`SecureAggregationStrategy.secureInputRule`); the
/// server sends it with the masked-input step.
public struct SecureInputRule: Sendable, Codable, Equatable {
    /// The weight `w` of a participant's change.
    public enum Weighting: String, Sendable, Codable {
        /// Its example count (FedAvg).
        case examples
        /// 1 (the plain mean, DP-FedAvg).
        case one
    }

    /// The weight of each change.
    public var weighting: Weighting
    /// What the participant's update holds: parameters (`Δ = x − global`) or a gradient (`Δ = −g`).
    public var updateKind: UpdateKind
    /// DP-FedAvg's clipping norm (`nil`: no clipping).
    public var clippingNorm: Double?

    /// - Parameters:
    ///   - weighting: the weight of each change.
    ///   - updateKind: what the update holds.
    ///   - clippingNorm: DP-FedAvg's clipping norm.
    public init(weighting: Weighting, updateKind: UpdateKind, clippingNorm: Double? = nil) {
        self.weighting = weighting
        self.updateKind = updateKind
        self.clippingNorm = clippingNorm
    }

    /// The vector to mask for `result`.
    ///
    /// - Parameters:
    ///   - result: the participant's fit result.
    ///   - global: the round's global model.
    /// - Throws: `ParticipantUnavailable` when the update does not fit `global`'s layout or is not finite.
    public func input(_ result: FitResult, global: ParameterSet) throws -> [Float] {
        guard result.update.layout == global.layout, result.kind == updateKind else {
            throw ParticipantUnavailable(.error("the update does not match the global model's layout or kind"))
        }
        let nonFinite = result.update.values.filter { !$0.isFinite }.count
        guard nonFinite == 0 else { throw ParticipantUnavailable(.nonFinite(count: nonFinite)) }
        var change =
            updateKind == .parameters ? result.update.subtracting(global).values : result.update.values.map { -$0 }
        if let clippingNorm { DifferentialPrivacy(clippingNorm: clippingNorm, noiseMultiplier: 0).clip(&change) }
        let weight: Float = weighting == .examples ? Float(result.exampleCount) : 1
        return change.map { $0 * weight } + [weight]
    }
}

/// A participant's masked vector and its training metrics (which travel in the clear).
public struct MaskedInput: Sendable, Equatable {
    /// The masked, fixed-point vector.
    public var vector: [UInt64]
    /// The participant's training metrics.
    public var metrics: [String: Double]

    /// - Parameters:
    ///   - vector: the masked vector.
    ///   - metrics: the training metrics.
    public init(vector: [UInt64], metrics: [String: Double]) {
        self.vector = vector
        self.metrics = metrics
    }
}

/// One participant's side of a secure round as the server's round driver reaches it, step by
/// step: a `SecureAggregatingParticipant` in the process, or a client over HTTP. A step that
/// throws makes the participant a dropout at that step.
public protocol SecureAggregationDevice: AnyObject {
    /// Step 1: fresh keys for the round `setup` describes; their public halves.
    ///
    /// - Parameter setup: the participant's place in the round.
    func advertiseKeys(_ setup: SecureRoundSetup) throws -> AdvertisedKeys
    /// Step 2: encrypted shares for the neighbours in `roster`.
    ///
    /// - Parameter roster: the public keys of every participant that advertised them.
    func shareKeys(roster: [AdvertisedKeys]) throws -> [EncryptedShares]
    /// Step 3: trains on `instruction` and masks the strategy's input.
    ///
    /// - Parameters:
    ///   - instruction: the round's fit instruction.
    ///   - received: the neighbours' boxes.
    ///   - rule: the strategy's input rule, for participants that do not know the strategy.
    func maskedInput(_ instruction: FitInstruction, received: [EncryptedShares], rule: SecureInputRule?) throws
        -> MaskedInput
    /// Step 4: the shares that remove the masks.
    ///
    /// - Parameter survivors: the participants whose masked input arrived.
    func unmask(survivors: Set<Int>) throws -> UnmaskingShares
}

/// A `FederatedParticipant` taking part in secure rounds: it holds the round's
/// `SecureAggregationClient`, trains, and masks its input. The same object serves a participant
/// in the process and the client of a real federation (`FederationClient`), so both run the
/// same code.
public final class SecureAggregatingParticipant: SecureAggregationDevice, @unchecked Sendable {
    /// The participant that trains.
    public let participant: any FederatedParticipant
    /// The strategy's own input (when this side knows the strategy); otherwise the server's rule.
    private let secureInput: (@Sendable (FitResult, ParameterSet) throws -> [Float])?
    private let lock = NSLock()
    private var setup: SecureRoundSetup?
    private var graph: SecureAggregationGraph?
    private var client: SecureAggregationClient?

    /// - Parameters:
    ///   - participant: the participant that trains.
    ///   - secureInput: the strategy's input for a fit result (`nil`: follow the server's rule).
    public init(
        participant: any FederatedParticipant,
        secureInput: (@Sendable (FitResult, ParameterSet) throws -> [Float])? = nil
    ) {
        self.participant = participant
        self.secureInput = secureInput
    }

    public func advertiseKeys(_ setup: SecureRoundSetup) throws -> AdvertisedKeys {
        let graph = try setup.graph()
        let client = SecureAggregationClient(index: setup.index, context: setup.context)
        lock.withLock {
            self.setup = setup
            self.graph = graph
            self.client = client
        }
        return client.advertisedKeys
    }

    public func shareKeys(roster: [AdvertisedKeys]) throws -> [EncryptedShares] {
        let (setup, graph, client) = lock.withLock { (self.setup, self.graph, self.client) }
        guard let setup, let graph, let client else {
            throw SecureAggregationError.outOfOrder("key sharing before keys were advertised")
        }
        return try client.shareKeys(roster: roster, graph: graph, threshold: setup.threshold)
    }

    public func maskedInput(_ instruction: FitInstruction, received: [EncryptedShares], rule: SecureInputRule?) throws
        -> MaskedInput
    {
        let (setup, client) = lock.withLock { (self.setup, self.client) }
        guard let setup, let client, instruction.configuration.round == setup.round else {
            throw SecureAggregationError.outOfOrder("masked input for a round whose keys were not shared")
        }
        let result = try participant.fit(instruction)
        let input: [Float]
        if let secureInput {
            input = try secureInput(result, instruction.parameters)
        } else if let rule {
            input = try rule.input(result, global: instruction.parameters)
        } else {
            throw SecureAggregationError.invalidMessage(
                participant: setup.index, reason: "the server's strategy publishes no secure input rule")
        }
        return MaskedInput(
            vector: try client.maskedInput(input, received: received, scale: setup.scale), metrics: result.metrics)
    }

    public func unmask(survivors: Set<Int>) throws -> UnmaskingShares {
        guard let client = lock.withLock({ self.client }) else {
            throw SecureAggregationError.outOfOrder("unmasking before keys were advertised")
        }
        return try client.unmask(survivors: survivors)
    }
}

/// The bytes of the secure steps' messages, as they cross HTTP (and as `nerva bench fed` counts
/// them): JSON for keys, boxes and shares; the masked vector as little-endian 64-bit words after a
/// JSON header; the fit instruction in `WireFormat` after one.
public enum SecureAggregationWire {
    /// The masked-input task: the neighbours' boxes, the strategy's rule and the instruction.
    public struct MaskingTask: Codable, Sendable {
        /// The boxes addressed to the participant.
        public var received: [EncryptedShares]
        /// The strategy's input rule.
        public var rule: SecureInputRule?
    }

    /// The unmasking task.
    public struct UnmaskingTask: Codable, Sendable {
        /// The participants whose masked input arrived.
        public var survivors: [Int]
    }

    /// A problem reading a message (the reason).
    public struct Unreadable: Error, CustomStringConvertible {
        /// Why the message could not be read.
        public let description: String
    }

    /// `value` as JSON.
    ///
    /// - Parameter value: the message.
    public static func json<T: Encodable>(_ value: T) throws -> [UInt8] { Array(try JSONEncoder().encode(value)) }

    /// The message of type `type` in `bytes`.
    ///
    /// - Parameters:
    ///   - type: the message type.
    ///   - bytes: its JSON.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
            throw Unreadable(description: "not a \(type) message: \(error)")
        }
    }

    /// `header` as JSON, preceded by its length (8 bytes, little-endian), then `payload`.
    ///
    /// - Parameters:
    ///   - header: the JSON part.
    ///   - payload: the binary part.
    public static func framed<T: Encodable>(_ header: T, payload: [UInt8]) throws -> [UInt8] {
        let json = try self.json(header)
        return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json + payload
    }

    /// The header and the payload of a `framed` message.
    ///
    /// - Parameters:
    ///   - type: the header's type.
    ///   - bytes: the message.
    public static func unframe<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> (
        header: T, payload: ArraySlice<UInt8>
    ) {
        guard bytes.count >= 8 else { throw Unreadable(description: "a framed message of \(bytes.count) bytes") }
        let length = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
        guard length <= UInt64(bytes.count - 8) else {
            throw Unreadable(description: "a header of \(length) bytes in a message of \(bytes.count)")
        }
        let end = 8 + Int(length)
        return (try decode(type, from: bytes[8..<end]), bytes[end...])
    }

    /// The masked-input task's bytes.
    ///
    /// - Parameters:
    ///   - instruction: the round's fit instruction.
    ///   - received: the boxes for the participant.
    ///   - rule: the strategy's input rule.
    public static func encodeMaskingTask(
        _ instruction: FitInstruction, received: [EncryptedShares], rule: SecureInputRule?
    )
        throws -> [UInt8]
    {
        try framed(MaskingTask(received: received, rule: rule), payload: WireFormat.encode(instruction))
    }

    /// The masked-input task in `bytes`.
    ///
    /// - Parameter bytes: the message.
    public static func decodeMaskingTask(_ bytes: [UInt8]) throws -> (FitInstruction, MaskingTask) {
        let (header, payload) = try unframe(MaskingTask.self, bytes)
        return (try Array(payload).withUnsafeBytes { try WireFormat.decodeFitInstruction($0) }, header)
    }

    /// A masked input's bytes: its metrics as JSON, then the vector.
    ///
    /// - Parameter input: the masked input.
    public static func encode(_ input: MaskedInput) throws -> [UInt8] {
        var payload = [UInt8](repeating: 0, count: input.vector.count * 8)
        payload.withUnsafeMutableBytes { raw in
            for (k, word) in input.vector.enumerated() {
                raw.storeBytes(of: word.littleEndian, toByteOffset: k * 8, as: UInt64.self)
            }
        }
        return try framed(input.metrics, payload: payload)
    }

    /// The masked input in `bytes`.
    ///
    /// - Parameter bytes: the message.
    public static func decodeMaskedInput(_ bytes: [UInt8]) throws -> MaskedInput {
        let (metrics, payload) = try unframe([String: Double].self, bytes)
        guard payload.count % 8 == 0 else {
            throw Unreadable(description: "a masked vector of \(payload.count) bytes (not whole 64-bit words)")
        }
        let vector = Array(payload).withUnsafeBytes { raw in
            (0..<(raw.count / 8)).map {
                UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))
            }
        }
        return MaskedInput(vector: vector, metrics: metrics)
    }
}
