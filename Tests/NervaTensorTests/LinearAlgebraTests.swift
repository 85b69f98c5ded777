import NervaTensor
import NervaTestSupport
import Testing

/// A matrix product to check: operand shapes as stored, and which operands are transposed.
struct MatmulCase: Sendable, CustomTestStringConvertible {
    let a: [Int]
    let b: [Int]
    let transposingSelf: Bool
    let transposingOther: Bool

    init(_ a: [Int], _ b: [Int], _ transposingSelf: Bool = false, _ transposingOther: Bool = false) {
        self.a = a
        self.b = b
        self.transposingSelf = transposingSelf
        self.transposingOther = transposingOther
    }

    var testDescription: String {
        "\(a)\(transposingSelf ? "ᵀ" : "") · \(b)\(transposingOther ? "ᵀ" : "")"
    }

    func apply(_ x: Tensor, _ y: Tensor) -> Tensor {
        x.matmul(y, transposingSelf: transposingSelf, transposingOther: transposingOther)
    }

    /// The product computed one batch item at a time with naive loops.
    func reference(_ x: Tensor, _ y: Tensor) -> (shape: [Int], values: [Float]) {
        let ra = a.count, rb = b.count
        let (m, k) = transposingSelf ? (a[ra - 1], a[ra - 2]) : (a[ra - 2], a[ra - 1])
        let n = transposingOther ? b[rb - 2] : b[rb - 1]
        let batchA = Array(a.dropLast(2)), batchB = Array(b.dropLast(2))
        let batch = batchA.isEmpty ? batchB : batchA
        let count = batch.reduce(1, *)
        let va = x.scalars, vb = y.scalars
        var values: [Float] = []
        for i in 0..<count {
            let offsetA = batchA.isEmpty ? 0 : i * m * k, offsetB = batchB.isEmpty ? 0 : i * k * n
            var itemA = Array(va[offsetA..<(offsetA + m * k)]), itemB = Array(vb[offsetB..<(offsetB + k * n)])
            if transposingSelf { itemA = referenceTranspose(itemA, rows: k, columns: m) }
            if transposingOther { itemB = referenceTranspose(itemB, rows: n, columns: k) }
            values += referenceMatmul(itemA, itemB, m: m, k: k, n: n)
        }
        return (batch + [m, n], values)
    }
}

@Suite struct LinearAlgebraTests {
    // MARK: - matmul forward

    @Test func matmulGolden2x2() {
        let a = Tensor([1, 2, 3, 4], shape: [2, 2])
        let b = Tensor([5, 6, 7, 8], shape: [2, 2])
        let c = a.matmul(b)
        #expect(c.shape == [2, 2])
        #expect(c.scalars == [19, 22, 43, 50])
        #expect(a.matmul(b, transposingSelf: true).scalars == [26, 30, 38, 44])
        #expect(a.matmul(b, transposingOther: true).scalars == [17, 23, 39, 53])
        #expect(a.matmul(b, transposingSelf: true, transposingOther: true).scalars == [23, 31, 34, 46])
        #expect(a.matmul(Tensor.identity(2)).scalars == a.scalars)
    }

    @Test func matmulGradientsByHand() {
        // C = A·B with seed S: ∂/∂A = S·Bᵀ, ∂/∂B = Aᵀ·S.
        let a = Tensor([1, 2, 3, 4], shape: [2, 2]).requiringGradient()
        let b = Tensor([5, 6, 7, 8], shape: [2, 2]).requiringGradient()
        let seed = Tensor([1, 0, 0, 2], shape: [2, 2])
        let grads = gradients(of: a.matmul(b), wrt: [a, b], seed: seed)
        #expect(grads[0].scalars == [5, 7, 12, 16])
        #expect(grads[1].scalars == [1, 6, 2, 8])
        // Cᵀ-flavoured: C = Aᵀ·Bᵀ, ∂/∂A = Bᵀ·Sᵀ, ∂/∂B = Sᵀ·Aᵀ.
        let gradsTT = gradients(of: a.matmul(b, transposingSelf: true, transposingOther: true), wrt: [a, b], seed: seed)
        #expect(gradsTT[0].scalars == [5, 14, 6, 16])
        #expect(gradsTT[1].scalars == [1, 3, 4, 8])
    }

    @Test func linearGradientsByHand() {
        // y = x·Wᵀ + b on a batch of two: ∂/∂W = Σ_rows yGrad ⊗ x, ∂/∂b = Σ_rows yGrad.
        let x = Tensor([1, 2, 3, 4], shape: [2, 2]).requiringGradient()
        let w = Tensor([1, 0, 1, 1, -1, 2], shape: [3, 2]).requiringGradient()
        let b = Tensor([0, 0, 0]).requiringGradient()
        x.linear(weight: w, bias: b).sum().backward()
        #expect(x.gradient!.scalars == [1, 3, 1, 3])
        #expect(w.gradient!.scalars == [4, 6, 4, 6, 4, 6])
        #expect(b.gradient!.scalars == [2, 2, 2])
    }

