import NervaNN
import NervaTensor
import NervaTestSupport
import Testing

/// Mean and (population) standard deviation, in double precision.
private func moments(_ values: [Float]) -> (mean: Double, std: Double) {
    let n = Double(values.count)
    let mean = values.reduce(0.0) { $0 + Double($1) } / n
    let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
    return (mean, variance.squareRoot())
}

@Suite struct LinearTests {
    @Test func shapesFollowPyTorchLayout() {
        let layer = Linear(inputSize: 5, outputSize: 3, generator: RandomGenerator(seed: 1))
        #expect(layer.weight.shape == [3, 5])
        #expect(layer.bias?.shape == [3])
        #expect(layer.inputSize == 5 && layer.outputSize == 3)
        #expect(layer.weight.requiresGradient && layer.bias!.requiresGradient)
        #expect(layer.parameterCount == 18)
        let noBias = Linear(inputSize: 5, outputSize: 3, bias: false, generator: RandomGenerator(seed: 1))
        #expect(noBias.bias == nil)
        #expect(noBias.namedParameters().map(\.name) == ["weight"])
    }

    @Test func defaultInitialisationBoundsAreOneOverSqrtFanIn() {
        let layer = Linear(inputSize: 400, outputSize: 300, generator: RandomGenerator(seed: 2))
        let bound: Float = 1 / 20
        let w = layer.weight.scalars, b = layer.bias!.scalars
        #expect(w.allSatisfy { abs($0) <= bound })
        #expect(w.map(abs).max()! > 0.999 * bound)
        let (mean, std) = moments(w)
        #expect(abs(mean) < 1e-3)
        #expect(abs(std - Double(bound) / 3.0.squareRoot()) < 0.01 * Double(bound) / 3.0.squareRoot())
        #expect(b.allSatisfy { abs($0) <= bound })
        #expect(b.map(abs).max()! > 0.9 * bound)
        #expect(Set(b).count == 300)
    }

    @Test func biasBoundDoesNotDependOnWeightInitialisation() {
        let layer = Linear(
            inputSize: 16, outputSize: 500, weightInitialization: .constant(2),
            generator: RandomGenerator(seed: 3))
        #expect(layer.weight.scalars.allSatisfy { $0 == 2 })
        let b = layer.bias!.scalars
        #expect(b.allSatisfy { abs($0) <= 0.25 })
        #expect(b.map(abs).max()! > 0.24)
    }

    @Test func seededInitialisationIsReproducible() {
        let a = Linear(inputSize: 7, outputSize: 4, generator: RandomGenerator(seed: 4))
        let b = Linear(inputSize: 7, outputSize: 4, generator: RandomGenerator(seed: 4))
        let c = Linear(inputSize: 7, outputSize: 4, generator: RandomGenerator(seed: 5))
        #expect(a.weight.scalars == b.weight.scalars && a.bias!.scalars == b.bias!.scalars)
        #expect(a.weight.scalars != c.weight.scalars)
    }

    @Test func forwardByHand() {
        let layer = Linear(inputSize: 3, outputSize: 2, generator: RandomGenerator(seed: 6))
        layer.weight.assign(Tensor([1, 2, 3, -1, 0, 2], shape: [2, 3]))
        layer.bias!.assign(Tensor([0.5, -1]))
        let x = Tensor([1, 0, -1, 2, 1, 0.5], shape: [2, 3])
        // [1·1 + 2·0 + 3·(−1) + 0.5, −1·1 + 0 + 2·(−1) − 1; 2 + 2 + 1.5 + 0.5, −2 + 0 + 1 − 1]
        expectClose(layer(x), Tensor([-1.5, -4, 6, -2], shape: [2, 2]))
        let noBias = Linear(inputSize: 3, outputSize: 2, bias: false, generator: RandomGenerator(seed: 6))
        noBias.weight.assign(layer.weight)
        expectClose(noBias(x), Tensor([-2, -3, 5.5, -1], shape: [2, 2]))
        // A single vector maps to a single vector.
        expectClose(layer(Tensor([1, 0, -1])), Tensor([-1.5, -4]))
    }

