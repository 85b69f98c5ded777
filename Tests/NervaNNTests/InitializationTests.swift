import NervaNN
import NervaTensor
import Testing

/// Mean, standard deviation and largest magnitude, in double precision.
private func summary(_ t: Tensor) -> (mean: Double, std: Double, maxAbs: Double, min: Double, max: Double) {
    let v = t.scalars.map(Double.init)
    let mean = v.reduce(0, +) / Double(v.count)
    let variance = v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)
    return (mean, variance.squareRoot(), v.map(abs).max()!, v.min()!, v.max()!)
}

/// Expects `U(−bound, bound)` samples: inside the bound, reaching close to it, std `bound/√3`.
private func expectUniform(_ t: Tensor, bound: Double, sourceLocation: SourceLocation = #_sourceLocation) {
    let s = summary(t)
    #expect(s.maxAbs <= bound, "max |x| \(s.maxAbs) exceeds \(bound)", sourceLocation: sourceLocation)
    #expect(s.maxAbs > 0.999 * bound, "max |x| \(s.maxAbs) is well inside \(bound)", sourceLocation: sourceLocation)
    #expect(abs(s.mean) < 0.01 * bound, sourceLocation: sourceLocation)
    #expect(
        abs(s.std / (bound / 3.0.squareRoot()) - 1) < 0.01, "std \(s.std) for bound \(bound)",
        sourceLocation: sourceLocation)
}

/// Expects `N(mean, std²)` samples.
private func expectNormal(_ t: Tensor, mean: Double, std: Double, sourceLocation: SourceLocation = #_sourceLocation) {
    let s = summary(t)
    #expect(abs(s.mean - mean) < 0.01 * std, "mean \(s.mean) ≠ \(mean)", sourceLocation: sourceLocation)
    #expect(abs(s.std / std - 1) < 0.01, "std \(s.std) ≠ \(std)", sourceLocation: sourceLocation)
    // Gaussian tails: beyond 3σ but not beyond 7σ for ~10⁵ samples.
    #expect(s.maxAbs - abs(mean) > 3 * std && s.maxAbs < abs(mean) + 7 * std, sourceLocation: sourceLocation)
}

@Suite struct InitializationTests {
    @Test func fansFollowPyTorchConventions() {
        #expect(Initialization.fans(of: [3, 4]) == (fanIn: 4, fanOut: 3))
        #expect(Initialization.fans(of: [5, 2, 7]) == (fanIn: 14, fanOut: 35))
        #expect(Initialization.fans(of: [16, 8, 3, 3]) == (fanIn: 72, fanOut: 144))
        #expect(Initialization.fans(of: [1, 1]) == (fanIn: 1, fanOut: 1))
    }

    @Test func kaimingUniform() {
        let g = RandomGenerator(seed: 1)
        // gain √2, bound √2 · √(3/512) = √(6/512).
        expectUniform(Initialization.kaimingUniform().tensor([256, 512], generator: g), bound: (6.0 / 512).squareRoot())
        // Negative slope 1: gain 1, bound √(3/fanIn); convolution-shaped weight: fanIn = 8·3·3.
        expectUniform(
            Initialization.kaimingUniform(negativeSlope: 1).tensor([1000, 8, 3, 3], generator: g),
            bound: (3.0 / 72).squareRoot())
    }

    @Test func pytorchDefaultIsOneOverSqrtFanIn() {
        let t = Initialization.pytorchDefault.tensor([300, 400], generator: RandomGenerator(seed: 2))
        expectUniform(t, bound: 1.0 / 20)
    }

    @Test func kaimingNormal() {
        let g = RandomGenerator(seed: 3)
        expectNormal(
            Initialization.kaimingNormal().tensor([256, 512], generator: g), mean: 0, std: (2.0 / 512).squareRoot())
        // Leaky ReLU slope 0.2: gain √(2 / 1.04).
        expectNormal(
            Initialization.kaimingNormal(negativeSlope: 0.2).tensor([1024, 128], generator: g), mean: 0,
            std: (2.0 / 1.04).squareRoot() / 128.0.squareRoot())
    }

    @Test func xavierUniform() {
        let g = RandomGenerator(seed: 4)
        expectUniform(Initialization.xavierUniform().tensor([300, 500], generator: g), bound: (6.0 / 800).squareRoot())
        expectUniform(
            Initialization.xavierUniform(gain: 2).tensor([300, 500], generator: g), bound: 2 * (6.0 / 800).squareRoot())
        // fanIn = 4·5 = 20, fanOut = 64·5 = 320.
        expectUniform(
            Initialization.xavierUniform().tensor([64, 4, 5, 100], generator: g), bound: (6.0 / 34_000).squareRoot())
    }

    @Test func xavierNormal() {
        let g = RandomGenerator(seed: 5)
        expectNormal(
            Initialization.xavierNormal().tensor([300, 500], generator: g), mean: 0, std: (2.0 / 800).squareRoot())
        expectNormal(
            Initialization.xavierNormal(gain: 0.5).tensor([400, 400], generator: g), mean: 0,
            std: 0.5 * (2.0 / 800).squareRoot())
    }

    @Test func normalUniformAndConstant() {
        let g = RandomGenerator(seed: 6)
        expectNormal(Initialization.normal().tensor([400, 300], generator: g), mean: 0, std: 1)
        expectNormal(
            Initialization.normal(mean: 3, standardDeviation: 0.5).tensor([400, 300], generator: g), mean: 3, std: 0.5)
        let u = summary(Initialization.uniform(low: -2, high: 5).tensor([400, 300], generator: g))
        #expect(u.min >= -2 && u.min < -1.99)
        #expect(u.max < 5 && u.max > 4.99)
        #expect(abs(u.mean - 1.5) < 0.02)
        #expect(abs(u.std - 7 / 12.0.squareRoot()) < 0.01 * 7 / 12.0.squareRoot())
        let c = Initialization.constant(0.7).tensor([3, 2, 2], generator: g)
        #expect(c.shape == [3, 2, 2])
        #expect(c.scalars == [Float](repeating: 0.7, count: 12))
        // Rank-1 shapes are fine for distributions without fans.
        #expect(Initialization.normal().tensor([10], generator: g).shape == [10])
    }

    @Test func sameSeedSameValues() {
        let a = Initialization.kaimingUniform().tensor([8, 8], generator: RandomGenerator(seed: 7))
        let b = Initialization.kaimingUniform().tensor([8, 8], generator: RandomGenerator(seed: 7))
        let c = Initialization.kaimingUniform().tensor([8, 8], generator: RandomGenerator(seed: 8))
        #expect(a.scalars == b.scalars)
        #expect(a.scalars != c.scalars)
    }

    @Test func initializeRefillsInPlace() {
        let layer = Linear(inputSize: 500, outputSize: 400, generator: RandomGenerator(seed: 9))
        let weight = layer.weight
        weight.initialize(.xavierNormal(), generator: RandomGenerator(seed: 10))
        #expect(layer.weight === weight)
        #expect(weight.requiresGradient)
        expectNormal(weight, mean: 0, std: (2.0 / 900).squareRoot())
        weight.initialize(.constant(0))
        #expect(layer.weight.scalars.allSatisfy { $0 == 0 })
        let expected = Initialization.uniform(low: 0, high: 1).tensor([400, 500], generator: RandomGenerator(seed: 11))
        weight.initialize(.uniform(low: 0, high: 1), generator: RandomGenerator(seed: 11))
        #expect(weight.scalars == expected.scalars)
    }
}
