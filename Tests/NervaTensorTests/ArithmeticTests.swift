import NervaTensor
import NervaTestSupport
import Testing

/// A binary operator with its scalar reference, for tables.
struct BinaryOperator: Sendable, CustomTestStringConvertible {
    let name: String
    let apply: @Sendable (Tensor, Tensor) -> Tensor
    let reference: @Sendable (Float, Float) -> Float
    var testDescription: String { name }

    static let all: [BinaryOperator] = [
        BinaryOperator(name: "+", apply: { $0 + $1 }, reference: { $0 + $1 }),
        BinaryOperator(name: "-", apply: { $0 - $1 }, reference: { $0 - $1 }),
        BinaryOperator(name: "*", apply: { $0 * $1 }, reference: { $0 * $1 }),
        BinaryOperator(name: "/", apply: { $0 / $1 }, reference: { $0 / $1 })
    ]
}

/// Pairs of shapes that broadcast, covering every kernel path (same shape, trailing vector,
/// column against row, scalar on either side, leading axes, size-1 axes in the middle).
let broadcastShapePairs: [([Int], [Int])] = [
    ([2, 3], [2, 3]),
    ([2, 3], [3]),
    ([3], [2, 3]),
    ([2, 1], [1, 3]),
    ([2, 3], [2, 1]),
    ([], [2, 3]),
    ([2, 3], []),
    ([2, 1, 3], [4, 1]),
    ([3, 1, 2], [1, 4, 1]),
    ([2, 3, 4], [3, 1]),
    ([1], [2, 2])
]

@Suite struct ArithmeticTests {
    // MARK: - Forward values

    @Test func goldenValues() {
        let a = Tensor([1, 2, 3, 4], shape: [2, 2])
        let b = Tensor([10, 20, 30, 40], shape: [2, 2])
        #expect((a + b).scalars == [11, 22, 33, 44])
        #expect((b - a).scalars == [9, 18, 27, 36])
        #expect((a * b).scalars == [10, 40, 90, 160])
        #expect((b / a).scalars == [10, 10, 10, 10])
        #expect((-a).scalars == [-1, -2, -3, -4])
        #expect((a + b).shape == [2, 2])
    }

