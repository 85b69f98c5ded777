import Foundation
import NervaTensor
import NervaTestSupport
import Testing

@Suite struct MathTests {
    // MARK: - Forward values

    @Test func exponentialAndLogarithm() {
        expectClose(Tensor([0, 1, -1, 2]).exp(), Tensor([1, 2.7182817, 0.36787945, 7.389056]))
        expectClose(Tensor([1, 2.7182817, 0.5]).log(), Tensor([0, 1, -0.6931472]))
        #expect(Tensor([0]).log().scalar == -.infinity)
    }

    @Test func expMatchesLibmAcrossItsRange() {
        let x = Tensor.arange(-80, 80, step: 0.37)
        let expected = x.scalars.map { Foundation.exp($0) }
        expectClose(x.exp().scalars, expected, relativeTolerance: 1e-6, absoluteTolerance: 0)
    }

    @Test func expOfInfinities() {
        // e^−∞ = 0 exactly (masking relies on it) and e^+∞ = +∞.
        let y = Tensor([-Float.infinity, Float.infinity]).exp().scalars
        #expect(y[0] == 0)
        #expect(y[1] == .infinity)
    }

    @Test func expOverflowsAndUnderflowsLikeIEEE() {
        let y = Tensor([100, -110]).exp().scalars
        #expect(y[0] == .infinity) // e^100 > Float.greatestFiniteMagnitude
        #expect(y[1] == 0) // e^-110 ≈ 1.7e-48 rounds to 0
    }

    @Test func log1pIsAccurateForTinyValues() {
        let y = Tensor([1e-7, -1e-7, 0, 1]).log1p().scalars
        expectClose(y, [1e-7, -1e-7, 0, 0.6931472], relativeTolerance: 1e-5, absoluteTolerance: 0)
    }

    @Test func sqrtSquaredAbsSign() {
        #expect(Tensor([0, 1, 4, 2.25]).sqrt().scalars == [0, 1, 2, 1.5])
        #expect(Tensor([-3, 0, 0.5]).squared().scalars == [9, 0, 0.25])
        #expect(Tensor([-3, 0, 0.5]).abs().scalars == [3, 0, 0.5])
        #expect(Tensor([-3, 0, 0.5]).sign().scalars == [-1, 0, 1])
    }

    @Test func powers() {
        expectClose(Tensor([2, 3, 4]).pow(2), Tensor([4, 9, 16]))
        expectClose(Tensor([4, 9]).pow(0.5), Tensor([2, 3]))
        expectClose(Tensor([2, 4]).pow(-1), Tensor([0.5, 0.25]))
        expectClose(Tensor([2, 3]).pow(Tensor([3, 2])), Tensor([8, 9]))
        // Broadcasting exponent.
        let p = Tensor([1, 2, 3, 4], shape: [2, 2]).pow(Tensor([2, 1], shape: [2, 1]))
        expectClose(p, Tensor([1, 4, 3, 4], shape: [2, 2]))
    }

    @Test func clamped() {
        #expect(Tensor([-2, -0.5, 0.5, 2]).clamped(min: -1, max: 1).scalars == [-1, -0.5, 0.5, 1])
        #expect(Tensor([-2, 2]).clamped(min: 0).scalars == [0, 2])
        #expect(Tensor([-2, 2]).clamped(max: 0).scalars == [-2, 0])
    }

    @Test func activations() {
        let x = Tensor([-2, -0.5, 0, 0.5, 2])
        #expect(x.relu().scalars == [0, 0, 0, 0.5, 2])
        expectClose(x.leakyReLU(), Tensor([-0.02, -0.005, 0, 0.5, 2]))
        expectClose(x.leakyReLU(negativeSlope: 0.2), Tensor([-0.4, -0.1, 0, 0.5, 2]))
        expectClose(x.sigmoid(), Tensor([0.11920292, 0.37754067, 0.5, 0.62245935, 0.8807971]))
        expectClose(x.tanh(), Tensor([-0.9640276, -0.46211717, 0, 0.46211717, 0.9640276]))
        expectClose(x.softplus(), Tensor([0.126928, 0.474077, 0.6931472, 0.974077, 2.126928]))
    }

    @Test func activationsAreStableForLargeInputs() {
        let x = Tensor([-100, 100, -1000, 1000])
        let s = x.sigmoid().scalars
        expectClose(s, [0, 1, 0, 1], absoluteTolerance: 1e-30)
        #expect(s.allSatisfy { $0.isFinite })
        expectClose(x.softplus(), Tensor([0, 100, 0, 1000]), absoluteTolerance: 1e-30)
        expectClose(x.tanh(), Tensor([-1, 1, -1, 1]))
    }

    @Test func maximumAndMinimumBroadcast() {
        let a = Tensor([1, 5, 3, 0], shape: [2, 2])
        let b = Tensor([2, 2])
        #expect(maximum(a, b).scalars == [2, 5, 3, 2])
        #expect(minimum(a, b).scalars == [1, 2, 2, 0])
        #expect(maximum(a, b).shape == [2, 2])
    }

    // MARK: - Gradients by hand at the kinks

