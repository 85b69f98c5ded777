import Foundation
import NervaTensor
import NervaTestSupport
import Testing

@Suite struct AutogradTests {
    // MARK: - Leaves and recording

    @Test func requiresGradientOfLeavesAndResults() {
        let x = Tensor([1, 2])
        #expect(!x.requiresGradient)
        x.requiringGradient()
        #expect(x.requiresGradient)
        let y = x * 2
        #expect(y.requiresGradient)
        #expect(!(Tensor([1, 2]) * 2).requiresGradient)
        x.requiringGradient(false)
        #expect(!x.requiresGradient)
        #expect(!(x * 2).requiresGradient)
    }

    @Test func backwardFillsGradientsOfLeavesOnly() {
        let x = Tensor([1, 2, 3]).requiringGradient()
        let hidden = x * x
        hidden.sum().backward()
        expectClose(x.gradient!, Tensor([2, 4, 6]))
        #expect(hidden.gradient == nil)
    }

    @Test func backwardAccumulatesAcrossTwoCalls() {
        let x = Tensor([1, -2]).requiringGradient()
        (x * x).sum().backward()
        expectClose(x.gradient!, Tensor([2, -4]))
        (x * 3).sum().backward()
        expectClose(x.gradient!, Tensor([5, -1]))
        x.gradient = nil
        (x * 3).sum().backward()
        expectClose(x.gradient!, Tensor([3, 3]))
    }

    @Test func backwardOfScalarShapedOne() {
        let x = Tensor([2]).requiringGradient()
        (x * x).backward() // shape [1] is a one-element output
        expectClose(x.gradient!, Tensor([4]))
    }

    @Test func gradientsOfWithSeed() {
        let x = Tensor([1, 2, 3]).requiringGradient()
        let y = x * x
        let g = gradients(of: y, wrt: [x], seed: Tensor([1, 0, -2]))[0]
        expectClose(g, Tensor([2, 0, -12]))
        #expect(x.gradient == nil) // returned, not accumulated
    }

    @Test func gradientsOfDefaultSeedSumsTheOutput() {
        let x = Tensor([1, 2, 3]).requiringGradient()
        expectClose(gradients(of: x * x, wrt: [x])[0], Tensor([2, 4, 6]))
    }

    @Test func gradientsWithRespectToIntermediate() {
        let x = Tensor([1, 2]).requiringGradient()
        let h = x * 3
        let y = (h * h).sum()
        let grads = gradients(of: y, wrt: [h, x])
        expectClose(grads[0], Tensor([6, 12])) // 2h
        expectClose(grads[1], Tensor([18, 36])) // 2h · 3
    }

    @Test func unusedInputGetsZeros() {
        let x = Tensor([1, 2]).requiringGradient()
        let unused = Tensor([5, 6, 7], shape: [3, 1]).requiringGradient()
        let grads = gradients(of: (x * 2).sum(), wrt: [x, unused])
        expectClose(grads[0], Tensor([2, 2]))
        #expect(grads[1].shape == [3, 1])
        #expect(grads[1].scalars == [0, 0, 0])
    }

    @Test func sameInputListedTwice() {
        let x = Tensor([1, 2]).requiringGradient()
        let grads = gradients(of: (x * x).sum(), wrt: [x, x])
        expectClose(grads[0], Tensor([2, 4]))
        expectClose(grads[1], Tensor([2, 4]))
    }

    @Test func backwardOfAConstantDoesNothing() {
        let x = Tensor([1, 2]).requiringGradient()
        let constant = Tensor([3, 4]).sum()
        constant.backward()
        #expect(x.gradient == nil)
        #expect(constant.gradient == nil)
    }

    @Test func outputNotDependingOnAnyInputGivesZeros() {
        let x = Tensor([1, 2]).requiringGradient()
        let g = gradients(of: Tensor([3, 4]).sum(), wrt: [x])[0]
        #expect(g.scalars == [0, 0])
    }

