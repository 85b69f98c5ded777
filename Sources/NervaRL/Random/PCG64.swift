/// NumPy's `np.random.PCG64`: O'Neill's permuted congruential generator with 128-bit state and
/// the XSL-RR output function, seeded from a `SeedSequence` exactly as NumPy seeds it.
///
/// 32-bit draws use half of a 64-bit draw and keep the other half for the next 32-bit draw, as
/// NumPy's `next_uint32` does (that buffer is part of the state).
public struct PCG64: RandomNumberGenerator, Sendable, Equatable {
    /// The 128-bit LCG state.
    public private(set) var state: UInt128
    /// The LCG increment (always odd).
    public let increment: UInt128
    private var bufferedHalf: UInt32?

    private static let multiplier: UInt128 = (0x2360_ED05_1FC6_5DA4 as UInt128) << 64 | 0x4385_DF64_9FCC_F645

    /// `PCG64(seed_seq)`: four 64-bit words from the sequence give the state and the stream.
    public init(_ seedSequence: SeedSequence) {
        let words = seedSequence.generateState64(count: 4)
        increment = (UInt128(words[2]) << 64 | UInt128(words[3])) << 1 | 1
        state = 0
        advance()
        state &+= UInt128(words[0]) << 64 | UInt128(words[1])
        advance()
    }

    /// `PCG64(seed)`, the same as `PCG64(SeedSequence(seed))`.
    public init(seed: UInt64) { self.init(SeedSequence(seed: seed)) }

    private mutating func advance() { state = state &* Self.multiplier &+ increment }

    /// The next 64 random bits (NumPy's `next_uint64`).
    public mutating func next() -> UInt64 {
        advance()
        let high = UInt64(truncatingIfNeeded: state >> 64), low = UInt64(truncatingIfNeeded: state)
        return (high ^ low).rotateRight(by: Int(truncatingIfNeeded: state >> 122))
    }

    /// The next 32 random bits (NumPy's `next_uint32`): the low half of a fresh 64-bit draw, then its high half.
    public mutating func next32() -> UInt32 {
        if let half = bufferedHalf {
            bufferedHalf = nil
            return half
        }
        let value = next()
        bufferedHalf = UInt32(truncatingIfNeeded: value >> 32)
        return UInt32(truncatingIfNeeded: value)
    }
}

extension UInt64 {
    /// The bits rotated right by `count` (mod 64).
    fileprivate func rotateRight(by count: Int) -> UInt64 {
        let count = count & 63
        return count == 0 ? self : (self >> UInt64(count)) | (self << UInt64(64 - count))
    }
}
