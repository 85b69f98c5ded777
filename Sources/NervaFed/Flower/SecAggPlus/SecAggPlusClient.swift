import Foundation

/// The client side of Flower's SecAgg+ protocol (`flwr/client/mod/secure_aggregation/secaggplus_mod.py`),
/// so that a Nerva node takes part in a `SecAggPlusWorkflow` next to Python nodes: the server
/// learns the weighted sum of the nodes' models, never one node's model.
///
/// Every round is four `train` messages carrying a `secaggplus_configs` record:
/// 1. `setup`: the parameters (threshold, share count, quantisation ranges); the node makes two
///    P-384 key pairs and replies its public keys `pk1`, `pk2`.
/// 2. `share_keys`: the neighbours' public keys; the node draws a private-mask seed, splits it and
///    its private key 1 into Shamir shares, and sends each neighbour its shares encrypted with
///    Fernet under the ECDH key of key pairs 2 (`dsts`, `ctxts`).
/// 3. `collect_masked_vectors`: the shares others sent it (`srcs`, `ctxts`) and the legacy fit
///    instruction; the node trains (`train` closure), scales its model by its weight
///    `round(examples / max_weight · target_range)`, quantises it, adds its private mask and the
///    pairwise masks shared with each neighbour (added when its id is larger, subtracted when
///    smaller, so they cancel in the sum) modulo `mod_range`, and replies `masked_params` as `.npy`
///    int64 arrays, the weight first, with the fit reply's arrays emptied.
/// 4. `unmask`: which neighbours survived and which dropped; the node replies its shares of the
///    survivors' seeds and of the dropped nodes' private keys 1 (`nids`, `shares`).
///
/// Keys, seeds and Shamir coefficients come from the system's secure random source; only the
/// stochastic rounding of the quantisation is seeded. State is kept per run, in memory.
public final class SecAggPlusClient: @unchecked Sendable {
    private let lock = NSLock()
    private var states: [UInt64: SecAggPlusState] = [:]
    private let quantizationSeed: UInt64

    /// - Parameter quantizationSeed: seeds the stochastic rounding (mixed with the run and node).
    public init(quantizationSeed: UInt64 = 0) { self.quantizationSeed = quantizationSeed }

    /// The SecAgg+ stage a message's content asks for, or nil when it is not a SecAgg+ message.
    public static func stage(of content: FlowerContent) -> String? {
        guard case .config(let values)? = content.records[SecAggPlusKey.record],
            case .string(let stage)? = values[SecAggPlusKey.stage]
        else { return nil }
        return stage
    }

    /// The reply's content to a SecAgg+ `train` message of run `runID`, sent to node `nodeID`.
    ///
    /// - Parameters:
    ///   - content: the message's content, with its `secaggplus_configs` record.
    ///   - runID: the run the message belongs to (each run has its own protocol state).
    ///   - nodeID: this node's id.
    ///   - train: answers the fit instruction of the `collect_masked_vectors` stage (the
    ///     content without its `secaggplus_configs`) with a legacy `fitres.*` reply.
    /// - Throws: `SecAggPlusError` naming what is wrong (a stage out of order, a missing key, a
    ///   threshold not met, an undecryptable share), or `train`'s error.
    public func reply(
        to content: FlowerContent, runID: UInt64, nodeID: UInt64,
        train: (FlowerContent) throws -> FlowerContent
    ) throws -> FlowerContent {
        guard case .config(var configs)? = content.records[SecAggPlusKey.record] else {
            throw SecAggPlusError.protocolViolation("the message has no \"\(SecAggPlusKey.record)\" ConfigRecord")
        }
        guard case .string(let name)? = configs.removeValue(forKey: SecAggPlusKey.stage) else {
            throw SecAggPlusError.protocolViolation("the \"\(SecAggPlusKey.record)\" record has no string \"stage\"")
        }
        guard let stage = SecAggPlusStage(rawValue: name) else {
            throw SecAggPlusError.protocolViolation("unknown stage \"\(name)\"")
        }
        var state = lock.withLock { states[runID] } ?? SecAggPlusState()
        guard stage == .setup || stage == state.stage.next else {
            throw SecAggPlusError.protocolViolation(
                "abort secure aggregation: expected the \(state.stage.next.rawValue) stage, "
                    + "received \(stage.rawValue)")
        }
        var reply = FlowerContent()
        let values: [String: FlowerValue]
        switch stage {
        case .setup:
            state = SecAggPlusState()
            state.nodeID = nodeID
            values = try setUp(&state, configs)
        case .shareKeys:
            values = try shareKeys(&state, configs)
        case .collectMaskedVectors:
            var instruction = content
            instruction.records[SecAggPlusKey.record] = nil
            reply = try train(instruction)
            values = try collectMaskedVectors(&state, configs, fitReply: &reply, runID: runID)
        case .unmask:
            values = try unmask(state, configs)
        }
        state.stage = stage
        lock.withLock { states[runID] = state }
        reply.records[SecAggPlusKey.record] = .config(values)
        return reply
    }

