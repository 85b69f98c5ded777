/// NumPy's `np.random.Generator` over `PCG64`, for the methods Gymnasium's environments call:
/// `random`, `uniform`, `integers` and `choice`. The same seed gives the same numbers as
/// `np.random.default_rng(seed)`, which is what Gymnasium's `reset(seed=)` builds.
///
/// ```swift
/// var generator = NumPyGenerator(seed: 42)
/// let start = generator.uniform(low: -0.05, high: 0.05)   // default_rng(42).uniform(-0.05, 0.05)
/// ```
public struct NumPyGenerator: Sendable, Equatable {
    /// The bit generator.
    public private(set) var bitGenerator: PCG64

    /// `np.random.default_rng(seed)`.
    public init(seed: UInt64) { bitGenerator = PCG64(seed: seed) }

    /// A generator over `bitGenerator`.
    public init(_ bitGenerator: PCG64) { self.bitGenerator = bitGenerator }

    /// `default_rng(seed)` for a seed, or one seeded from the system's entropy for `nil` (as
    /// Gymnasium does for an environment never seeded).
    public init(seedOrEntropy seed: UInt64?) {
        if let seed {
            self.init(seed: seed)
        } else {
            var system = SystemRandomNumberGenerator()
            let words = (0..<4).map { _ in UInt32(truncatingIfNeeded: system.next()) }
            self.init(PCG64(SeedSequence(entropyWords: words)))
        }
    }

    /// `random()`: a uniform double in `[0, 1)` from the top 53 bits of a 64-bit draw.
    public mutating func random() -> Double { Double(bitGenerator.next() >> 11) * 0x1p-53 }

    /// `uniform(low, high)`: `low + (high − low) · random()`.
    public mutating func uniform(low: Double, high: Double) -> Double { low + (high - low) * random() }

    /// `integers(low, high)` (int64, `high` excluded), by Lemire's method as NumPy draws it: 32-bit
    /// draws when the range fits 32 bits, 64-bit draws otherwise.
    ///
    /// - Precondition: `low < high`.
    public mutating func integers(low: Int, high: Int) -> Int {
        precondition(low < high, "NumPyGenerator.integers: low (\(low)) must be below high (\(high)).")
        let range = UInt64(bitPattern: Int64(high) &- Int64(low)) &- 1 // NumPy's inclusive `rng`
        let offset = UInt64(bitPattern: Int64(low))
        let value: UInt64
        if range == 0 {
            value = 0
        } else if range <= UInt64(UInt32.max) {
            value = range == UInt64(UInt32.max) ? UInt64(bitGenerator.next32()) : UInt64(boundedLemire32(UInt32(range)))
        } else {
            value = range == UInt64.max ? bitGenerator.next() : boundedLemire64(range)
        }
        return Int(Int64(bitPattern: offset &+ value))
    }

    /// `choice(count)` (uniform, with replacement): an index in `0..<count`.
    public mutating func choice(count: Int) -> Int { integers(low: 0, high: count) }

    /// `choice(len(p), p=p)`: the index whose normalised cumulative probability first exceeds a
    /// `random()` draw (`cdf.searchsorted(u, side="right")`).
    ///
    /// - Precondition: the probabilities are finite, non-negative and not all zero.
    public mutating func choice(probabilities: [Double]) -> Int {
        precondition(
            !probabilities.isEmpty && probabilities.allSatisfy { $0 >= 0 && $0.isFinite },
            "NumPyGenerator.choice: probabilities must be finite and non-negative.")
        var cumulative = [Double]()
        cumulative.reserveCapacity(probabilities.count)
        var total = 0.0
        for probability in probabilities {
            total += probability
            cumulative.append(total)
        }
        precondition(total > 0, "NumPyGenerator.choice: probabilities must not all be zero.")
        let draw = random()
        return cumulative.firstIndex { $0 / total > draw } ?? probabilities.count
    }

    private mutating func boundedLemire32(_ range: UInt32) -> UInt32 {
        let exclusive = range + 1
        var product = UInt64(bitGenerator.next32()) * UInt64(exclusive)
        var leftover = UInt32(truncatingIfNeeded: product)
        if leftover < exclusive {
            let threshold = (UInt32.max - range) % exclusive
            while leftover < threshold {
                product = UInt64(bitGenerator.next32()) * UInt64(exclusive)
                leftover = UInt32(truncatingIfNeeded: product)
            }
        }
        return UInt32(truncatingIfNeeded: product >> 32)
    }

    private mutating func boundedLemire64(_ range: UInt64) -> UInt64 {
        let exclusive = range + 1
        var product = UInt128(bitGenerator.next()) * UInt128(exclusive)
        var leftover = UInt64(truncatingIfNeeded: product)
        if leftover < exclusive {
            let threshold = (UInt64.max - range) % exclusive
            while leftover < threshold {
                product = UInt128(bitGenerator.next()) * UInt128(exclusive)
                leftover = UInt64(truncatingIfNeeded: product)
            }
        }
        return UInt64(truncatingIfNeeded: product >> 64)
    }
}
