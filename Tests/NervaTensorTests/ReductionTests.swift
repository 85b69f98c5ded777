import Foundation
import NervaTensor
import NervaTestSupport
import Testing

@Suite struct ReductionTests {
    /// [[1, 2, 3], [4, 5, 6]]
    let m = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])

    // MARK: - Sum and mean

    @Test func sum() {
        #expect(m.sum().shape == [])
        #expect(m.sum().scalar == 21)
        #expect(m.sum(alongAxis: 0).scalars == [5, 7, 9])
        #expect(m.sum(alongAxis: 1).scalars == [6, 15])
        #expect(m.sum(alongAxis: -1).scalars == [6, 15])
        #expect(m.sum(alongAxis: 0, keepingDimensions: true).shape == [1, 3])
        #expect(m.sum(alongAxis: 1, keepingDimensions: true).shape == [2, 1])
        #expect(m.sum(alongAxes: [0, 1], keepingDimensions: true).shape == [1, 1])
        #expect(m.sum(alongAxes: [1, 0]).scalar == 21)
        #expect(Tensor(4).sum().scalar == 4)
    }

    @Test func reductionsOfAScalarAreNotViewsOfIt() {
        // "Every op returns a new tensor": a later in-place update of the input (an optimiser
        // step on a scalar parameter) must not change results computed before it.
        let p = Tensor(3).requiringGradient()
        let total = p.sum()
        let largest = p.max()
        p.assign(Tensor(5))
        #expect(total.scalar == 3)
        #expect(largest.scalar == 3)
    }

    @Test func sumOverNonAdjacentAxes() {
        let x = Tensor.arange(0, 24).reshaped([2, 3, 4])
        let s = x.sum(alongAxes: [0, 2])
        #expect(s.shape == [3])
        // Σ over a, c of 12a + 4b + c = 2·4·4b + (4·12 + 2·6) = 32b + 60
        #expect(s.scalars == [60, 92, 124])
        let kept = x.sum(alongAxes: [0, 2], keepingDimensions: true)
        #expect(kept.shape == [1, 3, 1])
        #expect(x.sum(alongAxes: [1, 2]).scalars == [66, 210])
    }

    @Test func sumOfLongVectorUsesAllElements() {
        // 1 + 2 + … + 1001 exercises the 8-wide partial sums and the tail.
        let x = Tensor.arange(1, 1002)
        #expect(x.sum().scalar == 501_501)
    }

    @Test func mean() {
        #expect(m.mean().scalar == 3.5)
        #expect(m.mean(alongAxis: 0).scalars == [2.5, 3.5, 4.5])
        #expect(m.mean(alongAxis: 1).scalars == [2, 5])
        #expect(m.mean(alongAxis: 1, keepingDimensions: true).shape == [2, 1])
        let x = Tensor.arange(0, 24).reshaped([2, 3, 4])
        expectClose(x.mean(alongAxes: [0, 2]), Tensor([7.5, 11.5, 15.5]))
    }

    // MARK: - Max, min, argmax

    @Test func maxAndMin() {
        let x = Tensor([3, -1, 7, 0, 2, 5], shape: [2, 3])
        #expect(x.max().scalar == 7)
        #expect(x.min().scalar == -1)
        #expect(x.max(alongAxis: 0).scalars == [3, 2, 7])
        #expect(x.max(alongAxis: 1).scalars == [7, 5])
        #expect(x.min(alongAxes: [0]).scalars == [0, -1, 5])
        #expect(x.min(alongAxes: [-1]).scalars == [-1, 0])
        #expect(x.max(alongAxis: 1, keepingDimensions: true).shape == [2, 1])
        #expect(Tensor([-Float.infinity, -3]).max().scalar == -3)
    }

    @Test func maxGradientSplitsTies() {
        let x = Tensor([1, 3, 3, 2, 2, 0], shape: [2, 3]).requiringGradient()
        let g = gradients(of: x.max(alongAxis: 1), wrt: [x])[0]
        #expect(g.scalars == [0, 0.5, 0.5, 0.5, 0.5, 0])
        let gMin = gradients(of: x.min(), wrt: [x])[0]
        #expect(gMin.scalars == [0, 0, 0, 0, 0, 1])
    }

    @Test func argmax() {
        let x = Tensor([3, -1, 7, 0, 2, 5], shape: [2, 3])
        #expect(x.argmax().scalars == [2, 2])
        #expect(x.argmax(alongAxis: 1).scalars == [2, 2])
        #expect(x.argmax(alongAxis: 0).scalars == [0, 1, 0])
        #expect(x.argmax(alongAxis: 0, keepingDimensions: true).shape == [1, 3])
        #expect(x.argmax().shape == [2])
        #expect(Tensor([4, 9, 9, 1]).argmax().scalars == [1]) // first of the tied maxima
        #expect(Tensor([4, 9, 9, 1]).argmax().shape == [])
        let cube = Tensor.arange(0, 24).reshaped([2, 3, 4])
        #expect(cube.argmax(alongAxis: 1).scalars == [2, 2, 2, 2, 2, 2, 2, 2])
        #expect(!Tensor([1, 2]).requiringGradient().argmax().requiresGradient)
    }

    // MARK: - logSumExp

    @Test func logSumExpGolden() {
        expectClose(Tensor([1, 2, 3]).logSumExp(), Tensor(3.4076059))
        expectClose(m.logSumExp(alongAxes: [1]), Tensor([3.4076059, 6.4076059]))
        expectClose(m.logSumExp(alongAxes: [0]), Tensor([4.0485873, 5.0485873, 6.0485873]))
        #expect(m.logSumExp(alongAxes: [1], keepingDimensions: true).shape == [2, 1])
    }

    @Test func logSumExpOfLargeValuesDoesNotOverflow() {
        let big = Tensor([1000, 1000]).logSumExp().scalar
        #expect(big.isFinite)
        #expect(Swift.abs(big - (1000 + Float(M_LN2))) < 1e-3)
        let small = Tensor([-1000, -1000]).logSumExp().scalar
        #expect(Swift.abs(small - (-1000 + Float(M_LN2))) < 1e-3)
        expectClose(Tensor([1e30, 0]).logSumExp(), Tensor(1e30))
    }

    @Test func logSumExpOfAllNegativeInfinityIsNegativeInfinity() {
        // log Σ e^−∞ = log 0 = −∞ (the implementation shifts by 0 for this case on purpose).
        let rows = Tensor([-Float.infinity, -Float.infinity, 0, -Float.infinity], shape: [2, 2])
        let out = rows.logSumExp(alongAxes: [1]).scalars
        #expect(out[0] == -.infinity, "got \(out[0])")
        #expect(out[1] == 0)
    }

    // MARK: - Softmax

    @Test func softmaxGolden() {
        expectClose(Tensor([1, 2, 3]).softmax(), Tensor([0.09003057, 0.24472847, 0.66524096]))
        // Shift invariance, also for values whose exponentials overflow.
        expectClose(Tensor([1001, 1002, 1003]).softmax(), Tensor([0.09003057, 0.24472847, 0.66524096]))
        expectClose(Tensor([-1001, -1000, -999]).softmax(), Tensor([0.09003057, 0.24472847, 0.66524096]))
    }

    @Test func softmaxAlongAxes() {
        let x = seeded([3, 4, 5], seed: 1, low: -3, high: 3)
        for axis in [0, 1, 2, -1] {
            let s = x.softmax(alongAxis: axis)
            #expect(s.shape == x.shape)
            expectClose(
                s.sum(alongAxis: axis),
                Tensor.ones(x.shape.enumerated().filter { $0.offset != (axis + 3) % 3 }.map(\.element)))
            expectClose(s, x.exp() / x.exp().sum(alongAxis: axis, keepingDimensions: true), "axis \(axis)")
        }
    }

    @Test func softmaxColumnsMatchRowsOfTranspose() {
        let x = Tensor([1, 4, 2, 5, 3, 6], shape: [3, 2]) // columns [1, 2, 3] and [4, 5, 6]
        let s = x.softmax(alongAxis: 0)
        expectClose(
            s.transposed(),
            Tensor([0.09003057, 0.24472847, 0.66524096, 0.09003057, 0.24472847, 0.66524096], shape: [2, 3]))
    }

    @Test func softmaxMasksNegativeInfinity() {
        let s = Tensor([0, -Float.infinity, 0]).softmax().scalars
        #expect(s == [0.5, 0, 0.5])
    }

    @Test func logSoftmaxGolden() {
        expectClose(Tensor([1, 2, 3]).logSoftmax(), Tensor([-2.4076059, -1.4076059, -0.4076059]))
        expectClose(
            Tensor([1001, 1002, 1003]).logSoftmax(), Tensor([-2.4076059, -1.4076059, -0.4076059]),
            absoluteTolerance: 2e-4)
        let big = Tensor([0, 1000]).logSoftmax().scalars
        #expect(big[0] == -1000)
        #expect(big[1] == 0)
    }

    @Test func logSoftmaxMatchesLogOfSoftmax() {
        let x = seeded([4, 6], seed: 2, low: -3, high: 3)
        for axis in [0, 1] {
            expectClose(
                x.logSoftmax(alongAxis: axis), x.softmax(alongAxis: axis).log(), relativeTolerance: 1e-4,
                absoluteTolerance: 1e-5)
            expectClose(
                x.logSoftmax(alongAxis: axis), x - x.logSumExp(alongAxes: [axis], keepingDimensions: true),
                relativeTolerance: 1e-4, absoluteTolerance: 1e-5)
        }
    }

    // MARK: - summed(toShape:)

    @Test func summedToShape() {
        let g = Tensor.arange(0, 24).reshaped([2, 3, 4])
        #expect(g.summed(toShape: [2, 3, 4]) === g)
        let toRow = g.summed(toShape: [4])
        #expect(toRow.shape == [4])
        #expect(toRow.scalars == [60, 66, 72, 78])
        let toColumn = g.summed(toShape: [3, 1])
        #expect(toColumn.shape == [3, 1])
        #expect(toColumn.scalars == [60, 92, 124])
        let toMiddle = g.summed(toShape: [2, 1, 4])
        #expect(toMiddle.shape == [2, 1, 4])
        #expect(toMiddle.scalars == [12, 15, 18, 21, 48, 51, 54, 57])
        let toScalar = g.summed(toShape: [])
        #expect(toScalar.shape == [])
        #expect(toScalar.scalar == 276)
        let toOnes = g.summed(toShape: [1, 1])
        #expect(toOnes.shape == [1, 1])
        #expect(toOnes.scalar == 276)
    }

    // MARK: - Gradients

    static let cases: [GradientCase] = [
        GradientCase("sum all", [seeded([2, 3], seed: 10)]) { $0[0].sum() },
        GradientCase("sum axis 0", [seeded([2, 3], seed: 11)]) { $0[0].sum(alongAxis: 0) },
        GradientCase("sum axis -1 keep", [seeded([2, 3], seed: 12)]) {
            $0[0].sum(alongAxis: -1, keepingDimensions: true)
        },
        GradientCase("sum axes [0, 2]", [seeded([2, 3, 2], seed: 13)]) { $0[0].sum(alongAxes: [0, 2]) },
        GradientCase("mean all", [seeded([2, 3], seed: 14)]) { $0[0].mean() },
        GradientCase("mean axis 1", [seeded([2, 3, 2], seed: 15)]) { $0[0].mean(alongAxis: 1) },
        GradientCase("mean axes keep", [seeded([2, 3, 2], seed: 16)]) {
            $0[0].mean(alongAxes: [1, 2], keepingDimensions: true)
        },
        GradientCase("max all", [distinct([2, 3], seed: 17)]) { $0[0].max() },
        GradientCase("max axis 0", [distinct([3, 4], seed: 18)]) { $0[0].max(alongAxis: 0) },
        GradientCase("max axis 1 keep", [distinct([3, 4], seed: 19)]) {
            $0[0].max(alongAxis: 1, keepingDimensions: true)
        },
        GradientCase("max axes [0, 2]", [distinct([2, 3, 2], seed: 20)]) { $0[0].max(alongAxes: [0, 2]) },
        GradientCase("min all", [distinct([2, 3], seed: 21)]) { $0[0].min() },
        GradientCase("min axis -1", [distinct([3, 4], seed: 22)]) { $0[0].min(alongAxes: [-1]) },
        GradientCase("logSumExp all", [seeded([2, 3], seed: 23, low: -2, high: 2)]) { $0[0].logSumExp() },
        GradientCase("logSumExp axis 1", [seeded([3, 4], seed: 24, low: -2, high: 2)]) {
            $0[0].logSumExp(alongAxes: [1])
        },
        GradientCase("logSumExp axis 0 keep", [seeded([3, 4], seed: 25, low: -2, high: 2)]) {
            $0[0].logSumExp(alongAxes: [0], keepingDimensions: true)
        },
        GradientCase("logSumExp of large values", [seeded([2, 3], seed: 26, low: 50, high: 52)]) {
            $0[0].logSumExp(alongAxes: [1])
        },
        GradientCase("softmax last axis", [seeded([3, 4], seed: 27, low: -2, high: 2)]) { $0[0].softmax() },
        GradientCase("softmax axis 0", [seeded([3, 4], seed: 28, low: -2, high: 2)]) { $0[0].softmax(alongAxis: 0) },
        GradientCase("softmax middle axis", [seeded([2, 3, 2], seed: 29, low: -2, high: 2)]) {
            $0[0].softmax(alongAxis: 1)
        },
        GradientCase("logSoftmax last axis", [seeded([3, 4], seed: 30, low: -2, high: 2)]) { $0[0].logSoftmax() },
        GradientCase("logSoftmax axis 0", [seeded([3, 4], seed: 31, low: -2, high: 2)]) {
            $0[0].logSoftmax(alongAxis: 0)
        },
        GradientCase("logSoftmax middle axis", [seeded([2, 3, 2], seed: 32, low: -2, high: 2)]) {
            $0[0].logSoftmax(alongAxis: 1)
        },
        GradientCase("summed(toShape:) [3]", [seeded([2, 3], seed: 33)]) { $0[0].summed(toShape: [3]) },
        GradientCase("summed(toShape:) [2, 1]", [seeded([2, 3], seed: 34)]) { $0[0].summed(toShape: [2, 1]) },
        GradientCase("summed(toShape:) []", [seeded([2, 3], seed: 35)]) { $0[0].summed(toShape: []) }
    ]

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: GradientCase) {
        expectGradientsMatchFiniteDifferences(c.function, at: c.inputs, "\(c.name)")
    }

    @Test func softmaxGradientByHand() {
        // ∂ softmax(x)_0 / ∂x = s_0 (e_0 − s)
        let x = Tensor([1, 2, 3]).requiringGradient()
        let s: [Float] = [0.09003057, 0.24472847, 0.66524096]
        let g = gradients(of: x.softmax(), wrt: [x], seed: Tensor([1, 0, 0]))[0]
        expectClose(g, Tensor([s[0] * (1 - s[0]), -s[0] * s[1], -s[0] * s[2]]))
    }

    @Test func logSumExpGradientIsSoftmax() {
        let x = Tensor([1, 2, 3]).requiringGradient()
        let g = gradients(of: x.logSumExp(), wrt: [x])[0]
        expectClose(g, Tensor([0.09003057, 0.24472847, 0.66524096]))
    }
}
