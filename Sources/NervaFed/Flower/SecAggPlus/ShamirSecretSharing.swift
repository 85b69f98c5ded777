/// Shamir's secret sharing as Flower's SecAgg+ does it (`flwr/common/secure_aggregation/crypto/shamir.py`
/// over pycryptodome's `Shamir`, without the `ssss` term): the secret is PKCS#7-padded to a
/// multiple of 16 bytes, each 16-byte chunk is the constant term of a random polynomial of degree
/// `threshold − 1` over GF(2¹²⁸) (modulus `x¹²⁸ + x⁷ + x² + x + 1`, elements as big-endian
/// 128-bit integers), and share `i` (from 1) is `i` as 4 little-endian bytes followed by the
/// polynomials' values at `i`, 16 bytes per chunk. Any `threshold` shares give the secret back.
public enum ShamirSecretSharing {
    /// `count` shares of `secret`, any `threshold` of which recover it.
    ///
    /// - Parameters:
    ///   - secret: the bytes to share (padded to 16-byte chunks).
    ///   - threshold: how many shares recover the secret.
    ///   - count: how many shares to make.
    ///   - generator: the source of the polynomials' random coefficients; a secret's
    ///     protection is only as good as it (SecAgg+ passes `SystemRandomNumberGenerator`).
    /// - Throws: `SecAggPlusError.protocolViolation` unless `1 ≤ threshold ≤ count < 2³²`.
    public static func shares<Generator: RandomNumberGenerator>(
        of secret: [UInt8], threshold: Int, count: Int,
        using generator: inout Generator
    ) throws(SecAggPlusError) -> [[UInt8]] {
        guard threshold >= 1, threshold <= count, count < 1 << 32 else {
            throw .protocolViolation(
                "Shamir sharing needs 1 ≤ threshold ≤ shares, got threshold \(threshold) of \(count) shares")
        }
        let padding = 16 - secret.count % 16
        let padded = secret + [UInt8](repeating: UInt8(padding), count: padding)
        var shares = (1...count).map { index in withUnsafeBytes(of: UInt32(index).littleEndian) { Array($0) } }
        for start in stride(from: 0, to: padded.count, by: 16) {
            // Coefficients from the highest degree down; the constant term is the chunk.
            var coefficients = (1..<threshold).map { _ in FieldElement(high: generator.next(), low: generator.next()) }
            coefficients.append(FieldElement(bytes: padded[start..<start + 16]))
            for index in 1...count {
                let x = FieldElement(high: 0, low: UInt64(index))
                var value = FieldElement.zero
                for coefficient in coefficients { value = x * value + coefficient }
                shares[index - 1] += value.bytes
            }
        }
        return shares
    }

    /// The secret whose shares these are (at least `threshold` of them, from the same sharing).
    ///
    /// - Throws: `SecAggPlusError.protocolViolation` for shares of unequal or wrong lengths, a
    ///   repeated index, or a result that is not PKCS#7-padded (too few or mixed shares).
    public static func combine(_ shares: [[UInt8]]) throws(SecAggPlusError) -> [UInt8] {
        guard let length = shares.first?.count, length >= 20, (length - 4) % 16 == 0,
            shares.allSatisfy({ $0.count == length })
        else {
            throw .protocolViolation("Shamir shares must be 4 + 16·k bytes long and all of one length")
        }
        let indices = shares.map { share in
            FieldElement(
                high: 0, low: UInt64(share[0]) | UInt64(share[1]) << 8 | UInt64(share[2]) << 16 | UInt64(share[3]) << 24
            )
        }
        guard Set(indices.map(\.low)).count == indices.count else {
            throw .protocolViolation("two Shamir shares have one index")
        }
        var padded: [UInt8] = []
        for start in stride(from: 4, to: length, by: 16) {
            var result = FieldElement.zero
            for (j, share) in shares.enumerated() {
                var numerator = FieldElement(high: 0, low: 1)
                var denominator = FieldElement(high: 0, low: 1)
                for (m, index) in indices.enumerated() where m != j {
                    numerator = numerator * index
                    denominator = denominator * (indices[j] + index)
                }
                result = result + FieldElement(bytes: share[start..<start + 16]) * numerator * denominator.inverse()
            }
            padded += result.bytes
        }
        guard let padding = padded.last, (1...16).contains(padding),
            padded.suffix(Int(padding)).allSatisfy({ $0 == padding })
        else {
            throw .protocolViolation(
                "the Shamir shares do not combine to a padded secret (too few shares, or shares of different secrets)")
        }
        return Array(padded.dropLast(Int(padding)))
    }
}

/// An element of GF(2¹²⁸) with modulus `x¹²⁸ + x⁷ + x² + x + 1`; bit `i` of the 128-bit
/// integer `high·2⁶⁴ + low` is the coefficient of `xⁱ`.
struct FieldElement: Equatable {
    var high: UInt64
    var low: UInt64

    static let zero = FieldElement(high: 0, low: 0)

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// From 16 big-endian bytes (pycryptodome's `bytes_to_long`).
    init(bytes: ArraySlice<UInt8>) {
        let start = bytes.startIndex
        high = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[start + $1]) }
        low = (8..<16).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[start + $1]) }
    }

    /// 16 big-endian bytes (`long_to_bytes(value, 16)`).
    var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    static func + (a: FieldElement, b: FieldElement) -> FieldElement {
        FieldElement(high: a.high ^ b.high, low: a.low ^ b.low)
    }

    /// Carry-less multiplication reduced by the modulus (shift and add, low bit of `b` first).
    static func * (a: FieldElement, b: FieldElement) -> FieldElement {
        var result = FieldElement.zero
        var shifted = a
        var multiplier = b
        while multiplier.high != 0 || multiplier.low != 0 {
            if multiplier.low & 1 == 1 { result = result + shifted }
            let overflow = shifted.high >> 63
            shifted = FieldElement(high: shifted.high << 1 | shifted.low >> 63, low: shifted.low << 1)
            if overflow == 1 { shifted.low ^= 0x87 }
            multiplier = FieldElement(high: multiplier.high >> 1, low: multiplier.low >> 1 | multiplier.high << 63)
        }
        return result
    }

    /// The multiplicative inverse, `a^(2¹²⁸ − 2)` (the field's group has order 2¹²⁸ − 1).
    func inverse() -> FieldElement {
        // 2¹²⁸ − 2 = 0b111…110: square-and-multiply over 127 ones followed by one zero.
        var result = FieldElement(high: 0, low: 1)
        var base = self
        base = base * base // skip bit 0 (a zero)
        for _ in 1..<128 {
            result = result * base
            base = base * base
        }
        return result
    }
}