    @Test func broadcastRowVector() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([10, 20, 30])
        let sum = a + b
        #expect(sum.shape == [2, 3])
        #expect(sum.scalars == [11, 22, 33, 14, 25, 36])
    }

    @Test func broadcastColumnAgainstRow() {
        let column = Tensor([1, 2], shape: [2, 1])
        let row = Tensor([10, 20, 30], shape: [1, 3])
        let product = column * row
        #expect(product.shape == [2, 3])
        #expect(product.scalars == [10, 20, 30, 20, 40, 60])
    }

    @Test(arguments: BinaryOperator.all, broadcastShapePairs)
    func broadcastingMatchesReference(op: BinaryOperator, shapes: ([Int], [Int])) {
        let a = seeded(shapes.0, seed: 1)
        let b = positive(shapes.1, seed: 2)
        let result = op.apply(a, b)
        let expected = referenceBroadcast(a, b, op.reference)
        #expect(result.shape == expected.shape)
        expectClose(result.scalars, expected.values)
    }

    @Test func scalarOperators() {
        let x = Tensor([1, 2, 4])
        #expect((x + 1).scalars == [2, 3, 5])
        #expect((1 + x).scalars == [2, 3, 5])
        #expect((x - 1).scalars == [0, 1, 3])
        #expect((1 - x).scalars == [0, -1, -3])
        #expect((x * 3).scalars == [3, 6, 12])
        #expect((3 * x).scalars == [3, 6, 12])
        #expect((x / 2).scalars == [0.5, 1, 2])
        #expect((4 / x).scalars == [4, 2, 1])
    }

    @Test func compoundAssignment() {
        var x = Tensor([1, 2, 3])
        x += Tensor([1, 1, 1])
        #expect(x.scalars == [2, 3, 4])
        x -= Tensor([2])
        #expect(x.scalars == [0, 1, 2])
        x *= Tensor([3, 3, 3])
        #expect(x.scalars == [0, 3, 6])
        x /= Tensor(3)
        #expect(x.scalars == [0, 1, 2])
    }

    @Test func compoundAssignmentRebindsAndKeepsOriginal() {
        let original = Tensor([1, 2]).requiringGradient()
        var x = original
        x += Tensor([1, 1])
        #expect(original.scalars == [1, 2])
        #expect(x !== original)
        x.sum().backward()
        expectClose(original.gradient!, Tensor([1, 1]))
    }

    @Test func divisionByZeroFollowsIEEE() {
        let r = Tensor([1, -1, 0]) / Tensor([0, 0, 0])
        #expect(r.scalars[0] == .infinity)
        #expect(r.scalars[1] == -.infinity)
        #expect(r.scalars[2].isNaN)
    }

    // MARK: - Gradients

    @Test(arguments: BinaryOperator.all, broadcastShapePairs)
    func binaryGradientsMatchFiniteDifferences(op: BinaryOperator, shapes: ([Int], [Int])) {
        expectGradientsMatchFiniteDifferences(
            { op.apply($0[0], $0[1]) },
            at: [seeded(shapes.0, seed: 3), positive(shapes.1, seed: 4)],
            "\(shapes.0) \(op.name) \(shapes.1)")
    }

    static let unaryCases: [GradientCase] = [
        GradientCase("negate", [seeded([2, 3], seed: 5)]) { -$0[0] },
        GradientCase("tensor + 2", [seeded([2, 3], seed: 6)]) { $0[0] + 2 },
        GradientCase("2 + tensor", [seeded([2, 3], seed: 7)]) { 2 + $0[0] },
        GradientCase("tensor - 2", [seeded([2, 3], seed: 8)]) { $0[0] - 2 },
        GradientCase("2 - tensor", [seeded([2, 3], seed: 9)]) { 2 - $0[0] },
        GradientCase("tensor * 3", [seeded([2, 3], seed: 10)]) { $0[0] * 3 },
        GradientCase("3 * tensor", [seeded([2, 3], seed: 11)]) { 3 * $0[0] },
        GradientCase("tensor / 4", [seeded([2, 3], seed: 12)]) { $0[0] / 4 },
        GradientCase("4 / tensor", [positive([2, 3], seed: 13)]) { 4 / $0[0] },
        GradientCase("-4 / negative tensor", [positive([3], seed: 14)]) { -4 / (-$0[0]) },
        GradientCase("scalar tensor * tensor", [Tensor(1.5), seeded([2, 2], seed: 15)]) { $0[0] * $0[1] },
        GradientCase("tensor / scalar tensor", [seeded([2, 2], seed: 16), Tensor(1.5)]) { $0[0] / $0[1] },
        GradientCase("x * x (same tensor twice)", [seeded([4], seed: 17)]) { $0[0] * $0[0] },
        GradientCase("x / x", [positive([4], seed: 18)]) { $0[0] / $0[0] },
        GradientCase("(a - b) * (a + b)", [seeded([3], seed: 19), seeded([2, 3], seed: 20)]) {
            ($0[0] - $0[1]) * ($0[0] + $0[1])
        }
    ]

    @Test(arguments: unaryCases)
    func scalarAndCompositeGradientsMatchFiniteDifferences(_ c: GradientCase) {
        expectGradientsMatchFiniteDifferences(c.function, at: c.inputs, "\(c.name)")
    }

    @Test func gradientsOfSimpleProductByHand() {
        let a = Tensor([1, 2]).requiringGradient()
        let b = Tensor([3, 5]).requiringGradient()
        (a * b).sum().backward()
        expectClose(a.gradient!, Tensor([3, 5]))
        expectClose(b.gradient!, Tensor([1, 2]))
    }

    @Test func gradientOfQuotientByHand() {
        let a = Tensor([2]).requiringGradient()
        let b = Tensor([4]).requiringGradient()
        (a / b).sum().backward()
        expectClose(a.gradient!, Tensor([0.25])) // 1/b
        expectClose(b.gradient!, Tensor([-0.125])) // -a/b²
    }

    @Test func onlyInputsRequiringGradientReceiveOne() {
        let a = Tensor([1, 2]).requiringGradient()
        let constant = Tensor([3, 4])
        ((a - constant) * constant / constant).sum().backward()
        #expect(constant.gradient == nil)
        expectClose(a.gradient!, Tensor([1, 1]))
    }
}
