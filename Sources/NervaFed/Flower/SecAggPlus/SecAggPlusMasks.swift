/// NumPy's legacy `RandomState` generator (MT19937 seeded by `init_genrand`) and its masked
/// bounded integers, as Flower's SecAgg+ draws its masks with them.
///
/// `pseudo_rand_gen(seed, num_range, shapes)` (`flwr/common/secure_aggregation/secaggplus_utils.py`)
/// folds the seed's little-endian 32-bit words with XOR into one 32-bit seed, then draws
/// `RandomState(seed32).randint(0, num_range - 1, shape, dtype=np.int64)` for each shape: values
/// in `0 ... num_range - 2`. Both the client and the server (which unmasks the sum) must draw the
/// same numbers, so this is bit-exact with NumPy (`random_bounded_uint64_fill` with `use_masked`).
public enum SecAggPlusMasks {
    /// The masks `pseudo_rand_gen(seed, modulus, shapes)` draws: one array per shape, row-major.
    ///
    /// - Throws: `SecAggPlusError.protocolViolation` when the seed's length is not a multiple of 4
    ///   (Flower asserts it) or `modulus` is below 2.
    public static func generate(seed: [UInt8], modulus: Int64, shapes: [[Int]]) throws(SecAggPlusError) -> [[Int64]] {
        guard seed.count % 4 == 0 else {
            throw .protocolViolation("a mask seed must be a multiple of 4 bytes long, got \(seed.count)")
        }
        guard modulus >= 2 else { throw .protocolViolation("the mask modulus must be at least 2, got \(modulus)") }
        var seed32: UInt32 = 0
        for start in stride(from: 0, to: seed.count, by: 4) {
            seed32 ^=
                UInt32(seed[start]) | UInt32(seed[start + 1]) << 8 | UInt32(seed[start + 2]) << 16
                | UInt32(seed[start + 3]) << 24
        }
        var generator = MersenneTwister(seed: seed32)
        let range = UInt64(modulus - 2) // randint(0, modulus - 1): inclusive width modulus - 2
        return shapes.map { shape in
            (0..<shape.reduce(1, *)).map { _ in Int64(bitPattern: generator.bounded(range)) }
        }
    }
}

/// MT19937 as NumPy's legacy `RandomState(seed)` runs it: `init_genrand(seed)`, 32-bit outputs,
/// 64-bit outputs as `(first << 32) | second`.
struct MersenneTwister {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    mutating func next32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    mutating func next64() -> UInt64 {
        let high = UInt64(next32())
        return high << 32 | UInt64(next32())
    }

    /// A value in `0...range` by NumPy's masked rejection sampling (32-bit draws when the range
    /// fits in 32 bits).
    mutating func bounded(_ range: UInt64) -> UInt64 {
        if range == 0 { return 0 }
        if range <= 0xFFFF_FFFF {
            if range == 0xFFFF_FFFF { return UInt64(next32()) }
            let mask = UInt32(truncatingIfNeeded: Self.mask(covering: range))
            while true {
                let value = next32() & mask
                if UInt64(value) <= range { return UInt64(value) }
            }
        }
        if range == UInt64.max { return next64() }
        let mask = Self.mask(covering: range)
        while true {
            let value = next64() & mask
            if value <= range { return value }
        }
    }

    /// The smallest `2ᵏ − 1` at least `value` (NumPy's `gen_mask`).
    private static func mask(covering value: UInt64) -> UInt64 {
        var mask = value
        for shift in [1, 2, 4, 8, 16, 32] as [UInt64] { mask |= mask >> shift }
        return mask
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_B0DF)
        }
        index = 0
    }
}
