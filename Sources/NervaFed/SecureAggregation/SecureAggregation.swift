import Crypto
import Foundation
import _CryptoExtras

/// Secure aggregation (Bonawitz et al. 2017, "Practical Secure Aggregation for
/// Privacy-Preserving Machine Learning", https://eprint.iacr.org/2017/281, the
/// honest-but-curious version with double masking): the server learns the sum of the
/// participants' vectors and nothing else about any single one.
///
/// One round, with participants numbered `0..<n`, a neighbour graph (`SecureAggregationGraph`:
/// SecAgg+, Bell et al. 2020, pairs each participant with `k = O(log n)` others; `k = n − 1` is
/// the all-pairs round of the paper) and a threshold `t` per neighbourhood:
/// 1. **Advertise keys.** Each participant `u` makes two fresh X25519 key pairs, `c_u` (to
///    encrypt what it sends to a neighbour through the server) and `s_u` (to agree on masks), and
///    sends both public keys.
/// 2. **Share keys.** `u` picks a random self-mask seed `b_u` and splits `b_u` and its private
///    `s_u` into Shamir shares among its neighbourhood, any `t` of which rebuild them. The share
///    meant for neighbour `v` is encrypted (ChaCha20-Poly1305 under a key agreed from `c_u` and
///    `c_v`) and sent via the server.
/// 3. **Masked input.** `u` sends `x_u + PRG(b_u) + Σ_{v>u} PRG(s_uv) − Σ_{v<u} PRG(s_uv)`
///    (mod 2⁶⁴) over its neighbours `v` that shared keys, where `x_u` is its fixed-point vector and
///    `s_uv` the X25519 agreement of `s_u` and `s_v`. Participants that drop before this step are
///    simply missing.
/// 4. **Unmasking.** Every survivor gives the server its share of `b_u` for each surviving
///    neighbour `u` and its share of `s_d` for each neighbour `d` that dropped — never both for the
///    same participant. With `t` shares per secret the server removes the self-masks of the
///    survivors and the now-unmatched pairwise masks of the dropped, which leaves exactly
///    `Σ_{survivors} x_u`; with fewer the round fails and says whose secret was short.
///
/// PRG is the ChaCha20 key stream under a key derived by HKDF-SHA256; keys and seeds come from
/// the system's secure generator. The result never depends on them: masks cancel exactly, so a
/// seeded federation stays reproducible.
///
/// What it protects against: a server (or anyone reading its traffic) that follows the protocol
/// but wants to read individual updates, even if it also controls fewer than `t` participants;
/// a participant that arrives "late" after being declared dropped (its self-mask still hides it).
/// What it does not: a malicious server that sends different rosters to different participants
/// (the paper's signed consistency round is not implemented), more than `t − 1` colluding
/// participants, or poisoned updates — masked updates cannot be validated, so robust rules
/// (median, Krum) are impossible and norms must be bounded on the participant (clipping).
public enum SecureAggregation {
    /// Fixed-point scale: values are rounded to multiples of `1 / scale` (2⁻²⁴). Sums must stay
    /// within ±2⁶³ / scale ≈ ±5.5·10¹¹.
    public static let defaultScale: Double = 16_777_216

    /// Fixed-point encoding in the ring of integers mod 2⁶⁴.
    public static func quantize(_ values: some Collection<Float>, scale: Double = defaultScale) -> [UInt64] {
        values.map { value in
            let fixed = (Double(value) * scale).rounded()
            return UInt64(bitPattern: Int64(fixed.isNaN ? 0 : min(max(fixed, -9.2e18), 9.2e18)))
        }
    }

    /// Decodes a (sum of) quantised vector(s).
    public static func dequantize(_ values: [UInt64], scale: Double = defaultScale) -> [Double] {
        values.map { Double(Int64(bitPattern: $0)) / scale }
    }

