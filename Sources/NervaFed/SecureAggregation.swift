import Foundation
import NervaTensor

/// Secure aggregation by pairwise additive masks (Bonawitz et al. 2017, "Practical Secure
/// Aggregation for Privacy-Preserving Machine Learning", https://eprint.iacr.org/2017/281):
/// the server learns the sum of the participants' vectors and nothing about any single one.
///
/// Each participant `i` has a key pair; every pair `(i, j)` derives a shared seed by
/// Diffie–Hellman, expands it into a mask `m_ij`, and `i` sends `q(x_i) + Σ_{j>i} m_ij − Σ_{j<i} m_ji`
/// (mod 2³²), where `q` is fixed-point quantisation. In the sum every mask appears once with
/// each sign and cancels exactly. If a participant drops after the others have masked, its
/// private key is rebuilt from `threshold` Shamir shares held by the survivors and the server
/// removes its now-unmatched masks.
///
/// What it protects against: an honest-but-curious server reading individual updates.
/// What it does not: a malicious server that lies about who dropped (the paper's double masking
/// and consistency round are not implemented), participants that collude with the server beyond
/// the threshold, or poisoned updates (masked updates cannot be validated — use robust rules or
/// clipping before masking). The Diffie–Hellman group here is the multiplicative group modulo the
/// Mersenne prime 2⁶¹ − 1, far too small for real secrecy: it demonstrates the protocol; a
/// networked deployment must use X25519 key agreement and an authenticated channel.
public enum SecureAggregation {
    /// The prime of the key-agreement group and of Shamir sharing: 2⁶¹ − 1.
    public static let prime: UInt64 = (1 << 61) - 1
    /// A generator of a large subgroup modulo `prime`.
    public static let groupGenerator: UInt64 = 37

    /// Fixed-point scale: values are rounded to multiples of `1 / scale` (2⁻¹⁶ by default).
    /// The sum of all participants must stay within ±2³¹ / scale.
    public static let defaultScale: Float = 65_536

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

    /// The mask shared by participants `i < j`, from their Diffie–Hellman secret.
    static func mask(secret: UInt64, count: Int) -> [UInt32] {
        let generator = RandomGenerator(seed: secret)
        return (0..<count).map { _ in UInt32(truncatingIfNeeded: generator.next()) }
    }

    /// Fixed-point encoding in the ring of integers mod 2³².
    public static func quantize(_ values: [Float], scale: Float = defaultScale) -> [UInt32] {
        values.map { UInt32(bitPattern: Int32(clamping: Int64(($0 * scale).rounded()))) }
    }

    /// Decodes a sum of quantised vectors.
    public static func dequantize(_ values: [UInt32], scale: Float = defaultScale) -> [Float] {
        values.map { Float(Int32(bitPattern: $0)) / scale }
    }

    // MARK: - Shamir secret sharing over GF(prime)

    /// A share `(x, f(x))` of a secret `f(0)`.
    public struct Share: Sendable, Equatable {
        public let x: UInt64
        public let y: UInt64
    }

    /// `count` shares of `secret` of which any `threshold` rebuild it (a random polynomial of
    /// degree `threshold − 1`, evaluated at 1…count).
    public static func shares(of secret: UInt64, threshold: Int, count: Int, generator: RandomGenerator) -> [Share] {
        precondition(threshold >= 1 && threshold <= count, "Shamir: threshold \(threshold) must be in 1...\(count).")
        let coefficients = [secret % prime] + (1..<threshold).map { _ in generator.next() % prime }
        return (1...count).map { x in
            var y: UInt64 = 0
            for coefficient in coefficients.reversed() { y = (multiply(y, UInt64(x)) + coefficient) % prime }
            return Share(x: UInt64(x), y: y)
        }
    }

    /// The secret behind `shares` (Lagrange interpolation at 0); needs `threshold` distinct shares.
    public static func reconstruct(_ shares: [Share]) -> UInt64 {
        var secret: UInt64 = 0
        for (i, share) in shares.enumerated() {
            var numerator: UInt64 = 1, denominator: UInt64 = 1
            for (j, other) in shares.enumerated() where j != i {
                numerator = multiply(numerator, prime - other.x)               // (0 − x_j)
                denominator = multiply(denominator, (share.x + prime - other.x) % prime)
            }
            let lagrange = multiply(numerator, power(denominator, prime - 2))  // Fermat inverse
            secret = (secret + multiply(share.y, lagrange)) % prime
        }
        return secret
    }
}

/// One participant's side of secure aggregation.
public struct SecureAggregationClient: Sendable {
    /// The participant's position `0..<count` in the round.
    public let index: Int
    /// The public key `g^a mod p`, sent to everybody.
    public let publicKey: UInt64
    private let privateKey: UInt64

    /// A fresh key pair from `generator`.
    public init(index: Int, generator: RandomGenerator) {
        self.index = index
        privateKey = 2 + generator.next() % (SecureAggregation.prime - 3)
        publicKey = SecureAggregation.power(SecureAggregation.groupGenerator, privateKey)
    }

    /// Shares of the private key for the others (share `k` goes to participant `k`), so they
    /// can unmask the sum if this participant drops.
    public func keyShares(threshold: Int, count: Int, generator: RandomGenerator) -> [SecureAggregation.Share] {
        SecureAggregation.shares(of: privateKey, threshold: threshold, count: count, generator: generator)
    }

    /// The masked, quantised vector to send: `q(x) + Σ_{j>i} m_ij − Σ_{j<i} m_ji` (mod 2³²).
    ///
    /// - Parameter publicKeys: every participant's public key, by index (this one's included).
    public func masked(_ values: [Float], publicKeys: [Int: UInt64], scale: Float = SecureAggregation.defaultScale) -> [UInt32] {
        var result = SecureAggregation.quantize(values, scale: scale)
        for (other, key) in publicKeys where other != index {
            let mask = SecureAggregation.mask(secret: SecureAggregation.power(key, privateKey), count: values.count)
            for k in result.indices { result[k] = other > index ? result[k] &+ mask[k] : result[k] &- mask[k] }
        }
        return result
    }
}

/// The server's side: sums masked vectors and removes the masks of participants that dropped.
public enum SecureAggregationServer {
    /// The sum of the survivors' vectors.
    ///
    /// - Parameters:
    ///   - masked: the vectors received, by participant index.
    ///   - publicKeys: every participant's public key, including those that dropped.
    ///   - recoveredKeys: the rebuilt private key of each participant that masked for the
    ///     others but whose vector never arrived (`SecureAggregation.reconstruct`).
    public static func sum(masked: [Int: [UInt32]], publicKeys: [Int: UInt64], recoveredKeys: [Int: UInt64] = [:],
                           scale: Float = SecureAggregation.defaultScale) -> [Float] {
        guard let length = masked.values.first?.count else { return [] }
        var total = [UInt32](repeating: 0, count: length)
        for index in masked.keys.sorted() {
            let vector = masked[index]!
            precondition(vector.count == length, "Secure aggregation: vectors of different lengths.")
            for k in 0..<length { total[k] = total[k] &+ vector[k] }
        }
        // A survivor j masked with dropped d: it added m (j < d) or subtracted it (j > d).
        for (dropped, privateKey) in recoveredKeys {
            for survivor in masked.keys {
                let mask = SecureAggregation.mask(secret: SecureAggregation.power(publicKeys[survivor]!, privateKey), count: length)
                for k in 0..<length { total[k] = survivor < dropped ? total[k] &- mask[k] : total[k] &+ mask[k] }
            }
        }
        return SecureAggregation.dequantize(total, scale: scale)
    }
}
