import NervaTensor
import NervaTestSupport
import Testing

/// The fused batch normalisation against the same formula written with element-wise ops.
@Suite struct NormalizationTests {
    /// `(x − mean) / √(var + ε) · weight + bias` over every axis but 1, op by op.
    static func reference(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, epsilon: Float = 1e-5) -> Tensor {
        let axes = [0] + Array(2..<x.rank), statisticShape = [x.shape[1]] + [Int](repeating: 1, count: x.rank - 2)
        let centered = x - x.mean(alongAxes: axes, keepingDimensions: true)
        let variance = centered.squared().mean(alongAxes: axes, keepingDimensions: true)
        return centered / (variance + epsilon).sqrt() * weight.reshaped(statisticShape) + bias.reshaped(statisticShape)
    }

    /// Shapes of `BatchNorm1d` (`[N, C]`, `[N, C, L]`) and `BatchNorm2d`, with planes shorter and
    /// longer than the kernels' 16 lanes, and one large enough to be split across threads.
    static let shapes: [[Int]] = [[5, 3], [64, 40], [4, 3, 7], [3, 2, 5, 4], [6, 5, 7, 7], [16, 32, 14, 14]]

    @Test(arguments: shapes) func outputStatisticsAndGradientsMatchTheFormula(shape: [Int]) {
        let x = seeded(shape, seed: 1, low: -2, high: 3).requiringGradient()
        let weight = seeded([shape[1]], seed: 2, low: 0.5, high: 1.5).requiringGradient()
        let bias = seeded([shape[1]], seed: 3).requiringGradient()
        let (output, mean, variance) = x.batchNormalized(weight: weight, bias: bias, epsilon: 1e-5)
        let expected = Self.reference(x, weight, bias)
        expectClose(output, expected, relativeTolerance: 1e-4, absoluteTolerance: 1e-5)
        let axes = [0] + Array(2..<x.rank)
        expectClose(mean, x.mean(alongAxes: axes), relativeTolerance: 1e-4, absoluteTolerance: 1e-6)
        expectClose(
            variance, (x - x.mean(alongAxes: axes, keepingDimensions: true)).squared().mean(alongAxes: axes),
            relativeTolerance: 1e-4, absoluteTolerance: 1e-6)

        let cotangent = seeded(shape, seed: 4)
        let fused = gradients(of: output, wrt: [x, weight, bias], seed: cotangent)
        let composite = gradients(of: expected, wrt: [x, weight, bias], seed: cotangent)
        for (name, (a, b)) in zip(["x", "weight", "bias"], zip(fused, composite)) {
            expectClose(a, b, relativeTolerance: 1e-3, absoluteTolerance: 1e-4, "gradient of \(name)")
        }
    }

    @Test func gradientsMatchFiniteDifferences() {
        expectGradientsMatchFiniteDifferences(
            { $0[0].batchNormalized(weight: $0[1], bias: $0[2], epsilon: 1e-5).output },
            at: [
                seeded([4, 3, 2, 3], seed: 5, low: -2, high: 2), seeded([3], seed: 6, low: 0.5, high: 1.5),
                seeded([3], seed: 7)
            ], step: 1e-2)
    }

    /// With `createGraph`, the gradient is itself differentiable and has the composite's second derivatives.
    @Test func gradientsOfGradientsMatchTheFormula() {
        let x = seeded([4, 3, 5], seed: 8).requiringGradient(),
            weight = seeded([3], seed: 9, low: 0.5, high: 1.5).requiringGradient()
        let bias = seeded([3], seed: 10).requiringGradient(), cotangent = seeded([4, 3, 5], seed: 11)
        func secondOrder(_ f: (Tensor, Tensor, Tensor) -> Tensor) -> [Tensor] {
            let first = gradients(of: f(x, weight, bias), wrt: [x], seed: cotangent, createGraph: true)[0]
            return gradients(of: first.squared().sum(), wrt: [x, weight])
        }
        let fused = secondOrder { $0.batchNormalized(weight: $1, bias: $2, epsilon: 1e-5).output }
        let composite = secondOrder { Self.reference($0, $1, $2) }
        expectClose(fused[0], composite[0], relativeTolerance: 1e-3, absoluteTolerance: 1e-4)
        expectClose(fused[1], composite[1], relativeTolerance: 1e-3, absoluteTolerance: 1e-4)
    }

    @Test func constantChannelsNormaliseToTheBias() {
        let x = Tensor([Float](repeating: 3, count: 2 * 2 * 4), shape: [2, 2, 4])
        let out = x.batchNormalized(weight: Tensor([2, 2]), bias: Tensor([0.5, -1]), epsilon: 1e-5).output
        let image = [Float](repeating: 0.5, count: 4) + [Float](repeating: -1, count: 4)
        expectClose(out.scalars, image + image)
    }
}
