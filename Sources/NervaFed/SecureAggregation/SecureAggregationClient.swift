import Crypto
import Foundation

/// One participant's side of a secure aggregation round. Its keys and self-mask seed are fresh
/// and secret; only the messages of each step leave it. It shares its secrets with, and masks
/// against, its neighbours in the round's `SecureAggregationGraph` only.
public final class SecureAggregationClient: @unchecked Sendable {
    /// The participant's position `0..<n` in the round.
    public let index: Int
    /// Binds every derived key to this round (e.g. the session and round number).
    public let context: Data
    private let encryptionKey = Curve25519.KeyAgreement.PrivateKey()
    private let maskingKey = Curve25519.KeyAgreement.PrivateKey()
    private let selfMaskSeed: [UInt8] = {
        var random = SystemRandomNumberGenerator()
        return (0..<32).map { _ in random.next() }
    }()
    private var roster: [Int: AdvertisedKeys] = [:]
    private var graph: SecureAggregationGraph?
    private var threshold = 0
    /// Shares held for others: (share of `s_v`, share of `b_v`), by participant `v`.
    private var held: [Int: (maskingKey: SecureAggregation.Share, selfMask: SecureAggregation.Share)] = [:]
    private var masked = false
    private var unmaskingSent = false

    /// - Parameters:
    ///   - index: the participant's position in the round.
    ///   - context: binds every derived key to this round.
    public init(index: Int, context: Data) {
        self.index = index
        self.context = context
    }

    /// Step 1: the public keys to send.
    public var advertisedKeys: AdvertisedKeys {
        AdvertisedKeys(
            index: index, encryptionKey: encryptionKey.publicKey.rawRepresentation,
            maskingKey: maskingKey.publicKey.rawRepresentation)
    }

    /// Step 2 with every other participant as a neighbour (Bonawitz et al.'s all-pairs round).
    ///
    /// - Parameters:
    ///   - roster: the public keys of the participants that advertised them.
    ///   - threshold: shares needed to rebuild a secret.
    public func shareKeys(roster: [AdvertisedKeys], threshold: Int) throws -> [EncryptedShares] {
        let participants = (roster.map(\.index).max() ?? 0) + 1
        return try shareKeys(
            roster: roster,
            graph: SecureAggregationGraph(
                participants: max(participants, 2), degree: max(participants, 2) - 1, seed: 0),
            threshold: threshold)
    }

    /// Step 2: shares of this participant's masking key and self-mask seed, one encrypted box per
    /// neighbour of `graph` in `roster` (any `threshold` shares rebuild a secret).
    ///
    /// - Parameters:
    ///   - roster: the public keys of the participants that advertised them.
    ///   - graph: the round's neighbour graph (the participant derives it itself).
    ///   - threshold: shares needed to rebuild a secret, at least 2 and at most the neighbourhood's size.
    /// - Throws: `SecureAggregationError.belowThreshold` when fewer than `threshold` of the
    ///   neighbourhood advertised keys; `.invalidMessage` for a roster entry that is not a key;
    ///   `.outOfOrder` when called twice.
    public func shareKeys(roster: [AdvertisedKeys], graph: SecureAggregationGraph, threshold: Int) throws
        -> [EncryptedShares]
    {
        guard self.graph == nil else { throw SecureAggregationError.outOfOrder("keys shared twice") }
        let neighbourhood = graph.neighbourhood(of: index)
        guard threshold >= 2, threshold <= neighbourhood.count else {
            throw SecureAggregationError.invalidGraph(
                "threshold \(threshold) for a neighbourhood of \(neighbourhood.count), expected 2...\(neighbourhood.count)"
            )
        }
        var known: [Int: AdvertisedKeys] = [:]
        for keys in roster where neighbourhood.contains(keys.index) && known[keys.index] == nil {
            known[keys.index] = keys
        }
        guard known[index] == advertisedKeys else {
            throw SecureAggregationError.invalidMessage(
                participant: index, reason: "the roster lacks this participant's own keys")
        }
        guard known.count >= threshold else {
            throw SecureAggregationError.belowThreshold(stage: "key sharing", count: known.count, threshold: threshold)
        }
        self.roster = known
        self.graph = graph
        self.threshold = threshold
        let keyShares = SecureAggregation.shares(
            of: Array(maskingKey.rawRepresentation), threshold: threshold, count: neighbourhood.count)
        let seedShares = SecureAggregation.shares(of: selfMaskSeed, threshold: threshold, count: neighbourhood.count)
        var boxes: [EncryptedShares] = []
        for (position, other) in neighbourhood.enumerated() where known[other] != nil {
            if other == index {
                held[index] = (keyShares[position], seedShares[position])
                continue
            }
            let key = try SecureAggregation.channelKey(
                encryptionKey, publicKey(of: other, \.encryptionKey), context: context)
            let plaintext = Self.encode(from: index, to: other, keyShares[position], seedShares[position])
            boxes.append(
                EncryptedShares(from: index, to: other, ciphertext: try ChaChaPoly.seal(plaintext, using: key).combined)
            )
        }
        return boxes
    }