    /// Adds (`sign` 1) or subtracts (`sign` −1) the mask that `key` expands to.
    ///
    /// - Throws: the cipher's error when `key` is not a 256-bit key (a seed rebuilt from a
    ///   peer's shares can be any length).
    static func apply(mask key: SymmetricKey, sign: Int, to vector: inout [UInt64]) throws {
        // The ChaCha20 key stream (RFC 8439, from block 1 as ChaCha20-Poly1305 encrypts), made in
        // 64 KiB chunks that stay in cache; the key is used for this one stream only.
        let chunk = 8_192
        let zeros = Data(count: chunk * 8)
        let nonce = try Insecure.ChaCha20CTR.Nonce(data: Data(count: 12))
        try vector.withUnsafeMutableBufferPointer { out in
            var start = 0
            while start < out.count {
                let count = min(chunk, out.count - start)
                let counter = try Insecure.ChaCha20CTR.Counter(offset: UInt32(1 + start * 8 / 64))
                let stream = try Insecure.ChaCha20CTR.encrypt(
                    zeros.prefix(count * 8), using: key, counter: counter, nonce: nonce)
                stream.withUnsafeBytes { raw in
                    let part = out.baseAddress! + start
                    if sign > 0 {
                        for k in 0..<count {
                            part[k] &+= UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: k &* 8, as: UInt64.self))
                        }
                    } else {
                        for k in 0..<count {
                            part[k] &-= UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: k &* 8, as: UInt64.self))
                        }
                    }
                }
                start += count
            }
        }
    }

    /// The mask key two participants agree on from their masking keys.
    static func pairKey(
        _ privateKey: Curve25519.KeyAgreement.PrivateKey, _ publicKey: Curve25519.KeyAgreement.PublicKey,
        context: Data
    ) throws -> SymmetricKey {
        try privateKey.sharedSecretFromKeyAgreement(with: publicKey)
            .hkdfDerivedSymmetricKey(
                using: SHA256.self, salt: Data("nerva secure aggregation mask".utf8),
                sharedInfo: context, outputByteCount: 32)
    }

    /// The key that encrypts shares between two participants.
    static func channelKey(
        _ privateKey: Curve25519.KeyAgreement.PrivateKey, _ publicKey: Curve25519.KeyAgreement.PublicKey,
        context: Data
    ) throws -> SymmetricKey {
        try privateKey.sharedSecretFromKeyAgreement(with: publicKey)
            .hkdfDerivedSymmetricKey(
                using: SHA256.self, salt: Data("nerva secure aggregation shares".utf8),
                sharedInfo: context, outputByteCount: 32)
    }

    // MARK: - Shamir secret sharing of 32-byte secrets over GF(2⁶¹ − 1)

    /// The prime of the field: 2⁶¹ − 1.
    public static let prime: UInt64 = (1 << 61) - 1
    /// Bytes per field element of a shared secret (7 bytes < 2⁶¹).
    static let limbBytes = 7

    /// A share `(x, f(x))` of a secret `f(0)`, one value per 7-byte limb of the secret.
    public struct Share: Sendable, Equatable, Codable {
        /// The point the polynomials are evaluated at (1, 2, …).
        public let x: UInt64
        /// One value per limb of the secret.
        public let y: [UInt64]

        /// - Parameters:
        ///   - x: the evaluation point.
        ///   - y: one value per limb of the secret.
        public init(x: UInt64, y: [UInt64]) {
            self.x = x
            self.y = y
        }

        /// Whether this is a share of a 32-byte secret with values in the field (what a peer's
        /// share must be before it is used).
        var isWellFormed: Bool { x > 0 && x < prime && y.count == limbCount && y.allSatisfy { $0 < prime } }
    }

    /// Limbs of a 32-byte secret (a key or a seed).
    public static let limbCount = (32 + limbBytes - 1) / limbBytes

    /// `count` shares of `secret` of which any `threshold` rebuild it: for each 7-byte limb, a
    /// random polynomial of degree `threshold − 1` evaluated at 1…count.
    public static func shares(of secret: [UInt8], threshold: Int, count: Int) -> [Share] {
        precondition(threshold >= 1 && threshold <= count, "Shamir: threshold \(threshold) must be in 1...\(count).")
        var random = SystemRandomNumberGenerator()
        let polynomials = limbs(of: secret).map { limb in
            [limb] + (1..<threshold).map { _ in UInt64.random(in: 0..<prime, using: &random) }
        }
        return (1...count).map { x in
            Share(
                x: UInt64(x),
                y: polynomials.map { coefficients in
                    var y: UInt64 = 0
                    for coefficient in coefficients.reversed() { y = (multiply(y, UInt64(x)) + coefficient) % prime }
                    return y
                })
        }
    }

    /// The secret of `byteCount` bytes behind `shares` (Lagrange interpolation at 0). Fewer than
    /// the threshold give an unrelated value.
    public static func reconstruct(_ shares: [Share], byteCount: Int) -> [UInt8] {
        let limbCount = (byteCount + limbBytes - 1) / limbBytes
        let lagrange = shares.indices.map { i in
            var numerator: UInt64 = 1, denominator: UInt64 = 1
            for j in shares.indices where j != i {
                numerator = multiply(numerator, prime - shares[j].x) // (0 − x_j)
                denominator = multiply(denominator, (shares[i].x + prime - shares[j].x) % prime)
            }
            return multiply(numerator, power(denominator, prime - 2)) // Fermat inverse
        }
        let limbs = (0..<limbCount).map { limb in
            zip(shares, lagrange).reduce(UInt64(0)) { ($0 + multiply($1.0.y[limb], $1.1)) % prime }
        }
        var bytes: [UInt8] = []
        for (index, limb) in limbs.enumerated() {
            let width = min(limbBytes, byteCount - index * limbBytes)
            for k in 0..<width { bytes.append(UInt8(truncatingIfNeeded: limb >> (8 * k))) }
        }
        return bytes
    }

    static func limbs(of secret: [UInt8]) -> [UInt64] {
        stride(from: 0, to: secret.count, by: limbBytes).map { start in
            secret[start..<min(start + limbBytes, secret.count)].enumerated().reduce(UInt64(0)) {
                $0 | UInt64($1.1) << (8 * $1.0)
            }
        }
    }

    /// `(a · b) mod prime`.
    static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (high, low) = a.multipliedFullWidth(by: b)
        return prime.dividingFullWidth((high, low)).remainder
    }

    /// `base^exponent mod prime`.
    static func power(_ base: UInt64, _ exponent: UInt64) -> UInt64 {
        var result: UInt64 = 1, base = base % prime, exponent = exponent
        while exponent > 0 {
            if exponent & 1 == 1 { result = multiply(result, base) }
            base = multiply(base, base)
            exponent >>= 1
        }
        return result
    }
}

/// Why a secure aggregation round could not finish.
public enum SecureAggregationError: Error, Equatable, CustomStringConvertible {
    /// Fewer participants than the threshold were left at `stage`.
    case belowThreshold(stage: String, count: Int, threshold: Int)
    /// A message from `participant` failed authentication or has the wrong form.
    case invalidMessage(participant: Int, reason: String)
    /// Masked vectors of different lengths.
    case lengthMismatch(expected: Int, got: Int, participant: Int)
    /// A neighbour graph that cannot be built (the reason).
    case invalidGraph(String)
    /// A step out of order (the reason).
    case outOfOrder(String)

    public var description: String {
        switch self {
        case .belowThreshold(let stage, let count, let threshold):
            "secure aggregation: only \(count) participants left at \(stage), below the threshold \(threshold)"
        case .invalidMessage(let participant, let reason):
            "secure aggregation: invalid message from participant \(participant): \(reason)"
        case .lengthMismatch(let expected, let got, let participant):
            "secure aggregation: participant \(participant) sent \(got) values, expected \(expected)"
        case .invalidGraph(let reason): "secure aggregation: invalid neighbour graph: \(reason)"
        case .outOfOrder(let reason): "secure aggregation: step out of order: \(reason)"
        }
    }
}