    @Test func gradientsAtKinksFollowConventions() {
        let x = Tensor([-1, 0, 2]).requiringGradient()
        #expect(gradients(of: x.relu(), wrt: [x])[0].scalars == [0, 0, 1])
        #expect(gradients(of: x.abs(), wrt: [x])[0].scalars == [-1, 0, 1])
        #expect(gradients(of: x.leakyReLU(negativeSlope: 0.1), wrt: [x])[0].scalars == [0.1, 0.1, 1])
        // Clamp passes the gradient inside [min, max], bounds included.
        #expect(gradients(of: x.clamped(min: 0, max: 1), wrt: [x])[0].scalars == [0, 1, 0])
    }

    @Test func maximumSplitsTiesEvenly() {
        let a = Tensor([1, 2, 3]).requiringGradient()
        let b = Tensor([2, 2, 1]).requiringGradient()
        let grads = gradients(of: maximum(a, b), wrt: [a, b])
        #expect(grads[0].scalars == [0, 0.5, 1])
        #expect(grads[1].scalars == [1, 0.5, 0])
        let minGrads = gradients(of: minimum(a, b), wrt: [a, b])
        #expect(minGrads[0].scalars == [1, 0.5, 0])
        #expect(minGrads[1].scalars == [0, 0.5, 1])
    }

    @Test func signIsAConstant() {
        let x = Tensor([-1, 2]).requiringGradient()
        #expect(!x.sign().requiresGradient)
    }

    // MARK: - Finite differences

    static let cases: [GradientCase] = [
        GradientCase("exp", [seeded([2, 3], seed: 1, low: -2, high: 2)]) { $0[0].exp() },
        GradientCase("log", [positive([2, 3], seed: 2)]) { $0[0].log() },
        GradientCase("log1p", [seeded([2, 3], seed: 3, low: -0.5, high: 2)]) { $0[0].log1p() },
        GradientCase("sqrt", [positive([2, 3], seed: 4)]) { $0[0].sqrt() },
        GradientCase("squared", [seeded([2, 3], seed: 5)]) { $0[0].squared() },
        GradientCase("abs", [awayFromZero([2, 3], seed: 6)]) { $0[0].abs() },
        GradientCase("pow(3)", [seeded([2, 3], seed: 7)]) { $0[0].pow(3) },
        GradientCase("pow(0.5)", [positive([2, 3], seed: 8)]) { $0[0].pow(0.5) },
        GradientCase("pow(-1.5)", [positive([2, 3], seed: 9)]) { $0[0].pow(-1.5) },
        GradientCase("pow(tensor)", [positive([2, 3], seed: 10), seeded([2, 3], seed: 11, low: -2, high: 2)]) {
            $0[0].pow($0[1])
        },
        GradientCase("pow(broadcast exponent)", [positive([2, 3], seed: 12), seeded([3], seed: 13, low: -2, high: 2)]) {
            $0[0].pow($0[1])
        },
        GradientCase("pow(broadcast base)", [positive([3], seed: 14), seeded([2, 3], seed: 15, low: -2, high: 2)]) {
            $0[0].pow($0[1])
        },
        GradientCase("clamped", [Tensor([-1.7, -0.6, 0.2, 0.9, 1.4, 3])]) { $0[0].clamped(min: -1, max: 1) },
        GradientCase("clamped(min:)", [Tensor([-1.7, -0.6, 0.2, 0.9])]) { $0[0].clamped(min: 0) },
        GradientCase("relu", [awayFromZero([2, 3], seed: 16)]) { $0[0].relu() },
        GradientCase("leakyReLU", [awayFromZero([2, 3], seed: 17)]) { $0[0].leakyReLU(negativeSlope: 0.2) },
        GradientCase("sigmoid", [seeded([2, 3], seed: 18, low: -4, high: 4)]) { $0[0].sigmoid() },
        GradientCase("tanh", [seeded([2, 3], seed: 19, low: -2, high: 2)]) { $0[0].tanh() },
        GradientCase("softplus", [awayFromZero([2, 3], seed: 20)]) { $0[0].softplus() },
        GradientCase("softplus of large values", [Tensor([-30, -5, 5, 30])]) { $0[0].softplus() },
        GradientCase("maximum", [distinct([2, 3], seed: 21), distinct([2, 3], seed: 22) + 0.1]) {
            maximum($0[0], $0[1])
        },
        GradientCase("maximum broadcast", [distinct([2, 3], seed: 23), Tensor([0.05, -0.1, 0.2])]) {
            maximum($0[0], $0[1])
        },
        GradientCase("minimum", [distinct([2, 3], seed: 24), distinct([2, 3], seed: 25) + 0.1]) {
            minimum($0[0], $0[1])
        },
        GradientCase("minimum broadcast", [distinct([2, 1], seed: 26), distinct([1, 3], seed: 27) + 0.1]) {
            minimum($0[0], $0[1])
        },
        GradientCase("tanh(exp(x) * y).log1p chain", [seeded([3], seed: 28), positive([3], seed: 29)]) {
            ($0[0].exp() * $0[1]).tanh().log1p()
        }
    ]

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: GradientCase) {
        expectGradientsMatchFiniteDifferences(c.function, at: c.inputs, "\(c.name)")
    }
}