    /// Step 3: decrypts the shares the neighbours sent (the participants this one masks with)
    /// and returns `values` fixed-point encoded and masked.
    ///
    /// - Parameters:
    ///   - values: the participant's input.
    ///   - received: the boxes the server relayed, from neighbours that completed step 2.
    ///   - scale: the fixed-point scale.
    /// - Throws: `SecureAggregationError.invalidMessage` for a box from outside the neighbourhood
    ///   or one that fails authentication; `.outOfOrder` before step 2 or when called twice.
    public func maskedInput(
        _ values: some Collection<Float>, received: [EncryptedShares],
        scale: Double = SecureAggregation.defaultScale
    ) throws -> [UInt64] {
        guard let graph else { throw SecureAggregationError.outOfOrder("masked input before key sharing") }
        guard !masked else { throw SecureAggregationError.outOfOrder("masked input sent twice") }
        var opened: [Int: (maskingKey: SecureAggregation.Share, selfMask: SecureAggregation.Share)] = [:]
        for box in received {
            guard box.to == index, graph.areNeighbours(box.from, index), roster[box.from] != nil,
                opened[box.from] == nil
            else {
                throw SecureAggregationError.invalidMessage(
                    participant: box.from, reason: "shares addressed to \(box.to) from outside the neighbourhood")
            }
            let key = try SecureAggregation.channelKey(
                encryptionKey, publicKey(of: box.from, \.encryptionKey), context: context)
            guard let plaintext = try? ChaChaPoly.open(ChaChaPoly.SealedBox(combined: box.ciphertext), using: key),
                let decoded = Self.decode(plaintext), decoded.from == box.from, decoded.to == index,
                decoded.maskingKey.x == graph.shareCoordinate(of: box.from, heldBy: index),
                decoded.selfMask.x == decoded.maskingKey.x
            else {
                throw SecureAggregationError.invalidMessage(participant: box.from, reason: "shares fail authentication")
            }
            opened[box.from] = (decoded.maskingKey, decoded.selfMask)
        }
        masked = true
        held.merge(opened) { first, _ in first }
        var vector = SecureAggregation.quantize(values, scale: scale)
        try SecureAggregation.apply(mask: SymmetricKey(data: selfMaskSeed), sign: 1, to: &vector)
        for other in held.keys.sorted() where other != index {
            let key = try SecureAggregation.pairKey(maskingKey, publicKey(of: other, \.maskingKey), context: context)
            try SecureAggregation.apply(mask: key, sign: other > index ? 1 : -1, to: &vector)
        }
        return vector
    }

    /// Step 4: for each of `survivors` in the neighbourhood the share of its self-mask seed, for
    /// each neighbour that shared keys but is not a survivor the share of its masking key.
    /// Refuses a second request and a neighbourhood with fewer survivors than the threshold, so
    /// the server never gets both secrets of anyone.
    ///
    /// - Parameter survivors: the participants whose masked input the server received.
    public func unmask(survivors: Set<Int>) throws -> UnmaskingShares {
        guard let graph else { throw SecureAggregationError.outOfOrder("unmasking before key sharing") }
        let surviving = graph.neighbourhood(of: index).filter(survivors.contains).count
        guard surviving >= threshold else {
            throw SecureAggregationError.belowThreshold(stage: "unmasking", count: surviving, threshold: threshold)
        }
        guard !unmaskingSent else {
            throw SecureAggregationError.invalidMessage(participant: index, reason: "asked to unmask twice")
        }
        unmaskingSent = true
        var selfMasks: [Int: SecureAggregation.Share] = [:], maskingKeys: [Int: SecureAggregation.Share] = [:]
        for (other, shares) in held {
            if survivors.contains(other) {
                selfMasks[other] = shares.selfMask
            } else {
                maskingKeys[other] = shares.maskingKey
            }
        }
        return UnmaskingShares(from: index, selfMaskShares: selfMasks, maskingKeyShares: maskingKeys)
    }

    private func publicKey(of participant: Int, _ field: KeyPath<AdvertisedKeys, Data>) throws
        -> Curve25519.KeyAgreement.PublicKey
    {
        guard let keys = roster[participant],
            let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: keys[keyPath: field])
        else {
            throw SecureAggregationError.invalidMessage(
                participant: participant, reason: "no valid public key in the roster")
        }
        return key
    }

    // MARK: - Share boxes: from, to, then each share as x and its limbs (little-endian UInt64)

    private static func encode(from: Int, to: Int, _ first: SecureAggregation.Share, _ second: SecureAggregation.Share)
        -> Data
    {
        var words = ([UInt64(from), UInt64(to), first.x] + first.y + [second.x] + second.y).map(\.littleEndian)
        return Data(bytes: &words, count: words.count * 8)
    }

    private static func decode(_ data: Data) -> (
        from: Int, to: Int, maskingKey: SecureAggregation.Share, selfMask: SecureAggregation.Share
    )? {
        let limbs = SecureAggregation.limbCount
        guard data.count == (2 + 2 * (1 + limbs)) * 8 else { return nil }
        let words = data.withUnsafeBytes { raw in
            (0..<(data.count / 8)).map {
                UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))
            }
        }
        let first = SecureAggregation.Share(x: words[2], y: Array(words[3..<(3 + limbs)]))
        let second = SecureAggregation.Share(x: words[3 + limbs], y: Array(words[(4 + limbs)...]))
        guard let from = Int(exactly: words[0]), let to = Int(exactly: words[1]), first.isWellFormed,
            second.isWellFormed
        else { return nil }
        return (from, to, first, second)
    }
}