    /// Forgets the state of a run (after it has finished).
    public func forget(runID: UInt64) { _ = lock.withLock { states.removeValue(forKey: runID) } }

    // MARK: - Stages

    private func setUp(
        _ state: inout SecAggPlusState, _ configs: [String: FlowerValue]
    ) throws(SecAggPlusError) -> [String: FlowerValue] {
        let stage = SecAggPlusStage.setup
        _ = try configs.secAggInteger(SecAggPlusKey.sampleNumber, stage: stage)
        state.shareCount = Int(try configs.secAggInteger(SecAggPlusKey.shareNumber, stage: stage))
        state.threshold = Int(try configs.secAggInteger(SecAggPlusKey.threshold, stage: stage))
        state.clippingRange = try configs.secAggDouble(SecAggPlusKey.clippingRange, stage: stage)
        state.targetRange = try configs.secAggInteger(SecAggPlusKey.targetRange, stage: stage)
        state.modulus = try configs.secAggInteger(SecAggPlusKey.modulusRange, stage: stage)
        state.maxWeight = try configs.secAggDouble(SecAggPlusKey.maxWeight, stage: stage)
        guard state.threshold >= 1, state.shareCount >= state.threshold else {
            throw .protocolViolation(
                "setup: threshold \(state.threshold) must be in 1...share_num (\(state.shareCount))")
        }
        guard state.clippingRange > 0, state.targetRange > 0, state.modulus > state.targetRange, state.maxWeight > 0
        else {
            throw .protocolViolation(
                "setup: clipping_range \(state.clippingRange), target_range \(state.targetRange), "
                    + "max_weight \(state.maxWeight) must be positive and mod_range \(state.modulus) above target_range"
            )
        }
        return [
            SecAggPlusKey.publicKey1: .bytes(state.maskKeys.publicKeyPEM),
            SecAggPlusKey.publicKey2: .bytes(state.encryptionKeys.publicKeyPEM)
        ]
    }

    private func shareKeys(
        _ state: inout SecAggPlusState, _ configs: [String: FlowerValue]
    ) throws(SecAggPlusError) -> [String: FlowerValue] {
        var publicKeys: [UInt64: (mask: [UInt8], encryption: [UInt8])] = [:]
        for (key, value) in configs {
            guard let node = UInt64(key), case .bytesList(let keys) = value, keys.count == 2 else {
                throw .protocolViolation("share_keys: the value for \"\(key)\" must be a list of two bytes")
            }
            publicKeys[node] = (keys[0], keys[1])
        }
        guard publicKeys.count >= state.threshold else {
            throw .protocolViolation(
                "share_keys: \(publicKeys.count) neighbours, fewer than the threshold \(state.threshold)")
        }
        let allKeys = publicKeys.values.flatMap { [$0.mask, $0.encryption] }
        guard Set(allKeys).count == allKeys.count else {
            throw .protocolViolation("share_keys: some public keys are identical")
        }
        guard let own = publicKeys[state.nodeID], own.mask == state.maskKeys.publicKeyPEM,
            own.encryption == state.encryptionKeys.publicKeyPEM
        else {
            throw .protocolViolation("share_keys: this node's own public keys are missing or wrong in the list")
        }
        state.publicKeys = publicKeys
        var random = SystemRandomNumberGenerator()
        state.privateMaskSeed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
        let seedShares = try ShamirSecretSharing.shares(
            of: state.privateMaskSeed, threshold: state.threshold,
            count: state.shareCount, using: &random)
        let keyShares = try ShamirSecretSharing.shares(
            of: state.maskKeys.privateKeyPEM, threshold: state.threshold,
            count: state.shareCount, using: &random)
        guard publicKeys.count <= state.shareCount else {
            throw .protocolViolation(
                "share_keys: \(publicKeys.count) neighbours but only share_num \(state.shareCount) shares")
        }
        var destinations: [UInt64] = []
        var ciphertexts: [[UInt8]] = []
        for (index, node) in publicKeys.keys.sorted().enumerated() {
            if node == state.nodeID {
                state.seedShares[node] = seedShares[index]
                state.maskKeyShares[node] = keyShares[index]
                continue
            }
            let key = try state.encryptionKeys.sharedKey(withPublicKeyPEM: publicKeys[node]!.encryption)
            state.encryptionKeysByNode[node] = key
            let plaintext = SecAggPlusSharePacket(
                source: state.nodeID, destination: node, seedShare: seedShares[index],
                keyShare: keyShares[index]
            ).bytes
            destinations.append(node)
            ciphertexts.append(try Fernet(key: key).encrypt(plaintext))
        }
        return [SecAggPlusKey.destinations: .nodeIDs(destinations), SecAggPlusKey.ciphertexts: .bytesList(ciphertexts)]
    }