    @Test func detachedCutsTheGraph() {
        let x = Tensor([2, 3]).requiringGradient()
        let d = x.detached()
        #expect(!d.requiresGradient)
        #expect(d.scalars == x.scalars)
        // y = x · stop(x): the gradient is stop(x), not 2x.
        let g = gradients(of: (x * d).sum(), wrt: [x])[0]
        expectClose(g, Tensor([2, 3]))
        let chain = (x * 2).detached()
        #expect(!chain.requiresGradient)
        #expect(chain.scalars == [4, 6])
    }

    @Test func withoutGradientsRecordsNothing() {
        let x = Tensor([1, 2]).requiringGradient()
        #expect(GradientRecording.isActive)
        let y = withoutGradients { () -> Tensor in
            #expect(!GradientRecording.isActive)
            return (x * x).exp().sum()
        }
        #expect(GradientRecording.isActive)
        #expect(!y.requiresGradient)
        #expect(gradients(of: y, wrt: [x])[0].scalars == [0, 0])
        #expect(x.gradient == nil)
    }

    @Test func withoutGradientsReturnsAndRethrows() throws {
        struct Failure: Error {}
        #expect(withoutGradients { 42 } == 42)
        #expect(throws: Failure.self) { try withoutGradients { throw Failure() } }
    }

    @Test func tensorUsedTwiceSumsBothPaths() {
        let x = Tensor([1, 2, 3]).requiringGradient()
        expectClose(gradients(of: (x + x).sum(), wrt: [x])[0], Tensor([2, 2, 2]))
        expectClose(gradients(of: (x * x).sum(), wrt: [x])[0], Tensor([2, 4, 6]))
        expectClose(gradients(of: (x * x * x).sum(), wrt: [x])[0], Tensor([3, 12, 27]))
    }

    @Test func diamondGraph() {
        // a = 2x; out = Σ exp(a) + a²  ⇒  ∂out/∂x = 2 exp(2x) + 8x
        let values: [Float] = [-0.5, 0.25, 1]
        let x = Tensor(values).requiringGradient()
        let a = x * 2
        let out = (a.exp() + a.squared()).sum()
        out.backward()
        expectClose(x.gradient!, Tensor(values.map { 2 * Foundation.exp(2 * $0) + 8 * $0 }), relativeTolerance: 1e-5)
    }

    @Test func deeperDiamondSharesIntermediatesAcrossManyPaths() {
        // y = h·h + h + 1/h with h = x + 1 used four times.
        let x = Tensor([0.5, 1.5]).requiringGradient()
        let h = x + 1
        let y = (h * h + h + 1 / h).sum()
        let hv: [Float] = [1.5, 2.5]
        expectClose(gradients(of: y, wrt: [x])[0], Tensor(hv.map { 2 * $0 + 1 - 1 / ($0 * $0) }))
    }

    @Test func broadcastingGradientsAreSummedToInputShapes() {
        let x = Tensor.zeros([2, 3]).requiringGradient()
        let row = Tensor([1, 2, 3]).requiringGradient()
        let column = Tensor([1, 2], shape: [2, 1]).requiringGradient()
        let scalar = Tensor(2).requiringGradient()
        let y = (x + row) * column * scalar
        let grads = gradients(of: y, wrt: [x, row, column, scalar])
        #expect(grads[0].shape == [2, 3])
        #expect(grads[1].shape == [3])
        #expect(grads[2].shape == [2, 1])
        #expect(grads[3].shape == [])
        expectClose(grads[0], Tensor([2, 2, 2, 4, 4, 4], shape: [2, 3])) // column · scalar
        expectClose(grads[1], Tensor([6, 6, 6])) // Σ_rows column · scalar
        expectClose(grads[2], Tensor([12, 12], shape: [2, 1])) // Σ_cols row · scalar
        expectClose(grads[3], Tensor(18)) // Σ row · column
    }

