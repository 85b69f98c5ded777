import NervaTensor
import NervaTestSupport
import Testing

@Suite struct ComparisonTests {
    let a = Tensor([1, 2, 3, 4], shape: [2, 2])
    let b = Tensor([2, 2, 2, 2], shape: [2, 2])

    @Test func tensorComparisons() {
        #expect((a .> b).scalars == [0, 0, 1, 1])
        #expect((a .< b).scalars == [1, 0, 0, 0])
        #expect((a .>= b).scalars == [0, 1, 1, 1])
        #expect((a .<= b).scalars == [1, 1, 0, 0])
        #expect((a .== b).scalars == [0, 1, 0, 0])
        #expect((a .!= b).scalars == [1, 0, 1, 1])
        #expect((a .> b).shape == [2, 2])
    }

    @Test func scalarComparisons() {
        #expect((a .> 2).scalars == [0, 0, 1, 1])
        #expect((a .< 2).scalars == [1, 0, 0, 0])
        #expect((a .>= 2).scalars == [0, 1, 1, 1])
        #expect((a .<= 2).scalars == [1, 1, 0, 0])
        #expect((a .== 2).scalars == [0, 1, 0, 0])
        #expect((a .!= 2).scalars == [1, 0, 1, 1])
    }

    @Test func comparisonsBroadcast() {
        let column = Tensor([1, 3], shape: [2, 1])
        let row = Tensor([0, 2, 4], shape: [1, 3])
        let mask = column .> row
        #expect(mask.shape == [2, 3])
        #expect(mask.scalars == [1, 0, 0, 1, 1, 0])
        #expect((Tensor([1, 2, 3]) .== Tensor(2)).scalars == [0, 1, 0])
    }

    @Test func nanComparesUnequalToEverything() {
        let x = Tensor([Float.nan, 1])
        #expect((x .== x).scalars == [0, 1])
        #expect((x .!= x).scalars == [1, 0])
        #expect((x .> 0).scalars == [0, 1])
        #expect((x .<= 1).scalars == [0, 1])
    }

    @Test func masksAreConstants() {
        let x = Tensor([1, -1]).requiringGradient()
        let y = Tensor([0, 0]).requiringGradient()
        #expect(!(x .> y).requiresGradient)
        #expect(!(x .== 1).requiresGradient)
        #expect(!(x .!= y).requiresGradient)
    }

    // MARK: - replacing(with:where:)

    @Test func replacingTakesOtherWhereMaskIsNonZero() {
        // Documented: "replaced by `other`'s where `mask` is non-zero".
        let x = Tensor([1, 2, 3, 4])
        let other = Tensor([-1, -2, -3, -4])
        let mask = Tensor([1, 0, 2, 0])
        #expect(x.replacing(with: other, where: mask).scalars == [-1, 2, -3, 4])
    }

    @Test func replacingBroadcastsAllThree() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let mask = Tensor([1, 0, 1]) // [3]: replace columns 0 and 2 of x
        let result = x.replacing(with: Tensor(0), where: mask)
        #expect(result.shape == [2, 3])
        #expect(result.scalars == [0, 2, 0, 0, 5, 0])
    }

    @Test func replacingWithInfinityDoesNotProduceNaN() {
        // Masking scores with −∞ (attention, invalid actions) must give −∞ where replaced and the
        // original score elsewhere, never NaN.
        let scores = Tensor([0.5, 1.5, -2])
        let invalid = Tensor([0, 1, 0])
        let masked = scores.replacing(with: Tensor(-Float.infinity), where: invalid).scalars
        #expect(!masked.contains { $0.isNaN }, "got \(masked)")
        #expect(masked == [0.5, -.infinity, -2])
    }

    @Test func replacingGradientFlowsToTheChosenSideOnly() {
        let x = Tensor([1, 2, 3]).requiringGradient()
        let other = Tensor([10, 20, 30]).requiringGradient()
        let mask = Tensor([1, 0, 1])
        let grads = gradients(of: x.replacing(with: other, where: mask), wrt: [x, other])
        // Other where the mask is non-zero, self elsewhere.
        #expect(grads[0].scalars == [0, 1, 0])
        #expect(grads[1].scalars == [1, 0, 1])
    }

    static let replacingMask = Tensor([1, 0, 0, 1, 1, 0], shape: [2, 3])

    @Test func replacingGradientsMatchFiniteDifferences() {
        expectGradientsMatchFiniteDifferences(
            { $0[0].replacing(with: $0[1], where: ComparisonTests.replacingMask) },
            at: [seeded([2, 3], seed: 1), seeded([3], seed: 2)])
    }
}