    @Test func matmulRectangular() {
        // [2, 3] · [3, 1]
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([1, 0, -1], shape: [3, 1])
        let c = a.matmul(b)
        #expect(c.shape == [2, 1])
        #expect(c.scalars == [-2, -2])
    }

    static let cases: [MatmulCase] = [
        MatmulCase([2, 3], [3, 4]),
        MatmulCase([3, 2], [3, 4], true, false),
        MatmulCase([2, 3], [4, 3], false, true),
        MatmulCase([3, 2], [4, 3], true, true),
        MatmulCase([1, 5], [5, 1]),
        MatmulCase([2, 2, 3], [2, 3, 4]),
        MatmulCase([2, 3, 2], [2, 3, 4], true, false),
        MatmulCase([2, 2, 3], [2, 4, 3], false, true),
        MatmulCase([2, 3, 2], [2, 4, 3], true, true),
        MatmulCase([2, 2, 3], [3, 4]), // batch × matrix
        MatmulCase([2, 3, 2], [3, 4], true, false),
        MatmulCase([2, 2, 3], [4, 3], false, true),
        MatmulCase([2, 3, 2], [4, 3], true, true),
        MatmulCase([2, 3], [2, 3, 4]), // matrix × batch
        MatmulCase([3, 2], [2, 3, 4], true, false),
        MatmulCase([2, 3], [2, 4, 3], false, true),
        MatmulCase([3, 2], [2, 4, 3], true, true),
        MatmulCase([2, 2, 2, 3], [2, 2, 3, 2]), // two batch axes
        MatmulCase([2, 2, 2, 3], [3, 2])
    ]

    @Test(arguments: cases)
    func matmulMatchesNaiveReference(_ c: MatmulCase) {
        let a = seeded(c.a, seed: 1), b = seeded(c.b, seed: 2)
        let result = c.apply(a, b)
        let expected = c.reference(a, b)
        #expect(result.shape == expected.shape)
        expectClose(result.scalars, expected.values, relativeTolerance: 1e-5, absoluteTolerance: 1e-5)
    }

    @Test(arguments: cases)
    func matmulGradientsMatchFiniteDifferences(_ c: MatmulCase) {
        // The product is bilinear, so central differences are exact up to rounding: check tightly.
        expectGradientsMatchFiniteDifferences(
            { c.apply($0[0], $0[1]) }, at: [seeded(c.a, seed: 3), seeded(c.b, seed: 4)],
            relativeTolerance: 2e-3, absoluteTolerance: 3e-4, "\(c.testDescription)")
    }

    @Test(arguments: cases)
    func matmulGradientWithOneSideConstant(_ c: MatmulCase) {
        // Only the left operand requires a gradient, then only the right one.
        let a = seeded(c.a, seed: 5), b = seeded(c.b, seed: 6)
        expectGradientsMatchFiniteDifferences(
            { c.apply($0[0], b) }, at: [a], relativeTolerance: 2e-3, absoluteTolerance: 3e-4,
            "left only, \(c.testDescription)")
        expectGradientsMatchFiniteDifferences(
            { c.apply(a, $0[0]) }, at: [b], relativeTolerance: 2e-3, absoluteTolerance: 3e-4,
            "right only, \(c.testDescription)")
    }

    @Test func transposeFlagsMatchExplicitTransposes() {
        let a = seeded([2, 3, 4], seed: 7), b = seeded([2, 5, 3], seed: 8)
        expectClose(
            a.matmul(b, transposingSelf: true, transposingOther: true),
            a.transposed().matmul(b.transposed()))
        let c = seeded([5, 4], seed: 9)
        expectClose(a.matmul(c, transposingOther: true), a.matmul(c.transposed()))
    }

    @Test func batchTimesMatrixAppliesTheMatrixToEveryItem() {
        let batch = seeded([3, 2, 4], seed: 10), w = seeded([4, 5], seed: 11)
        let product = batch.matmul(w)
        #expect(product.shape == [3, 2, 5])
        for i in 0..<3 { expectClose(product[i], batch[i].matmul(w)) }
    }

    @Test func emptyInnerDimensionGivesZeros() {
        let c = Tensor.zeros([2, 0]).matmul(Tensor.zeros([0, 3]))
        #expect(c.shape == [2, 3])
        #expect(c.scalars == [0, 0, 0, 0, 0, 0])
    }

    @Test func largeMatmulMatchesReference() {
        let a = seeded([33, 65], seed: 12), b = seeded([65, 17], seed: 13)
        expectClose(
            a.matmul(b).scalars, referenceMatmul(a.scalars, b.scalars, m: 33, k: 65, n: 17),
            relativeTolerance: 1e-4, absoluteTolerance: 1e-4)
    }

