import Crypto
import Foundation

/// A participant's public keys for one round (step 1 of `SecureAggregation`).
public struct AdvertisedKeys: Sendable {
    /// The participant's position `0..<n` in the round.
    public let index: Int
    /// Raw X25519 public key for encrypting shares (`c_u`).
    public let encryptionKey: Data
    /// Raw X25519 public key for agreeing on masks (`s_u`).
    public let maskingKey: Data
}

/// One participant's encrypted shares for another, relayed by the server (step 2).
public struct EncryptedShares: Sendable {
    public let from: Int
    public let to: Int
    /// ChaCha20-Poly1305 box of `from`, `to` and the shares of `s_from` and `b_from`.
    public let ciphertext: Data
}

/// A survivor's answer to the unmasking request (step 4).
public struct UnmaskingShares: Sendable {
    public let from: Int
    /// Shares of the self-mask seeds of survivors, by participant.
    public let selfMaskShares: [Int: SecureAggregation.Share]
    /// Shares of the masking keys of participants that dropped, by participant.
    public let maskingKeyShares: [Int: SecureAggregation.Share]
}

/// One participant's side of a secure aggregation round. Its keys and self-mask seed are fresh
/// and secret; only the messages of each step leave it.
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
    private var threshold = 0
    /// Shares held for others: (share of `s_v`, share of `b_v`), by participant `v`.
    private var held: [Int: (maskingKey: SecureAggregation.Share, selfMask: SecureAggregation.Share)] = [:]
    private var unmaskingSent = false

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

    /// Step 2: shares of this participant's masking key and self-mask seed, one encrypted box per
    /// other participant of `roster` (any `threshold` shares rebuild a secret).
    public func shareKeys(roster: [AdvertisedKeys], threshold: Int) throws -> [EncryptedShares] {
        guard roster.count >= threshold, threshold >= 2 else {
            throw SecureAggregationError.belowThreshold(
                stage: "key sharing", count: roster.count, threshold: max(threshold, 2))
        }
        self.roster = Dictionary(roster.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        self.threshold = threshold
        let ordered = roster.map(\.index).sorted()
        let keyShares = SecureAggregation.shares(
            of: Array(maskingKey.rawRepresentation), threshold: threshold, count: ordered.count)
        let seedShares = SecureAggregation.shares(of: selfMaskSeed, threshold: threshold, count: ordered.count)
        var boxes: [EncryptedShares] = []
        for (position, other) in ordered.enumerated() {
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

    /// Step 3: decrypts the shares others sent (their senders are the participants this one masks
    /// with) and returns `values` fixed-point encoded and masked.
    public func maskedInput(
        _ values: some Collection<Float>, received: [EncryptedShares],
        scale: Double = SecureAggregation.defaultScale
    ) throws -> [UInt64] {
        for box in received {
            guard box.to == index, box.from != index, roster[box.from] != nil else {
                throw SecureAggregationError.invalidMessage(
                    participant: box.from, reason: "shares addressed to \(box.to) from outside the roster")
            }
            let key = try SecureAggregation.channelKey(
                encryptionKey, publicKey(of: box.from, \.encryptionKey), context: context)
            guard let plaintext = try? ChaChaPoly.open(ChaChaPoly.SealedBox(combined: box.ciphertext), using: key),
                let decoded = Self.decode(plaintext), decoded.from == box.from, decoded.to == index
            else {
                throw SecureAggregationError.invalidMessage(participant: box.from, reason: "shares fail authentication")
            }
            held[box.from] = (decoded.maskingKey, decoded.selfMask)
        }
        var masked = SecureAggregation.quantize(values, scale: scale)
        try SecureAggregation.apply(mask: SymmetricKey(data: selfMaskSeed), sign: 1, to: &masked)
        for other in held.keys.sorted() where other != index {
            let key = try SecureAggregation.pairKey(maskingKey, publicKey(of: other, \.maskingKey), context: context)
            try SecureAggregation.apply(mask: key, sign: other > index ? 1 : -1, to: &masked)
        }
        return masked
    }

    /// Step 4: for each of `survivors` the share of its self-mask seed, for each participant that
    /// shared keys but is not a survivor the share of its masking key. Refuses a second request
    /// and a survivor set below the threshold, so the server never gets both secrets of anyone.
    public func unmask(survivors: Set<Int>) throws -> UnmaskingShares {
        guard survivors.count >= threshold else {
            throw SecureAggregationError.belowThreshold(
                stage: "unmasking", count: survivors.count, threshold: threshold)
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
        var words = [UInt64(from), UInt64(to), first.x] + first.y + [second.x] + second.y
        return Data(bytes: &words, count: words.count * 8)
    }

    private static func decode(_ data: Data) -> (
        from: Int, to: Int, maskingKey: SecureAggregation.Share, selfMask: SecureAggregation.Share
    )? {
        let limbs = (32 + SecureAggregation.limbBytes - 1) / SecureAggregation.limbBytes
        guard data.count == (2 + 2 * (1 + limbs)) * 8 else { return nil }
        let words = data.withUnsafeBytes { raw in
            (0..<(data.count / 8)).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self) }
        }
        let first = SecureAggregation.Share(x: words[2], y: Array(words[3..<(3 + limbs)]))
        let second = SecureAggregation.Share(x: words[3 + limbs], y: Array(words[(4 + limbs)...]))
        return (Int(words[0]), Int(words[1]), first, second)
    }
}

/// The server's side of a secure aggregation round: relays keys and shares, collects masked
/// vectors and removes the masks. It only ever holds public keys, encrypted boxes, masked
/// vectors and, at the end, one kind of secret per participant.
public final class SecureAggregationServer {
    /// Shares needed to rebuild a secret, and the fewest participants a round may continue with.
    public let threshold: Int
    /// Binds every derived key to this round (the participants' `context`).
    public let context: Data
    private var keys: [Int: AdvertisedKeys] = [:]
    private var boxes: [Int: [EncryptedShares]] = [:]
    private var sharers: Set<Int> = []
    private var masked: [Int: [UInt64]] = [:]
    private var answers: [Int: UnmaskingShares] = [:]

    public init(threshold: Int, context: Data) {
        self.threshold = threshold
        self.context = context
    }

    /// Step 1: a participant's public keys.
    public func receive(_ advertised: AdvertisedKeys) { keys[advertised.index] = advertised }

    /// The roster every participant gets after step 1.
    public func roster() throws -> [AdvertisedKeys] {
        guard keys.count >= threshold else {
            throw SecureAggregationError.belowThreshold(
                stage: "key advertising", count: keys.count, threshold: threshold)
        }
        return keys.keys.sorted().map { keys[$0]! }
    }

    /// Step 2: a participant's encrypted boxes, to relay.
    public func receive(shares: [EncryptedShares], from participant: Int) throws {
        guard keys[participant] != nil, shares.allSatisfy({ $0.from == participant && keys[$0.to] != nil }) else {
            throw SecureAggregationError.invalidMessage(
                participant: participant, reason: "shares from or to a participant outside the roster")
        }
        sharers.insert(participant)
        for box in shares { boxes[box.to, default: []].append(box) }
    }

    /// The boxes addressed to `participant` by participants that completed step 2.
    public func shares(for participant: Int) throws -> [EncryptedShares] {
        guard sharers.count >= threshold else {
            throw SecureAggregationError.belowThreshold(
                stage: "key sharing", count: sharers.count, threshold: threshold)
        }
        return (boxes[participant] ?? []).filter { sharers.contains($0.from) }
    }

    /// Step 3: a participant's masked vector.
    public func receive(masked vector: [UInt64], from participant: Int) throws {
        guard sharers.contains(participant) else {
            throw SecureAggregationError.invalidMessage(
                participant: participant, reason: "masked input without shared keys")
        }
        if let length = masked.values.first?.count, length != vector.count {
            throw SecureAggregationError.lengthMismatch(expected: length, got: vector.count, participant: participant)
        }
        masked[participant] = vector
    }

    /// The participants whose masked vectors arrived: the set every survivor is asked to unmask.
    public var survivors: Set<Int> { Set(masked.keys) }

    /// Step 4: a survivor's shares.
    public func receive(_ answer: UnmaskingShares) { if masked[answer.from] != nil { answers[answer.from] = answer } }

    /// The sum of the survivors' vectors, decoded with `scale`.
    public func sum(scale: Double = SecureAggregation.defaultScale) throws -> [Double] {
        guard masked.count >= threshold else {
            throw SecureAggregationError.belowThreshold(
                stage: "masked input", count: masked.count, threshold: threshold)
        }
        guard answers.count >= threshold else {
            throw SecureAggregationError.belowThreshold(stage: "unmasking", count: answers.count, threshold: threshold)
        }
        let length = masked.values.first!.count
        var total = [UInt64](repeating: 0, count: length)
        for participant in masked.keys.sorted() {
            let vector = masked[participant]!
            for k in 0..<length { total[k] = total[k] &+ vector[k] }
        }
        // The survivors' self-masks.
        for survivor in masked.keys.sorted() {
            let shares = answers.values.compactMap { $0.selfMaskShares[survivor] }
            let seed = try rebuild(shares, of: survivor, what: "self-mask seed")
            try SecureAggregation.apply(mask: SymmetricKey(data: seed), sign: -1, to: &total)
        }
        // The dropped participants' pairwise masks with each survivor: survivor u added the mask
        // if u < d and subtracted it otherwise.
        for dropped in sharers.subtracting(masked.keys).sorted() {
            let shares = answers.values.compactMap { $0.maskingKeyShares[dropped] }
            let raw = try rebuild(shares, of: dropped, what: "masking key")
            guard let privateKey = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: raw) else {
                throw SecureAggregationError.invalidMessage(
                    participant: dropped, reason: "rebuilt masking key is not an X25519 key")
            }
            for survivor in masked.keys.sorted() {
                guard
                    let publicKey = try? Curve25519.KeyAgreement.PublicKey(
                        rawRepresentation: keys[survivor]!.maskingKey)
                else {
                    throw SecureAggregationError.invalidMessage(participant: survivor, reason: "invalid masking key")
                }
                let key = try SecureAggregation.pairKey(privateKey, publicKey, context: context)
                try SecureAggregation.apply(mask: key, sign: survivor < dropped ? -1 : 1, to: &total)
            }
        }
        return SecureAggregation.dequantize(total, scale: scale)
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
