import Crypto
import Foundation

/// A participant's public keys for one round (step 1 of `SecureAggregation`).
public struct AdvertisedKeys: Sendable, Codable, Equatable {
    /// The participant's position `0..<n` in the round.
    public let index: Int
    /// Raw X25519 public key for encrypting shares (`c_u`).
    public let encryptionKey: Data
    /// Raw X25519 public key for agreeing on masks (`s_u`).
    public let maskingKey: Data

    /// - Parameters:
    ///   - index: the participant's position in the round.
    ///   - encryptionKey: raw X25519 public key for encrypting shares.
    ///   - maskingKey: raw X25519 public key for agreeing on masks.
    public init(index: Int, encryptionKey: Data, maskingKey: Data) {
        self.index = index
        self.encryptionKey = encryptionKey
        self.maskingKey = maskingKey
    }
}

/// One participant's encrypted shares for a neighbour, relayed by the server (step 2).
public struct EncryptedShares: Sendable, Codable, Equatable {
    /// The sender's index.
    public let from: Int
    /// The recipient's index.
    public let to: Int
    /// ChaCha20-Poly1305 box of `from`, `to` and the shares of `s_from` and `b_from`.
    public let ciphertext: Data

    /// - Parameters:
    ///   - from: the sender's index.
    ///   - to: the recipient's index.
    ///   - ciphertext: the sealed box.
    public init(from: Int, to: Int, ciphertext: Data) {
        self.from = from
        self.to = to
        self.ciphertext = ciphertext
    }

    /// The size of every box: the plaintext's `from`, `to` and two shares of 32-byte secrets as
    /// 64-bit words, plus ChaCha20-Poly1305's nonce and tag.
    public static let ciphertextBytes = (2 + 2 * (1 + SecureAggregation.limbCount)) * 8 + 12 + 16
}

/// A survivor's answer to the unmasking request (step 4).
public struct UnmaskingShares: Sendable, Codable, Equatable {
    /// The survivor's index.
    public let from: Int
    /// Shares of the self-mask seeds of survivors, by participant.
    public let selfMaskShares: [Int: SecureAggregation.Share]
    /// Shares of the masking keys of participants that dropped, by participant.
    public let maskingKeyShares: [Int: SecureAggregation.Share]

    /// - Parameters:
    ///   - from: the survivor's index.
    ///   - selfMaskShares: shares of survivors' self-mask seeds, by participant.
    ///   - maskingKeyShares: shares of dropped participants' masking keys, by participant.
    public init(
        from: Int, selfMaskShares: [Int: SecureAggregation.Share], maskingKeyShares: [Int: SecureAggregation.Share]
    ) {
        self.from = from
        self.selfMaskShares = selfMaskShares
        self.maskingKeyShares = maskingKeyShares
    }
}

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

/// The server's side of a secure aggregation round: relays keys and shares, collects masked
/// vectors and removes the masks. It only ever holds public keys, encrypted boxes, masked
/// vectors and, at the end, one kind of secret per participant. Every message is checked
/// against the round's graph before it is kept, so a hostile participant gets an error, never
/// a trap or a say over anyone else's secrets.
public final class SecureAggregationServer {
    /// Shares needed to rebuild a secret, and the fewest neighbours a participant's secrets need.
    public let threshold: Int
    /// Binds every derived key to this round (the participants' `context`).
    public let context: Data
    /// Who masks with whom.
    public let graph: SecureAggregationGraph
    private var keys: [Int: AdvertisedKeys] = [:]
    private var boxes: [Int: [EncryptedShares]] = [:]
    private var sharers: Set<Int> = []
    /// The participants whose masked vectors arrived.
    private var maskedFrom: Set<Int> = []
    /// The running sum (mod 2⁶⁴) of their masked vectors: one vector, not one per participant.
    private var maskedSum: [UInt64] = []
    private var answers: [Int: UnmaskingShares] = [:]
    private var rosterSent = false

    /// An all-pairs round of `participants` (Bonawitz et al.).
    ///
    /// - Parameters:
    ///   - threshold: shares needed to rebuild a secret.
    ///   - context: binds every derived key to this round.
    ///   - participants: the participants of the round.
    public convenience init(threshold: Int, context: Data, participants: Int) throws {
        try self.init(
            graph: SecureAggregationGraph(participants: participants, degree: participants - 1, seed: 0),
            threshold: threshold, context: context)
    }