    @Test func concurrentProductsOfMixedSizesAreCorrect() async {
        // Small products run single-threaded and large ones multi-threaded; switching OpenBLAS's
        // thread count from concurrent callers must not corrupt either.
        let big = seeded([260, 260], seed: 40), small = seeded([8, 8], seed: 41)
        let bigExpected = big.matmul(big), smallExpected = small.matmul(small)
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var bad = 0
                    for i in 0..<12 {
                        let (product, expected) =
                            (i + task) % 4 == 0
                            ? (big.matmul(big), bigExpected) : (small.matmul(small), smallExpected)
                        let close = zip(product.scalars, expected.scalars).allSatisfy {
                            Swift.abs($0 - $1) <= 1e-4 + 1e-5 * Swift.abs($1)
                        }
                        if !close { bad += 1 }
                    }
                    return bad
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    // MARK: - linear

    @Test func linearGolden() {
        let x = Tensor([1, 2, 3, 4], shape: [2, 2])
        let w = Tensor([1, 0, 1, 1, -1, 2], shape: [3, 2]) // [out 3, in 2]
        let b = Tensor([10, 20, 30])
        let y = x.linear(weight: w, bias: b)
        #expect(y.shape == [2, 3])
        #expect(y.scalars == [11, 23, 33, 13, 27, 35])
        #expect(x.linear(weight: w, bias: nil).scalars == [1, 3, 3, 3, 7, 5])
    }

    @Test func linearMatchesMatmulPlusBias() {
        let x = seeded([4, 3], seed: 14), w = seeded([5, 3], seed: 15), b = seeded([5], seed: 16)
        expectClose(x.linear(weight: w, bias: b), x.matmul(w, transposingOther: true) + b, absoluteTolerance: 1e-5)
        expectClose(x.linear(weight: w, bias: nil), x.matmul(w, transposingOther: true), absoluteTolerance: 1e-5)
    }

    @Test func linearOn3DInput() {
        let x = seeded([2, 3, 4], seed: 17), w = seeded([5, 4], seed: 18), b = seeded([5], seed: 19)
        let y = x.linear(weight: w, bias: b)
        #expect(y.shape == [2, 3, 5])
        expectClose(y, x.matmul(w, transposingOther: true) + b, absoluteTolerance: 1e-5)
    }

    @Test func linearOn1DInputForward() {
        let x = Tensor([1, 2])
        let w = Tensor([1, 0, 1, 1, -1, 2], shape: [3, 2])
        let y = x.linear(weight: w, bias: Tensor([1, 1, 1]))
        #expect(y.shape == [3])
        #expect(y.scalars == [2, 4, 4])
    }

    static let linearCases: [GradientCase] = [
        GradientCase("linear with bias", [seeded([4, 3], seed: 20), seeded([2, 3], seed: 21), seeded([2], seed: 22)]) {
            $0[0].linear(weight: $0[1], bias: $0[2])
        },
        GradientCase("linear without bias", [seeded([4, 3], seed: 23), seeded([2, 3], seed: 24)]) {
            $0[0].linear(weight: $0[1], bias: nil)
        },
        GradientCase(
            "linear 3-D with bias", [seeded([2, 3, 4], seed: 25), seeded([3, 4], seed: 26), seeded([3], seed: 27)]
        ) {
            $0[0].linear(weight: $0[1], bias: $0[2])
        },
        GradientCase("linear 3-D without bias", [seeded([2, 2, 3], seed: 28), seeded([4, 3], seed: 29)]) {
            $0[0].linear(weight: $0[1], bias: nil)
        },
        GradientCase("linear, weight and bias only", [seeded([3, 2], seed: 30), seeded([3], seed: 31)]) {
            Tensor([1, 2, 3, 4, 5, 6, 7, 8], shape: [4, 2]).linear(weight: $0[0], bias: $0[1])
        },
        GradientCase("linear, input only", [seeded([2, 3, 2], seed: 32)]) {
            $0[0].linear(weight: Tensor([1, -1, 2, 0.5], shape: [2, 2]), bias: Tensor([1, 2]))
        }
    ]

    @Test(arguments: linearCases)
    func linearGradientsMatchFiniteDifferences(_ c: GradientCase) {
        expectGradientsMatchFiniteDifferences(
            c.function, at: c.inputs, relativeTolerance: 2e-3, absoluteTolerance: 3e-4, "\(c.name)")
    }

    @Test func linearOn1DInputBackward() async {
        // `linear` accepts a 1-D input (`rank >= 1`); its backward pass must not trap.
        await #expect(processExitsWith: .success) {
            let x = Tensor([1, 2]).requiringGradient()
            let w = Tensor([1, 0, 1, 1, -1, 2], shape: [3, 2]).requiringGradient()
            let b = Tensor([0, 0, 0]).requiringGradient()
            x.linear(weight: w, bias: b).sum().backward()
            // ∂/∂x Σ W x = Σ_rows W = [1, 3]; ∂/∂W = 1 ⊗ x; ∂/∂b = 1.
            precondition(x.gradient!.scalars == [1, 3])
            precondition(w.gradient!.scalars == [1, 2, 1, 2, 1, 2])
            precondition(b.gradient!.scalars == [1, 1, 1])
        }
    }
}
