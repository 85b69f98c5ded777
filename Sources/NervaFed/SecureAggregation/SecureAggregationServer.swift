import Crypto
import Foundation

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
