import NervaNN
import NervaOptim
import NervaTensor
import NervaTestSupport
import Testing

/// Parameters whose gradients are [3, 4] and [[12]]: global norm 13.
private func parametersWithGradients() -> [Tensor] {
    let a = Tensor([1, 1]).requiringGradient(), b = Tensor([1], shape: [1, 1]).requiringGradient()
    a.gradient = Tensor([3, 4])
    b.gradient = Tensor([12], shape: [1, 1])
    return [a, b]
}

private func globalNorm(_ parameters: [Tensor]) -> Double {
    parameters.compactMap(\.gradient).flatMap(\.scalars).reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
}

@Suite struct GradientClippingTests {
    @Test func scalesToMaxNormAndReturnsTheNormBefore() {
        let parameters = parametersWithGradients()
        let norm = clipGradientNorm(parameters, maxNorm: 6.5)
        #expect(norm == 13)
        // torch.nn.utils.clip_grad_norm_: multiply by maxNorm / (norm + 1e-6).
        let scale = 6.5 / (13 + 1e-6)
        expectClose(parameters[0].gradient!, Tensor([Float(3 * scale), Float(4 * scale)]), relativeTolerance: 1e-6)
        expectClose(parameters[1].gradient!, Tensor([Float(12 * scale)], shape: [1, 1]), relativeTolerance: 1e-6)
        #expect(abs(globalNorm(parameters) - 6.5) < 1e-5)
        // The parameters themselves are untouched.
        #expect(parameters[0].scalars == [1, 1])
    }

    @Test func leavesGradientsBelowTheLimitAlone() {
        let parameters = parametersWithGradients()
        #expect(clipGradientNorm(parameters, maxNorm: 20) == 13)
        #expect(parameters[0].gradient!.scalars == [3, 4])
        #expect(parameters[1].gradient!.scalars == [12])
        // Exactly at the limit: the factor 13 / (13 + 1e-6) is within a few ulps of 1.
        let atLimit = parametersWithGradients()
        #expect(clipGradientNorm(atLimit, maxNorm: 13) == 13)
        expectClose(atLimit[0].gradient!, Tensor([3, 4]), relativeTolerance: 1e-6)
    }

    @Test func zeroMaxNormZeroesGradients() {
        let parameters = parametersWithGradients()
        #expect(clipGradientNorm(parameters, maxNorm: 0) == 13)
        #expect(parameters.allSatisfy { $0.gradient!.scalars.allSatisfy { $0 == 0 } })
    }

    @Test func parametersWithoutGradientsAreSkipped() {
        let parameters = parametersWithGradients()
        let bare = Tensor([5, 5]).requiringGradient()
        #expect(clipGradientNorm(parameters + [bare], maxNorm: 1) == 13)
        #expect(bare.gradient == nil)
        #expect(abs(globalNorm(parameters) - 1) < 1e-5)
        #expect(clipGradientNorm([bare], maxNorm: 1) == 0)
    }

    @Test func rowSparseGradientsCountRepeatedRowsOnceAndStaySparse() {
        let sparse = Embedding(count: 5, dimension: 2, generator: RandomGenerator(seed: 1))
        let dense = Embedding(count: 5, dimension: 2, sparseGradients: false, generator: RandomGenerator(seed: 1))
        let cotangent = Tensor([1, 2, 2, 1, 3, -4], shape: [3, 2])
        for table in [sparse, dense] { (table([1, 1, 3]) * cotangent).sum().backward() }
        // Dense gradient rows: row 1 = [3, 3], row 3 = [3, −4]: norm √(9 + 9 + 9 + 16) = √43.
        let sparseNorm = clipGradientNorm(sparse.parameters(), maxNorm: 2)
        let denseNorm = clipGradientNorm(dense.parameters(), maxNorm: 2)
        let expected = Float(43.0.squareRoot())
        #expect(abs(sparseNorm - expected) < 1e-5 && abs(denseNorm - expected) < 1e-5)
        let gradient = sparse.weight.gradient!
        #expect(gradient.isRowSparse)
        expectClose(gradient.densified(), dense.weight.gradient!, relativeTolerance: 1e-6)
        #expect(abs(globalNorm(sparse.parameters()) - 2) < 1e-5)
    }

    @Test func clippedGradientsFeedTheOptimiser() {
        let p = Tensor([0, 0]).requiringGradient()
        p.gradient = Tensor([30, 40])
        clipGradientNorm([p], maxNorm: 1)
        SGD([p], learningRate: 1).step()
        expectClose(p, Tensor([-0.6, -0.8]), relativeTolerance: 1e-5)
    }
}