    private func collectMaskedVectors(
        _ state: inout SecAggPlusState, _ configs: [String: FlowerValue], fitReply: inout FlowerContent,
        runID: UInt64
    ) throws -> [String: FlowerValue] {
        let stage = SecAggPlusStage.collectMaskedVectors
        let ciphertexts = try configs.secAggBytesList(SecAggPlusKey.ciphertexts, stage: stage)
        let sources = try configs.secAggNodeIDs(SecAggPlusKey.sources, stage: stage)
        guard ciphertexts.count == sources.count else {
            throw SecAggPlusError.protocolViolation(
                "collect_masked_vectors: \(ciphertexts.count) ciphertexts for \(sources.count) sources")
        }
        guard ciphertexts.count + 1 >= state.threshold else {
            throw SecAggPlusError.protocolViolation(
                "collect_masked_vectors: not enough available neighbours "
                    + "(\(ciphertexts.count) + this node < threshold \(state.threshold))")
        }
        for (source, ciphertext) in zip(sources, ciphertexts) {
            guard let key = state.encryptionKeysByNode[source] else {
                throw SecAggPlusError.protocolViolation(
                    "collect_masked_vectors: a ciphertext from node \(source), not a neighbour")
            }
            let packet = try SecAggPlusSharePacket(bytes: try Fernet(key: key).decrypt(ciphertext))
            guard packet.source == source, packet.destination == state.nodeID else {
                throw SecAggPlusError.protocolViolation(
                    "collect_masked_vectors: node \(state.nodeID) received shares from "
                        + "\(packet.source) for \(packet.destination) as if from \(source)")
            }
            state.seedShares[source] = packet.seedShare
            state.maskKeyShares[source] = packet.keyShare
        }
        let fit = try FlowerLegacyLayout.FitResult(content: fitReply)
        let vectors = try maskedVectors(
            state, arrays: fit.arrays, exampleCount: fit.exampleCount, neighbours: sources, runID: runID)
        fitReply.records[FlowerLegacyLayout.fitResultParameters] = .arrays(names: [], arrays: [])
        return [SecAggPlusKey.maskedParameters: .bytesList(vectors)]
    }

