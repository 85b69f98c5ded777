/// NumPy's `np.random.SeedSequence` (O'Neill's seed_seq with a hash-mixed entropy pool): turns a
/// seed of any size into well-mixed state words for a bit generator. Gymnasium seeds every
/// environment through it (`seeding.np_random(seed)`), so reproducing it bit for bit is what makes
/// `reset(seed: 42)` here start where `reset(seed=42)` starts there.
///
/// ```swift
/// let words = SeedSequence(seed: 42).generateState(wordCount: 4)   // np.random.SeedSequence(42).generate_state(4)
/// ```
public struct SeedSequence: Sendable, Equatable {
    /// The entropy as little-endian 32-bit words (NumPy's `_coerce_to_uint32_array`).
    public let entropy: [UInt32]
    /// The mixed pool of `poolSize` words every generated state is drawn from.
    public let pool: [UInt32]
    /// NumPy's `DEFAULT_POOL_SIZE`.
    public static let poolSize = 4

    private static let initA: UInt32 = 0x43b0_d7e5, multiplierA: UInt32 = 0x931e_8875
    private static let initB: UInt32 = 0x8b51_f9dd, multiplierB: UInt32 = 0x58f3_8ded
    private static let mixMultiplierLeft: UInt32 = 0xca01_f9dd, mixMultiplierRight: UInt32 = 0x4973_f715
    private static let shift: UInt32 = 16

    /// The sequence of a non-negative integer seed, as `SeedSequence(seed)`.
    public init(seed: UInt64) {
        self.init(
            entropyWords: seed >> 32 == 0 ? [UInt32(seed)] : [UInt32(truncatingIfNeeded: seed), UInt32(seed >> 32)])
    }

    /// The sequence of an integer given as little-endian 32-bit words (least significant first),
    /// as NumPy splits a Python integer of any size; an empty array is the seed 0.
    public init(entropyWords: [UInt32]) {
        entropy = entropyWords.isEmpty ? [0] : entropyWords
        pool = Self.mix(entropy)
    }

    /// `generate_state(wordCount, np.uint32)`: `wordCount` words drawn by cycling over the pool.
    public func generateState(wordCount: Int) -> [UInt32] {
        var hashConstant = Self.initB
        return (0..<wordCount).map { index in
            var value = pool[index % pool.count] ^ hashConstant
            hashConstant = hashConstant &* Self.multiplierB
            value = value &* hashConstant
            return value ^ (value >> Self.shift)
        }
    }

    /// `generate_state(count, np.uint64)`: pairs of 32-bit words read as little-endian 64-bit words.
    public func generateState64(count: Int) -> [UInt64] {
        let words = generateState(wordCount: 2 * count)
        return (0..<count).map { UInt64(words[2 * $0]) | UInt64(words[2 * $0 + 1]) << 32 }
    }

    /// NumPy's `mix_entropy`: hash the entropy into the pool, then mix every pool word into every other.
    private static func mix(_ entropy: [UInt32]) -> [UInt32] {
        var hashConstant = initA
        func hashMix(_ value: UInt32) -> UInt32 {
            var value = value ^ hashConstant
            hashConstant = hashConstant &* multiplierA
            value = value &* hashConstant
            return value ^ (value >> shift)
        }
        func mix(_ x: UInt32, _ y: UInt32) -> UInt32 {
            let result = mixMultiplierLeft &* x &- mixMultiplierRight &* y
            return result ^ (result >> shift)
        }
        var pool = (0..<poolSize).map { hashMix($0 < entropy.count ? entropy[$0] : 0) }
        for source in 0..<poolSize {
            for destination in 0..<poolSize where source != destination {
                pool[destination] = mix(pool[destination], hashMix(pool[source]))
            }
        }
        for source in poolSize..<Swift.max(poolSize, entropy.count) {
            for destination in 0..<poolSize {
                pool[destination] = mix(pool[destination], hashMix(entropy[source]))
            }
        }
        return pool
    }
}