    @Test func broadcastingGradientsWithSeed() {
        let row = Tensor([1, 2, 3]).requiringGradient()
        let y = Tensor.ones([2, 3]) * row
        let g = gradients(of: y, wrt: [row], seed: Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]))[0]
        expectClose(g, Tensor([5, 7, 9]))
    }

    @Test func backwardWithCreateGraphGivesDifferentiableGradients() {
        let x = Tensor([1.5]).requiringGradient()
        (x * x * x).sum().backward(createGraph: true)
        let first = x.gradient!
        expectClose(first, Tensor([6.75])) // 3x²
        #expect(first.requiresGradient)
        let second = gradients(of: first, wrt: [x])[0]
        expectClose(second, Tensor([9])) // 6x
    }

    @Test func gradientsWithoutCreateGraphAreConstants() {
        let x = Tensor([1.5]).requiringGradient()
        let g = gradients(of: (x * x * x).sum(), wrt: [x])[0]
        #expect(!g.requiresGradient)
    }

    @Test func longChainBackward() {
        let x = Tensor([1]).requiringGradient()
        var y = x
        for _ in 0..<5_000 { y = y * 1.0001 }
        y.sum().backward()
        expectClose(x.gradient!, Tensor([Float(Foundation.pow(1.0001, 5_000.0))]), relativeTolerance: 1e-3)
    }

    @Test func veryDeepGraphDoesNotOverflowTheStack() async {
        // The backward pass walks the graph iteratively so that deep graphs (long unrolled
        // recurrences) work; building, differentiating and releasing one must not crash either.
        // Run in a child process: a stack overflow would otherwise take down the whole test run.
        await #expect(processExitsWith: .success) {
            let x = Tensor([1]).requiringGradient()
            var y = x
            for _ in 0..<200_000 { y = y + 1 }
            y.sum().backward()
            precondition(x.gradient!.scalars == [1])
            precondition(y.scalars == [200_001])
        }
    }

    // MARK: - Second order, by hand

    @Test func secondDerivativeOfCube() {
        let values: [Float] = [-1.5, 0.5, 2]
        for (name, cube) in [("x·x·x", { (x: Tensor) in x * x * x }), ("x.pow(3)", { (x: Tensor) in x.pow(3) })] {
            let x = Tensor(values).requiringGradient()
            let first = gradients(of: cube(x).sum(), wrt: [x], createGraph: true)[0]
            expectClose(first, Tensor(values.map { 3 * $0 * $0 }), "\(name)")
            let second = gradients(of: first.sum(), wrt: [x])[0]
            expectClose(second, Tensor(values.map { 6 * $0 }), "\(name)")
        }
    }

    @Test func thirdDerivativeOfCube() {
        let x = Tensor([-1, 2]).requiringGradient()
        let first = gradients(of: x.pow(3).sum(), wrt: [x], createGraph: true)[0]
        let second = gradients(of: first.sum(), wrt: [x], createGraph: true)[0]
        let third = gradients(of: second.sum(), wrt: [x])[0]
        expectClose(third, Tensor([6, 6]))
    }

    @Test func secondDerivativeOfExp() {
        let values: [Float] = [-1, 0, 0.7]
        let x = Tensor(values).requiringGradient()
        let first = gradients(of: x.exp().sum(), wrt: [x], createGraph: true)[0]
        let second = gradients(of: first.sum(), wrt: [x])[0]
        expectClose(second, Tensor(values.map { Foundation.exp($0) }))
    }

    @Test func secondDerivativesOfSmoothFunctionsByHand() {
        let values: [Float] = [-1.2, 0.3, 0.9]
        let s = values.map { 1 / (1 + Foundation.exp(-$0)) }, t = values.map { Foundation.tanh($0) }
        let table: [(String, (Tensor) -> Tensor, [Float])] = [
            ("log", { ($0 + 2).log() }, values.map { -1 / (($0 + 2) * ($0 + 2)) }),
            ("1/x", { 1 / ($0 + 2) }, values.map { 2 / Foundation.pow($0 + 2, 3) }),
            ("sqrt", { ($0 + 2).sqrt() }, values.map { -0.25 / Foundation.pow($0 + 2, 1.5) }),
            ("sigmoid", { $0.sigmoid() }, s.map { $0 * (1 - $0) * (1 - 2 * $0) }),
            ("tanh", { $0.tanh() }, t.map { -2 * $0 * (1 - $0 * $0) }),
            ("squared", { $0.squared() }, values.map { _ in 2 })
        ]
        for (name, f, expected) in table {
            let x = Tensor(values).requiringGradient()
            let first = gradients(of: f(x).sum(), wrt: [x], createGraph: true)[0]
            let second = gradients(of: first.sum(), wrt: [x])[0]
            expectClose(second, Tensor(expected), relativeTolerance: 1e-4, absoluteTolerance: 1e-5, "\(name)")
        }
    }

    @Test func mixedSecondDerivativeOfProduct() {
        // f = Σ x²·y: ∂f/∂x = 2xy, ∂²f/∂x² = 2y, ∂²f/∂y∂x = 2x, ∂²f/∂y² = 0.
        let x = Tensor([1.5, -2]).requiringGradient()
        let y = Tensor([3, 0.5]).requiringGradient()
        let f = (x * x * y).sum()
        let first = gradients(of: f, wrt: [x, y], createGraph: true)
        let gx = first[0], gy = first[1]
        expectClose(gx, Tensor([9, -2]))
        expectClose(gy, Tensor([2.25, 4]))
        let dgx = gradients(of: gx.sum(), wrt: [x, y])
        expectClose(dgx[0], Tensor([6, 1])) // 2y
        expectClose(dgx[1], Tensor([3, -4])) // 2x
        let dgy = gradients(of: gy.sum(), wrt: [x, y])
        expectClose(dgy[0], Tensor([3, -4])) // 2x
        #expect(dgy[1].scalars == [0, 0])
    }

    @Test func crossTermOfBilinearForm() {
        // f = Σ x ⊙ y: ∂f/∂x = y, whose derivative with respect to y is 1 and to x is 0.
        let x = Tensor([1, 2, 3]).requiringGradient()
        let y = Tensor([4, 5, 6]).requiringGradient()
        let gx = gradients(of: (x * y).sum(), wrt: [x], createGraph: true)[0]
        let second = gradients(of: gx.sum(), wrt: [x, y])
        #expect(second[0].scalars == [0, 0, 0])
        #expect(second[1].scalars == [1, 1, 1])
    }

    @Test func gradientPenaltyOfALinearMap() {
        // P(W) = ‖∇ₓ Σ tanh(W x)‖², differentiated with respect to W through the recorded backward
        // pass, against central differences of P itself.
        let x = Tensor([0.3, -0.7, 0.5], shape: [1, 3])
        func penalty(_ w: Tensor) -> Tensor {
            let xLeaf = Tensor(x.scalars, shape: [1, 3]).requiringGradient()
            let out = xLeaf.matmul(w, transposingOther: true).tanh().sum()
            return gradients(of: out, wrt: [xLeaf], createGraph: true)[0].squared().sum()
        }
        let w0 = seeded([2, 3], seed: 3)
        let w = Tensor(w0.scalars, shape: [2, 3]).requiringGradient()
        let analytic = gradients(of: penalty(w), wrt: [w])[0]
        let h: Float = 1e-2
        let numeric = (0..<6).map { i -> Float in
            var plus = w0.scalars, minus = w0.scalars
            plus[i] += h
            minus[i] -= h
            let p = penalty(Tensor(plus, shape: [2, 3]).requiringGradient()).scalar
            let m = penalty(Tensor(minus, shape: [2, 3]).requiringGradient()).scalar
            return (p - m) / (2 * h)
        }
        #expect(analytic.scalars.contains { $0 != 0 })
        expectClose(analytic, Tensor(numeric, shape: [2, 3]), relativeTolerance: 2e-2, absoluteTolerance: 2e-3)
    }

    // MARK: - Second order against finite differences of the first-order gradient

    static let secondOrderCases: [GradientCase] = [
        GradientCase("tanh", [seeded([2, 3], seed: 40, low: -1.5, high: 1.5)]) { $0[0].tanh() },
        GradientCase("sigmoid", [seeded([2, 3], seed: 41, low: -3, high: 3)]) { $0[0].sigmoid() },
        GradientCase("softmax", [seeded([2, 4], seed: 42, low: -2, high: 2)]) { $0[0].softmax() },
        GradientCase("softmax axis 0", [seeded([3, 2], seed: 43, low: -2, high: 2)]) { $0[0].softmax(alongAxis: 0) },
        GradientCase("logSoftmax", [seeded([2, 4], seed: 44, low: -2, high: 2)]) { $0[0].logSoftmax() },
        GradientCase("matmul", [seeded([2, 3], seed: 45), seeded([3, 2], seed: 46)]) { $0[0].matmul($0[1]) },
        GradientCase("matmul of squares", [seeded([2, 3], seed: 47), seeded([3, 2], seed: 48)]) {
            $0[0].squared().matmul($0[1].squared())
        },
        GradientCase("matmul transposed", [seeded([3, 2], seed: 49), seeded([2, 3], seed: 50)]) {
            $0[0].matmul($0[1], transposingSelf: true, transposingOther: true).tanh()
        },
        GradientCase("batched matmul", [seeded([2, 2, 3], seed: 51), seeded([3, 2], seed: 52)]) {
            $0[0].matmul($0[1]).sigmoid()
        },
        GradientCase("linear", [seeded([2, 3], seed: 53), seeded([2, 3], seed: 54), seeded([2], seed: 55)]) {
            $0[0].linear(weight: $0[1], bias: $0[2]).tanh()
        },
        GradientCase("logSumExp", [seeded([2, 4], seed: 56, low: -2, high: 2)]) { $0[0].logSumExp(alongAxes: [1]) },
        GradientCase("logSumExp all", [seeded([3, 2], seed: 57, low: -2, high: 2)]) { $0[0].logSumExp() },
        GradientCase("mul", [seeded([2, 3], seed: 58), seeded([2, 3], seed: 59)]) { $0[0] * $0[1] * $0[0] },
        GradientCase("mul broadcast", [seeded([2, 3], seed: 60), seeded([3], seed: 61)]) { $0[0] * $0[1] * $0[1] },
        GradientCase("div", [seeded([2, 3], seed: 62), positive([2, 3], seed: 63)]) { $0[0] / $0[1] },
        GradientCase("div broadcast", [seeded([2, 3], seed: 64), positive([2, 1], seed: 65)]) { $0[0] / $0[1] },
        GradientCase("scalar / tensor", [positive([4], seed: 66)]) { 3 / $0[0] },
        GradientCase("exp", [seeded([4], seed: 67)]) { $0[0].exp() },
        GradientCase("log", [positive([4], seed: 68)]) { $0[0].log() },
        GradientCase("log1p", [positive([4], seed: 69)]) { $0[0].log1p() },
        GradientCase("sqrt", [positive([4], seed: 70)]) { $0[0].sqrt() },
        GradientCase("pow scalar", [positive([4], seed: 71)]) { $0[0].pow(2.5) },
        GradientCase("pow tensor", [positive([4], seed: 72), seeded([4], seed: 73)]) { $0[0].pow($0[1]) },
        GradientCase("softplus", [awayFromZero([4], seed: 74)]) { $0[0].softplus() },
        GradientCase("mean of squares", [seeded([2, 3], seed: 75)]) { $0[0].squared().mean(alongAxis: 0) },
        GradientCase("gathering", [seeded([4, 2], seed: 76)]) {
            $0[0].gathering(rows: [3, 0, 3], sparseGradient: true).squared()
        },
        GradientCase("shape ops", [seeded([2, 3], seed: 77)]) {
            Tensor.concatenated([$0[0].transposed(), $0[0].transposed()[1..<3]], alongAxis: 0).squared().expanded(to: [
                2, 5, 2
            ])
        }
    ]

    @Test(arguments: secondOrderCases)
    func secondOrderMatchesFiniteDifferences(_ c: GradientCase) {
        expectSecondOrderMatchesFiniteDifferences(c.function, at: c.inputs, "\(c.name)")
    }
}