    /// A round over `graph`.
    ///
    /// - Parameters:
    ///   - graph: who masks with whom.
    ///   - threshold: shares needed to rebuild a secret, in `2...degree + 1`.
    ///   - context: binds every derived key to this round.
    /// - Throws: `SecureAggregationError.invalidGraph` for a threshold out of range.
    public init(graph: SecureAggregationGraph, threshold: Int, context: Data) throws {
        guard threshold >= 2, threshold <= graph.degree + 1 else {
            throw SecureAggregationError.invalidGraph(
                "threshold \(threshold) for neighbourhoods of \(graph.degree + 1), expected 2...\(graph.degree + 1)")
        }
        self.graph = graph
        self.threshold = threshold
        self.context = context
    }

    /// Step 1: a participant's public keys.
    ///
    /// - Parameter advertised: the participant's keys.
    /// - Throws: `SecureAggregationError.invalidMessage` for an index outside the round, keys that
    ///   are not X25519 public keys, or a second advertisement.
    public func receive(_ advertised: AdvertisedKeys) throws {
        let index = advertised.index
        guard (0..<graph.participants).contains(index), !rosterSent, keys[index] == nil else {
            throw SecureAggregationError.invalidMessage(
                participant: index, reason: "keys from outside the round, repeated, or after the roster was sent")
        }
        guard (try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: advertised.encryptionKey)) != nil,
            (try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: advertised.maskingKey)) != nil
        else {
            throw SecureAggregationError.invalidMessage(
                participant: index, reason: "the keys are not X25519 public keys")
        }
        keys[index] = advertised
    }

    /// The roster every participant gets after step 1.
    public func roster() throws -> [AdvertisedKeys] {
        guard keys.count >= threshold else {
            throw SecureAggregationError.belowThreshold(
                stage: "key advertising", count: keys.count, threshold: threshold)
        }
        rosterSent = true
        return keys.keys.sorted().map { keys[$0]! }
    }

    /// Step 2: a participant's encrypted boxes, to relay: exactly one of the right size for each
    /// of its neighbours in the roster.
    ///
    /// - Parameters:
    ///   - shares: the boxes.
    ///   - participant: their sender.
    public func receive(shares: [EncryptedShares], from participant: Int) throws {
        guard rosterSent, keys[participant] != nil, !sharers.contains(participant) else {
            throw SecureAggregationError.invalidMessage(
                participant: participant, reason: "shares from outside the roster, repeated, or before the roster")
        }
        let expected = Set(graph.neighbours(of: participant).filter { keys[$0] != nil })
        guard shares.count == expected.count, Set(shares.map(\.to)) == expected,
            shares.allSatisfy({ $0.from == participant && $0.ciphertext.count == EncryptedShares.ciphertextBytes })
        else {
            throw SecureAggregationError.invalidMessage(
                participant: participant,
                reason:
                    "expected one box of \(EncryptedShares.ciphertextBytes) bytes for each of its \(expected.count) neighbours"
            )
        }
        sharers.insert(participant)
        for box in shares { boxes[box.to, default: []].append(box) }
    }

    /// The boxes addressed to `participant` by participants that completed step 2.
    ///
    /// - Parameter participant: the recipient.
    public func shares(for participant: Int) throws -> [EncryptedShares] {
        guard sharers.count >= threshold else {
            throw SecureAggregationError.belowThreshold(
                stage: "key sharing", count: sharers.count, threshold: threshold)
        }
        return (boxes[participant] ?? []).filter { sharers.contains($0.from) }
    }

    /// Step 3: a participant's masked vector.
    ///
    /// - Parameters:
    ///   - vector: the masked vector.
    ///   - participant: its sender.
    public func receive(masked vector: [UInt64], from participant: Int) throws {
        guard sharers.contains(participant), !maskedFrom.contains(participant), answers.isEmpty else {
            throw SecureAggregationError.invalidMessage(
                participant: participant, reason: "masked input without shared keys, repeated, or after unmasking began"
            )
        }
        if !maskedFrom.isEmpty, maskedSum.count != vector.count {
            throw SecureAggregationError.lengthMismatch(
                expected: maskedSum.count, got: vector.count, participant: participant)
        }
        if maskedFrom.isEmpty {
            maskedSum = vector
        } else {
            maskedSum.withUnsafeMutableBufferPointer { sum in
                for k in sum.indices { sum[k] = sum[k] &+ vector[k] }
            }
        }
        maskedFrom.insert(participant)
    }

    /// The participants whose masked vectors arrived: the set every survivor is asked to unmask.
    public var survivors: Set<Int> { maskedFrom }

    /// The participants that shared their keys but sent no masked vector.
    public var dropped: Set<Int> { sharers.subtracting(maskedFrom) }

    /// Step 4: a survivor's shares: for the survivors and the dropped of its neighbourhood only,
    /// each at the coordinate the graph gives the survivor.
    ///
    /// - Parameter answer: the survivor's shares.
    public func receive(_ answer: UnmaskingShares) throws {
        let from = answer.from
        guard maskedFrom.contains(from), answers[from] == nil else {
            throw SecureAggregationError.invalidMessage(
                participant: from, reason: "unmasking shares from a non-survivor, or repeated")
        }
        let neighbourhood = Set(graph.neighbourhood(of: from))
        for (owner, share) in answer.selfMaskShares {
            guard maskedFrom.contains(owner), neighbourhood.contains(owner), share.isWellFormed,
                share.x == graph.shareCoordinate(of: owner, heldBy: from)
            else {
                throw SecureAggregationError.invalidMessage(
                    participant: from, reason: "a self-mask share for \(owner) it cannot hold")
            }
        }
        for (owner, share) in answer.maskingKeyShares {
            guard dropped.contains(owner), neighbourhood.contains(owner), share.isWellFormed,
                share.x == graph.shareCoordinate(of: owner, heldBy: from)
            else {
                throw SecureAggregationError.invalidMessage(
                    participant: from, reason: "a masking-key share for \(owner) it cannot hold")
            }
        }
        answers[from] = answer
    }

    /// The sum of the survivors' vectors, decoded with `scale`.
    ///
    /// - Parameter scale: the fixed-point scale the participants used.
    /// - Throws: `SecureAggregationError.belowThreshold` naming the stage, or the participant
    ///   whose secret cannot be rebuilt from the answers.
    public func sum(scale: Double = SecureAggregation.defaultScale) throws -> [Double] {
        try SecureAggregation.dequantize(rawSum(), scale: scale)
    }

    /// The sum of the survivors' quantised vectors (mod 2⁶⁴).
    func rawSum() throws -> [UInt64] {
        guard maskedFrom.count >= threshold else {
            throw SecureAggregationError.belowThreshold(
                stage: "masked input", count: maskedFrom.count, threshold: threshold)
        }
        guard answers.count >= threshold else {
            throw SecureAggregationError.belowThreshold(stage: "unmasking", count: answers.count, threshold: threshold)
        }
        var total = maskedSum
        // The survivors' self-masks.
        for survivor in maskedFrom.sorted() {
            let shares = answers.values.compactMap { $0.selfMaskShares[survivor] }
            let seed = try rebuild(shares, of: survivor, what: "self-mask seed")
            try SecureAggregation.apply(mask: SymmetricKey(data: seed), sign: -1, to: &total)
        }
        // The dropped participants' pairwise masks with each surviving neighbour: survivor u added
        // the mask if u < d and subtracted it otherwise.
        for lost in dropped.sorted() {
            let shares = answers.values.compactMap { $0.maskingKeyShares[lost] }
            let raw = try rebuild(shares, of: lost, what: "masking key")
            guard let privateKey = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw) else {
                throw SecureAggregationError.invalidMessage(
                    participant: lost, reason: "rebuilt masking key is not an X25519 key")
            }
            for survivor in graph.neighbours(of: lost) where maskedFrom.contains(survivor) {
                let publicKey = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: keys[survivor]!.maskingKey)
                let key = try SecureAggregation.pairKey(privateKey, publicKey, context: context)
                try SecureAggregation.apply(mask: key, sign: survivor < lost ? -1 : 1, to: &total)
            }
        }
        return total
    }

    private func rebuild(_ shares: [SecureAggregation.Share], of participant: Int, what: String) throws -> [UInt8] {
        let distinct = Dictionary(shares.map { ($0.x, $0) }, uniquingKeysWith: { first, _ in first }).values.sorted {
            $0.x < $1.x
        }
        guard distinct.count >= threshold else {
            throw SecureAggregationError.belowThreshold(
                stage: "rebuilding the \(what) of \(participant)", count: distinct.count, threshold: threshold)
        }
        return SecureAggregation.reconstruct(Array(distinct.prefix(threshold)), byteCount: 32)
    }
}