    /// `[weight, weight · arrays]` quantised and masked, as `.npy` int64 files.
    private func maskedVectors(
        _ state: SecAggPlusState, arrays: [NumpyArray], exampleCount: Int, neighbours: [UInt64],
        runID: UInt64
    ) throws -> [[UInt8]] {
        let ratio = Double(exampleCount) / state.maxWeight
        let weight = Int64((ratio * Double(state.targetRange)).rounded(.toNearestOrEven))
        let scale = Float(Double(weight) / Double(state.targetRange))
        var generator = RandomGenerator(seed: quantizationSeed &* 0x9E37_79B9_7F4A_7C15 &+ runID &* 31 &+ state.nodeID)
        var vectors: [[Int64]] = [[weight]]
        var shapes: [[Int]] = [[1]]
        for array in arrays {
            guard array.scalars.allSatisfy(\.isFinite) else {
                throw SecAggPlusError.protocolViolation(
                    "collect_masked_vectors: the trained model has non-finite values")
            }
            vectors.append(
                SecAggPlusQuantization.quantize(
                    array.scalars.map { $0 * scale }, clippingRange: state.clippingRange,
                    targetRange: state.targetRange, using: &generator))
            shapes.append(array.shape)
        }
        func add(_ masks: [[Int64]], sign: Int64) {
            for index in vectors.indices {
                for position in vectors[index].indices { vectors[index][position] &+= sign &* masks[index][position] }
            }
        }
        add(try SecAggPlusMasks.generate(seed: state.privateMaskSeed, modulus: state.modulus, shapes: shapes), sign: 1)
        for node in neighbours {
            let seed = try state.maskKeys.sharedKey(withPublicKeyPEM: state.publicKeys[node]!.mask)
            add(
                try SecAggPlusMasks.generate(seed: seed, modulus: state.modulus, shapes: shapes),
                sign: state.nodeID > node ? 1 : -1)
        }
        return zip(vectors, shapes).map { vector, shape in
            NumpyArray.encoded(int64: vector.map { Self.modulo($0, state.modulus) }, shape: shape)
        }
    }

    /// `value mod modulus` in `0..<modulus` (a bit mask for powers of two, as Flower does).
    static func modulo(_ value: Int64, _ modulus: Int64) -> Int64 {
        if modulus.nonzeroBitCount == 1 { return value & (modulus - 1) }
        let remainder = value % modulus
        return remainder < 0 ? remainder + modulus : remainder
    }

    private func unmask(
        _ state: SecAggPlusState, _ configs: [String: FlowerValue]
    ) throws(SecAggPlusError) -> [String: FlowerValue] {
        let active = try configs.secAggNodeIDs(SecAggPlusKey.activeNodes, stage: .unmask)
        let dead = try configs.secAggNodeIDs(SecAggPlusKey.deadNodes, stage: .unmask)
        guard active.count >= state.threshold else {
            throw .protocolViolation(
                "unmask: \(active.count) surviving neighbours, fewer than the threshold \(state.threshold)")
        }
        var shares: [[UInt8]] = []
        for node in active {
            guard let share = state.seedShares[node] else {
                throw .protocolViolation("unmask: no share of node \(node)'s mask seed")
            }
            shares.append(share)
        }
        for node in dead {
            guard let share = state.maskKeyShares[node] else {
                throw .protocolViolation("unmask: no share of node \(node)'s key")
            }
            shares.append(share)
        }
        return [SecAggPlusKey.nodes: .nodeIDs(active + dead), SecAggPlusKey.shares: .bytesList(shares)]
    }
}

/// The plaintext a node encrypts for a neighbour (`share_keys_plaintext_concat`): source and
/// destination ids (8 bytes each, little-endian), the seed share's length (4 bytes), the seed
/// share, the key share.
struct SecAggPlusSharePacket: Equatable {
    var source: UInt64
    var destination: UInt64
    var seedShare: [UInt8]
    var keyShare: [UInt8]

    init(source: UInt64, destination: UInt64, seedShare: [UInt8], keyShare: [UInt8]) {
        self.source = source
        self.destination = destination
        self.seedShare = seedShare
        self.keyShare = keyShare
    }

    init(bytes: [UInt8]) throws(SecAggPlusError) {
        func little(_ range: Range<Int>) -> UInt64 {
            range.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[$1]) }
        }
        guard bytes.count >= 20 else { throw .protocolViolation("a share packet of \(bytes.count) bytes is too short") }
        let length = Int(little(16..<20))
        guard 20 + length <= bytes.count else { throw .protocolViolation("a share packet's seed share overruns it") }
        source = little(0..<8)
        destination = little(8..<16)
        seedShare = Array(bytes[20..<20 + length])
        keyShare = Array(bytes[(20 + length)...])
    }

    var bytes: [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: source.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: destination.littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt32(seedShare.count).littleEndian) { bytes += $0 }
        return bytes + seedShare + keyShare
    }
}
