import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one seedable source of randomness in Nerva: xoshiro256** seeded through SplitMix64.
///
/// The same seed gives the same stream on every platform. The generator is thread-safe; bulk fills
/// take its lock once. Pass one explicitly for reproducible code, or use `RandomGenerator.default`
/// (seed 0 at start; `RandomGenerator.default.reseed(42)` is PyTorch's `manual_seed(42)`).
///
/// ```swift
/// let rng = RandomGenerator(seed: 7)
/// let x = Tensor.uniform([2, 3], generator: rng)
/// let order = rng.permutation(10)
/// ```
public final class RandomGenerator: RandomNumberGenerator, Sendable {
    private let state: Mutex<(UInt64, UInt64, UInt64, UInt64)>

    /// The generator used when none is passed.
    public static let `default` = RandomGenerator(seed: 0)

    /// A generator whose stream is determined by `seed`.
    public init(seed: UInt64) {
        state = Mutex(RandomGenerator.expand(seed))
    }

    /// Restarts the stream as if newly created with `seed`.
    public func reseed(_ seed: UInt64) {
        state.withLock { $0 = RandomGenerator.expand(seed) }
    }

    /// The generator's complete state (four words), to save with a checkpoint; `restore(_:)` puts it
    /// back so that a resumed run continues the same stream.
    public var snapshot: [UInt64] {
        state.withLock { [$0.0, $0.1, $0.2, $0.3] }
    }

    /// Continues from a state taken with `snapshot`.
    public func restore(_ snapshot: [UInt64]) {
        precondition(
            snapshot.count == 4 && snapshot.contains { $0 != 0 },
            "RandomGenerator.restore: expected the 4 non-zero words of `snapshot`, got \(snapshot).")
        state.withLock { $0 = (snapshot[0], snapshot[1], snapshot[2], snapshot[3]) }
    }

    /// A new, independent generator whose seed is drawn from this one (per-worker streams).
    public func split() -> RandomGenerator { RandomGenerator(seed: next()) }

    private static func expand(_ seed: UInt64) -> (UInt64, UInt64, UInt64, UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return (splitMix(), splitMix(), splitMix(), splitMix())
    }

    @inline(__always)
    private static func step(_ s: inout (UInt64, UInt64, UInt64, UInt64)) -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// The next 64 random bits.
    public func next() -> UInt64 { state.withLock { RandomGenerator.step(&$0) } }

    // MARK: - Scalars

    /// A uniform float in `[0, 1)`, with 24 random bits.
    public func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// A uniform float in `[low, high)`.
    public func uniform(_ low: Float, _ high: Float) -> Float {
        let value = low + (high - low) * uniform()
        return value < high || low == high ? value : high.nextDown // rounding may reach `high`
    }

    /// A standard normal sample (Box–Muller).
    public func normal() -> Float {
        let (a, b) = state.withLock { s in (RandomGenerator.step(&s), RandomGenerator.step(&s)) }
        return RandomGenerator.boxMuller(a, b).0
    }

    /// A uniform integer in `0..<bound`, without modulo bias.
    public func integer(below bound: Int) -> Int {
        precondition(bound > 0, "integer(below:): the bound must be positive, got \(bound).")
        var generator = self
        return Int(generator.next(upperBound: UInt64(bound)))
    }

    /// `true` with probability `p`.
    public func bernoulli(_ p: Float) -> Bool {
        precondition(p >= 0 && p <= 1, "bernoulli: probability \(p) is outside [0, 1].")
        return uniform() < p
    }

    // MARK: - Collections

    /// A uniformly random ordering of `0..<n` (Fisher–Yates).
    public func permutation(_ n: Int) -> [Int] {
        var order = Array(0..<n)
        var generator = self
        order.shuffle(using: &generator)
        return order
    }

    /// `count` distinct integers from `0..<n`, in random order (sampling without replacement).
    public func sample(_ count: Int, from n: Int) -> [Int] {
        precondition(count >= 0 && count <= n, "sample: cannot draw \(count) distinct values from \(n).")
        if count * 4 < n {
            var chosen = Set<Int>(minimumCapacity: count), result: [Int] = []
            result.reserveCapacity(count)
            while result.count < count {
                let k = integer(below: n)
                if chosen.insert(k).inserted { result.append(k) }
            }
            return result
        }
        return Array(permutation(n).prefix(count))
    }

    // MARK: - Bulk fills

    /// Fills `buffer` with uniform samples in `[low, high)`, under one lock.
    public func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, low: Float = 0, high: Float = 1) {
        let scale = (high - low) * 0x1p-24
        state.withLock { s in
            for i in buffer.indices {
                let value = low + Float(RandomGenerator.step(&s) >> 40) * scale
                buffer[i] = value < high || low == high ? value : high.nextDown // rounding may reach `high`
            }
        }
    }

    /// Fills `buffer` with normal samples of the given mean and standard deviation, under one lock.
    public func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, standardDeviation: Float = 1) {
        state.withLock { s in
            var i = 0
            while i < buffer.count {
                let (z0, z1) = RandomGenerator.boxMuller(RandomGenerator.step(&s), RandomGenerator.step(&s))
                buffer[i] = mean + standardDeviation * z0
                if i + 1 < buffer.count { buffer[i + 1] = mean + standardDeviation * z1 }
                i += 2
            }
        }
    }

    /// Two independent standard normals from two 64-bit words.
    private static func boxMuller(_ a: UInt64, _ b: UInt64) -> (Float, Float) {
        let u1 = 1 - Double(a >> 11) * 0x1p-53 // (0, 1]: log is finite
        let u2 = Double(b >> 11) * 0x1p-53
        let radius = (-2 * log(u1)).squareRoot(), angle = 2 * Double.pi * u2
        return (Float(radius * cos(angle)), Float(radius * sin(angle)))
    }
}