    @Test func gradientsAfterBackwardByHand() {
        let layer = Linear(inputSize: 3, outputSize: 2, generator: RandomGenerator(seed: 7))
        let x = Tensor([1, 0, -1, 2, 1, 0.5], shape: [2, 3]).requiringGradient()
        let c = Tensor([1, 2, -1, 3], shape: [2, 2])
        (layer(x) * c).sum().backward()
        // ∂/∂W = cᵀ x, ∂/∂b = Σ_rows c, ∂/∂x = c W.
        expectClose(layer.weight.gradient!, Tensor([1 - 2, 0 - 1, -1 - 0.5, 2 + 6, 0 + 3, -2 + 1.5], shape: [2, 3]))
        expectClose(layer.bias!.gradient!, Tensor([0, 5]))
        let w = layer.weight.scalars
        let expectedX: [Float] = [
            1 * w[0] + 2 * w[3], 1 * w[1] + 2 * w[4], 1 * w[2] + 2 * w[5],
            -1 * w[0] + 3 * w[3], -1 * w[1] + 3 * w[4], -1 * w[2] + 3 * w[5]
        ]
        expectClose(x.gradient!, Tensor(expectedX, shape: [2, 3]))
    }

    @Test func gradientsMatchFiniteDifferences() {
        let g = RandomGenerator(seed: 8)
        let x = Tensor.normal([4, 3], generator: g)
        let w = Tensor.normal([5, 3], generator: g)
        let b = Tensor.normal([5], generator: g)
        expectGradientsMatchFiniteDifferences({ $0[0].linear(weight: $0[1], bias: $0[2]) }, at: [x, w, b])
        expectGradientsMatchFiniteDifferences({ $0[0].linear(weight: $0[1], bias: nil) }, at: [x, w])
        // Through a nonlinearity and a second layer.
        let w2 = Tensor.normal([2, 5], generator: g)
        expectGradientsMatchFiniteDifferences(
            { $0[0].linear(weight: $0[1], bias: $0[2]).tanh().linear(weight: $0[3], bias: nil) },
            at: [x, w, b, w2])
    }

    @Test func threeDimensionalInput() {
        let g = RandomGenerator(seed: 9)
        let layer = Linear(inputSize: 3, outputSize: 2, generator: g)
        let x = Tensor.normal([2, 4, 3], generator: g)
        let y = layer(x)
        #expect(y.shape == [2, 4, 2])
        // Equal to applying the layer to the flattened rows.
        expectClose(y.reshaped([8, 2]), layer(x.reshaped([8, 3])))
        // Row by row, by hand.
        let xs = x.scalars, w = layer.weight.scalars, b = layer.bias!.scalars, ys = y.scalars
        for r in 0..<8 {
            for o in 0..<2 {
                let expected = (0..<3).reduce(b[o]) { $0 + w[o * 3 + $1] * xs[r * 3 + $1] }
                #expect(abs(ys[r * 2 + o] - expected) < 1e-5)
            }
        }
        let w0 = Tensor.normal([2, 3], generator: g), b0 = Tensor.normal([2], generator: g)
        expectGradientsMatchFiniteDifferences({ $0[0].linear(weight: $0[1], bias: $0[2]) }, at: [x, w0, b0])
    }

    @Test func threeDimensionalGradientsAccumulateOverAllRows() {
        let g = RandomGenerator(seed: 10)
        let layer = Linear(inputSize: 3, outputSize: 2, generator: g)
        let x = Tensor.normal([2, 4, 3], generator: g)
        layer(x).sum().backward()
        // ∂Σy/∂b = number of rows; ∂Σy/∂W[o, i] = Σ_rows x[·, i].
        expectClose(layer.bias!.gradient!, Tensor([8, 8]))
        let columnSums = x.reshaped([8, 3]).sum(alongAxis: 0).scalars
        expectClose(
            layer.weight.gradient!, Tensor(columnSums + columnSums, shape: [2, 3]), relativeTolerance: 1e-5,
            absoluteTolerance: 1e-5)
    }
}
