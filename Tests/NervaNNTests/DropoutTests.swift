import NervaNN
import NervaTensor
import NervaTestSupport
import Testing

@Suite struct DropoutTests {
    @Test func evaluationModeIsTheIdentity() {
        let dropout = Dropout(probability: 0.5, generator: RandomGenerator(seed: 1))
        dropout.eval()
        let x = Tensor.normal([50, 40], generator: RandomGenerator(seed: 2))
        #expect(dropout(x).scalars == x.scalars)
        // Gradients pass unchanged.
        let leaf = Tensor.normal([3, 4], generator: RandomGenerator(seed: 3)).requiringGradient()
        dropout(leaf).sum().backward()
        #expect(leaf.gradient!.scalars == [Float](repeating: 1, count: 12))
    }

    @Test func zeroProbabilityIsTheIdentityInTraining() {
        let dropout = Dropout(probability: 0, generator: RandomGenerator(seed: 4))
        let x = Tensor.normal([10, 10], generator: RandomGenerator(seed: 5))
        #expect(dropout.isTraining)
        #expect(dropout(x).scalars == x.scalars)
    }

    @Test(arguments: [Float(0.1), 0.3, 0.5, 0.8])
    func trainingZeroesAFractionPAndScalesTheRest(probability p: Float) {
        let dropout = Dropout(probability: p, generator: RandomGenerator(seed: 6))
        let n = 200_000
        let y = dropout(Tensor.ones([400, 500])).scalars
        let zeros = y.filter { $0 == 0 }.count
        let fraction = Double(zeros) / Double(n)
        // The standard error is √(p(1−p)/n) ≤ 0.0012: allow about 6 of them.
        #expect(abs(fraction - Double(p)) < 0.007, "zero fraction \(fraction) for p = \(p)")
        let scale = 1 / (1 - p)
        #expect(y.allSatisfy { $0 == 0 || abs($0 - scale) <= 1e-6 * scale })
        // The expectation is preserved.
        let mean = y.reduce(0.0) { $0 + Double($1) } / Double(n)
        #expect(abs(mean - 1) < 0.03)
    }

    @Test func scalingAppliesToTheInputValues() {
        let dropout = Dropout(probability: 0.25, generator: RandomGenerator(seed: 7))
        let x = Tensor.normal([1000], generator: RandomGenerator(seed: 8))
        let y = dropout(x).scalars, xs = x.scalars
        let kept = zip(xs, y).filter { $0.1 != 0 }
        let wrong = kept.filter { a, b in abs(b - a / 0.75) > 1e-6 * abs(a / 0.75) + 1e-7 }
        #expect(wrong.isEmpty, "kept values not scaled by 1/0.75, e.g. \(wrong.prefix(3))")
        #expect(kept.count > 650 && kept.count < 850)
    }

    @Test func gradientIsTheSameMaskAndScale() {
        let dropout = Dropout(probability: 0.4, generator: RandomGenerator(seed: 9))
        let x = Tensor.ones([20, 30]).requiringGradient()
        let y = dropout(x)
        (y * 3).sum().backward()
        expectClose(x.gradient!, y.detached() * 3)
        #expect(x.gradient!.scalars.contains(0))
    }

    @Test func seededGeneratorsGiveReproducibleMasks() {
        let x = Tensor.normal([64, 32], generator: RandomGenerator(seed: 10))
        let a = Dropout(probability: 0.5, generator: RandomGenerator(seed: 11))
        let b = Dropout(probability: 0.5, generator: RandomGenerator(seed: 11))
        let c = Dropout(probability: 0.5, generator: RandomGenerator(seed: 12))
        let first = a(x).scalars
        #expect(first == b(x).scalars)
        #expect(first != c(x).scalars)
        // Successive calls draw fresh masks, in the same sequence for the same seed.
        let second = a(x).scalars
        #expect(second != first)
        #expect(second == b(x).scalars)
    }

    @Test func descriptionShowsTheProbability() {
        #expect(
            Dropout(probability: 0.3, generator: RandomGenerator(seed: 13)).description == "Dropout(probability: 0.3)")
        #expect(Dropout(generator: RandomGenerator(seed: 13)).probability == 0.5)
    }
}
