import NervaTensor
import NervaTestSupport
import Testing

@Suite struct RandomTests {
    /// Mean and (population) standard deviation, in Double.
    private func moments(_ values: [Float]) -> (mean: Double, standardDeviation: Double) {
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return (mean, variance.squareRoot())
    }

    // MARK: - Streams

    @Test func sameSeedGivesSameStream() {
        let a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42)
        let streamA = (0..<100).map { _ in a.next() }
        let streamB = (0..<100).map { _ in b.next() }
        #expect(streamA == streamB)
        #expect(
            Tensor.uniform([50], generator: RandomGenerator(seed: 3)).scalars
                == Tensor.uniform([50], generator: RandomGenerator(seed: 3)).scalars)
        #expect(
            Tensor.normal([51], generator: RandomGenerator(seed: 3)).scalars
                == Tensor.normal([51], generator: RandomGenerator(seed: 3)).scalars)
        #expect(RandomGenerator(seed: 9).permutation(20) == RandomGenerator(seed: 9).permutation(20))
    }

    @Test func streamIsPinnedAcrossPlatforms() {
        // xoshiro256** seeded through SplitMix64: the first outputs for seed 0 are fixed forever,
        // so that checkpoints and experiments reproduce on every platform.
        let g = RandomGenerator(seed: 0)
        let first = (0..<3).map { _ in g.next() }
        let again = RandomGenerator(seed: 0)
        #expect(first == (0..<3).map { _ in again.next() })
        #expect(Set(first).count == 3)
        #expect(first[0] != 0)
    }

    @Test func differentSeedsDiffer() {
        let a = (0..<20).map { _ in RandomGenerator(seed: 1).next() }
        let streamA = {
            let g = RandomGenerator(seed: 1)
            return (0..<20).map { _ in g.next() }
        }()
        let streamB = {
            let g = RandomGenerator(seed: 2)
            return (0..<20).map { _ in g.next() }
        }()
        #expect(streamA != streamB)
        #expect(Set(a).count == 1) // fresh generators with one seed all start alike
        #expect(Set(streamA).count == 20) // and a stream does not repeat itself
        #expect(
            Tensor.uniform([10], generator: RandomGenerator(seed: 1)).scalars
                != Tensor.uniform([10], generator: RandomGenerator(seed: 2)).scalars)
    }

    @Test func reseedRestartsTheStream() {
        let g = RandomGenerator(seed: 5)
        let first = (0..<10).map { _ in g.next() }
        g.reseed(5)
        #expect((0..<10).map { _ in g.next() } == first)
        g.reseed(6)
        let fresh = RandomGenerator(seed: 6)
        #expect(g.next() == fresh.next())
    }

    @Test func restoredSnapshotContinuesTheStream() {
        let g = RandomGenerator(seed: 9)
        _ = (0..<5).map { _ in g.next() }
        let saved = g.snapshot
        let expected = (0..<10).map { _ in g.next() }
        let resumed = RandomGenerator(seed: 1234)
        resumed.restore(saved)
        #expect((0..<10).map { _ in resumed.next() } == expected)
        #expect(resumed.snapshot == g.snapshot)
    }

    @Test func splitGivesIndependentReproducibleStreams() {
        let parent = RandomGenerator(seed: 11)
        let child = parent.split()
        let childStream = (0..<10).map { _ in child.next() }
        let parentStream = (0..<10).map { _ in parent.next() }
        #expect(childStream != parentStream)
        let again = RandomGenerator(seed: 11).split()
        #expect((0..<10).map { _ in again.next() } == childStream)
    }

    @Test func tensorFillsAdvanceTheGenerator() {
        let g = RandomGenerator(seed: 12)
        let a = Tensor.uniform([8], generator: g), b = Tensor.uniform([8], generator: g)
        #expect(a.scalars != b.scalars)
    }

    // MARK: - Uniform

    @Test func uniformScalarsInUnitInterval() {
        let g = RandomGenerator(seed: 13)
        let values = (0..<100_000).map { _ in g.uniform() }
        #expect(values.allSatisfy { $0 >= 0 && $0 < 1 })
        let (mean, std) = moments(values)
        #expect(Swift.abs(mean - 0.5) < 0.005)
        #expect(Swift.abs(std - (1.0 / 12).squareRoot()) < 0.005)
    }

    @Test func uniformTensorRangeAndMean() {
        let t = Tensor.uniform([100_000], low: -3, high: 5, generator: RandomGenerator(seed: 14))
        let values = t.scalars
        #expect(values.allSatisfy { $0 >= -3 && $0 < 5 })
        let (mean, std) = moments(values)
        #expect(Swift.abs(mean - 1) < 0.04)
        #expect(Swift.abs(std - 8 / 12.0.squareRoot()) < 0.04)
        // Both ends of the range are reached.
        #expect(values.min()! < -2.99)
        #expect(values.max()! > 4.99)
    }

    @Test func uniformScalarRange() {
        let g = RandomGenerator(seed: 15)
        let values = (0..<10_000).map { _ in g.uniform(10, 12) }
        #expect(values.allSatisfy { $0 >= 10 && $0 < 12 })
        #expect(Swift.abs(moments(values).mean - 11) < 0.03)
    }

    @Test func uniformNeverReturnsTheUpperBound() {
        // Seed 8280086 makes the first draw the largest possible one, 1 − 2⁻²⁴; the documented
        // range [low, high) must still exclude `high` after rounding low + (high − low)·u.
        #expect(RandomGenerator(seed: 8_280_086).uniform() == 1 - 0x1p-24)
        #expect(RandomGenerator(seed: 8_280_086).uniform(1, 2) < 2)
        let t = Tensor.uniform([1], low: 1, high: 2, generator: RandomGenerator(seed: 8_280_086))
        #expect(t.scalar < 2)
        // With a large offset many draws round up to `high`.
        let far = Tensor.uniform([1000], low: 1_000_000, high: 1_000_001, generator: RandomGenerator(seed: 16)).scalars
        #expect(far.allSatisfy { $0 < 1_000_001 }, "\(far.filter { $0 >= 1_000_001 }.count) of 1000 draws equal high")
    }

    @Test func uniformWithEqualBoundsIsConstant() {
        #expect(Tensor.uniform([4], low: 2, high: 2, generator: RandomGenerator(seed: 17)).scalars == [2, 2, 2, 2])
    }

    // MARK: - Normal

    @Test func normalTensorMomentsOn100kSamples() {
        let values = Tensor.normal([100_000], generator: RandomGenerator(seed: 18)).scalars
        #expect(values.allSatisfy { $0.isFinite })
        let (mean, std) = moments(values)
        #expect(Swift.abs(mean) < 0.015)
        #expect(Swift.abs(std - 1) < 0.015)
        // About 68.27 % within one standard deviation, 95.45 % within two.
        let within1 = Double(values.filter { Swift.abs($0) < 1 }.count) / 100_000
        let within2 = Double(values.filter { Swift.abs($0) < 2 }.count) / 100_000
        #expect(Swift.abs(within1 - 0.6827) < 0.01)
        #expect(Swift.abs(within2 - 0.9545) < 0.005)
    }

    @Test func normalTensorWithMeanAndStandardDeviation() {
        let values = Tensor.normal([100_001], mean: 3, standardDeviation: 0.5, generator: RandomGenerator(seed: 19))
            .scalars
        #expect(values.count == 100_001) // odd count: the last pair is cut in half
        let (mean, std) = moments(values)
        #expect(Swift.abs(mean - 3) < 0.01)
        #expect(Swift.abs(std - 0.5) < 0.01)
        #expect(
            Tensor.normal([5], mean: 7, standardDeviation: 0, generator: RandomGenerator(seed: 20)).scalars == [
                7, 7, 7, 7, 7
            ])
    }

    @Test func normalScalarMoments() {
        let g = RandomGenerator(seed: 21)
        let values = (0..<100_000).map { _ in g.normal() }
        let (mean, std) = moments(values)
        #expect(Swift.abs(mean) < 0.015)
        #expect(Swift.abs(std - 1) < 0.015)
    }

    @Test func normalPairsAreUncorrelated() {
        // Box–Muller produces values in pairs: consecutive samples must not be correlated.
        let v = Tensor.normal([100_000], generator: RandomGenerator(seed: 22)).scalars
        var total = 0.0
        for i in stride(from: 0, to: v.count - 1, by: 2) { total += Double(v[i]) * Double(v[i + 1]) }
        #expect(Swift.abs(total / 50_000) < 0.02)
    }

    // MARK: - Integers and collections

    @Test func integerBelowStaysInRangeAndCoversIt() {
        let g = RandomGenerator(seed: 23)
        let draws = (0..<70_000).map { _ in g.integer(below: 7) }
        #expect(draws.allSatisfy { $0 >= 0 && $0 < 7 })
        var counts = [Int](repeating: 0, count: 7)
        for k in draws where k >= 0 && k < 7 { counts[k] += 1 }
        // Each bucket expects 10 000 (σ ≈ 93).
        #expect(counts.allSatisfy { Swift.abs($0 - 10_000) < 500 }, "\(counts)")
        #expect(RandomGenerator(seed: 24).integer(below: 1) == 0)
        let large = (0..<1000).map { _ in g.integer(below: 1 << 40) }
        #expect(large.allSatisfy { $0 >= 0 && $0 < 1 << 40 })
        #expect(large.contains { $0 > 1 << 39 })
    }

    @Test func permutationIsAPermutation() {
        let g = RandomGenerator(seed: 25)
        let p = g.permutation(1000)
        #expect(p.count == 1000)
        #expect(p.sorted() == Array(0..<1000))
        #expect(p != Array(0..<1000))
        #expect(g.permutation(0) == [])
        #expect(g.permutation(1) == [0])
    }

    @Test func permutationIsUniform() {
        // Each of the 6 orderings of 3 elements appears about 1/6 of the time.
        let g = RandomGenerator(seed: 26)
        var counts: [[Int]: Int] = [:]
        for _ in 0..<6000 { counts[g.permutation(3), default: 0] += 1 }
        #expect(counts.count == 6)
        #expect(counts.values.allSatisfy { Swift.abs($0 - 1000) < 150 }, "\(counts)")
    }

    @Test(arguments: [(5, 100), (30, 100), (100, 100), (0, 10), (1, 1)])
    func sampleIsDistinctAndInRange(count: Int, n: Int) {
        let s = RandomGenerator(seed: 27).sample(count, from: n)
        #expect(s.count == count)
        #expect(Set(s).count == count)
        #expect(s.allSatisfy { $0 >= 0 && $0 < n })
    }

    @Test func sampleCoversTheRange() {
        let g = RandomGenerator(seed: 28)
        var seen = Set<Int>()
        for _ in 0..<200 { seen.formUnion(g.sample(3, from: 50)) }
        #expect(seen.count == 50)
        #expect(RandomGenerator(seed: 29).sample(4, from: 50) == RandomGenerator(seed: 29).sample(4, from: 50))
    }

    // MARK: - Bernoulli

    @Test func bernoulliScalarRate() {
        let g = RandomGenerator(seed: 30)
        let hits = (0..<100_000).filter { _ in g.bernoulli(0.3) }.count
        #expect(Swift.abs(Double(hits) / 100_000 - 0.3) < 0.01)
        #expect((0..<100).allSatisfy { _ in !g.bernoulli(0) })
        #expect((0..<100).allSatisfy { _ in g.bernoulli(1) })
    }

    @Test func bernoulliTensorRateAndValues() {
        let values = Tensor.bernoulli([100_000], probability: 0.25, generator: RandomGenerator(seed: 31)).scalars
        #expect(values.allSatisfy { $0 == 0 || $0 == 1 })
        let rate = Double(values.reduce(0, +)) / 100_000
        #expect(Swift.abs(rate - 0.25) < 0.01)
        #expect(
            Tensor.bernoulli([100], probability: 0, generator: RandomGenerator(seed: 32)).scalars.allSatisfy { $0 == 0 }
        )
        #expect(
            Tensor.bernoulli([100], probability: 1, generator: RandomGenerator(seed: 33)).scalars.allSatisfy { $0 == 1 }
        )
    }

    @Test func generatorWorksWithStandardLibraryShuffling() {
        var g = RandomGenerator(seed: 34)
        let shuffled = Array(0..<50).shuffled(using: &g)
        #expect(shuffled.sorted() == Array(0..<50))
        #expect(Int.random(in: 0..<10, using: &g) < 10)
    }
}
