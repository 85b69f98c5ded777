/// The stages of Flower's SecAgg+ protocol, in the order the server runs them every round.
public enum SecAggPlusStage: String, Sendable, CaseIterable {
    case setup
    case shareKeys = "share_keys"
    case collectMaskedVectors = "collect_masked_vectors"
    case unmask

    /// The stage that must follow this one (`setup` may also come at any time: a restart).
    var next: SecAggPlusStage {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}

/// The keys of SecAgg+'s `secaggplus_configs` record (`flwr/common/secure_aggregation/secaggplus_constants.py`).
enum SecAggPlusKey {
    static let record = "secaggplus_configs"
    static let stage = "stage"
    static let sampleNumber = "sample_num", shareNumber = "share_num", threshold = "threshold"
    static let clippingRange = "clipping_range", targetRange = "target_range", modulusRange = "mod_range"
    static let maxWeight = "max_weight"
    static let publicKey1 = "pk1", publicKey2 = "pk2"
    static let destinations = "dsts", ciphertexts = "ctxts", sources = "srcs"
    static let maskedParameters = "masked_params"
    static let activeNodes = "active_nids", deadNodes = "dead_nids"
    static let nodes = "nids", shares = "shares"
}

/// What one node keeps between the stages of one SecAgg+ round (`SecAggPlusState` in
/// `secaggplus_mod.py`).
struct SecAggPlusState {
    /// The stage answered last; a round starts from `unmask` (the end of the previous one).
    var stage = SecAggPlusStage.unmask
    var nodeID: UInt64 = 0
    var shareCount = 0
    var threshold = 0
    var clippingRange = 0.0
    var targetRange: Int64 = 0
    var modulus: Int64 = 0
    var maxWeight = 0.0
    /// Key pair 1 makes the pairwise masks; its private key is shared among the neighbours.
    var maskKeys = SecAggPlusKeyPair()
    /// Key pair 2 encrypts the shares sent to each neighbour.
    var encryptionKeys = SecAggPlusKeyPair()
    /// The seed of this node's private mask, shared among the neighbours.
    var privateMaskSeed: [UInt8] = []
    /// Shares held for each neighbour (and this node): of its private-mask seed and its key 1.
    var seedShares: [UInt64: [UInt8]] = [:]
    var maskKeyShares: [UInt64: [UInt8]] = [:]
    /// The Fernet key shared with each neighbour (from key pair 2).
    var encryptionKeysByNode: [UInt64: [UInt8]] = [:]
    /// Each neighbour's public keys 1 and 2 (PEM), this node included.
    var publicKeys: [UInt64: (mask: [UInt8], encryption: [UInt8])] = [:]
}

/// Typed reading of the values of a `secaggplus_configs` record.
extension [String: FlowerValue] {
    func secAggInteger(_ key: String, stage: SecAggPlusStage) throws(SecAggPlusError) -> Int64 {
        switch self[key] {
        case .integer(let value)?: return value
        case .unsigned(let value)? where value <= UInt64(Int64.max): return Int64(value)
        case nil: throw .protocolViolation("stage \(stage.rawValue): the config has no \"\(key)\"")
        case let value?:
            throw .protocolViolation("stage \(stage.rawValue): \"\(key)\" must be an integer, got \(value)")
        }
    }

    func secAggDouble(_ key: String, stage: SecAggPlusStage) throws(SecAggPlusError) -> Double {
        guard let value = self[key] else {
            throw .protocolViolation("stage \(stage.rawValue): the config has no \"\(key)\"")
        }
        guard let number = value.number, number.isFinite else {
            throw .protocolViolation("stage \(stage.rawValue): \"\(key)\" must be a finite number, got \(value)")
        }
        return number
    }

    /// A list of node ids (Flower writes them as sint64, or uint64 above Int64.max).
    func secAggNodeIDs(_ key: String, stage: SecAggPlusStage) throws(SecAggPlusError) -> [UInt64] {
        switch self[key] {
        case .integers(let values)?: return values.map { UInt64(bitPattern: $0) }
        case .unsigneds(let values)?: return values
        case .bools([])?, .doubles([])?, .strings([])?, .bytesList([])?: return [] // an empty Python list
        case nil: throw .protocolViolation("stage \(stage.rawValue): the config has no \"\(key)\"")
        case let value?:
            throw .protocolViolation("stage \(stage.rawValue): \"\(key)\" must be a list of node ids, got \(value)")
        }
    }

    func secAggBytesList(_ key: String, stage: SecAggPlusStage) throws(SecAggPlusError) -> [[UInt8]] {
        switch self[key] {
        case .bytesList(let values)?: return values
        case .bools([])?, .integers([])?, .doubles([])?, .strings([])?, .unsigneds([])?: return []
        case nil: throw .protocolViolation("stage \(stage.rawValue): the config has no \"\(key)\"")
        case let value?:
            throw .protocolViolation("stage \(stage.rawValue): \"\(key)\" must be a list of bytes, got \(value)")
        }
    }
}

extension FlowerValue {
    /// Node ids as Flower writes an `int` list: sint64, or uint64 when one exceeds Int64.max.
    static func nodeIDs(_ ids: [UInt64]) -> FlowerValue {
        ids.contains { $0 > UInt64(Int64.max) } ? .unsigneds(ids) : .integers(ids.map { Int64(bitPattern: $0) })
    }
}
