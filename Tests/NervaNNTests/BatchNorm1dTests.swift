import NervaNN
import NervaTensor
import NervaTestSupport
import Testing

/// Per-feature mean and biased variance of `[N, C]` or `[N, C, L]` values, in double precision.
private func featureStatistics(_ x: Tensor) -> (mean: [Double], variance: [Double], count: Int) {
    let n = x.shape[0], c = x.shape[1], l = x.rank == 3 ? x.shape[2] : 1
    let v = x.scalars
    var mean = [Double](repeating: 0, count: c), variance = [Double](repeating: 0, count: c)
    for i in 0..<n { for f in 0..<c { for k in 0..<l { mean[f] += Double(v[(i * c + f) * l + k]) } } }
    for f in 0..<c { mean[f] /= Double(n * l) }
    for i in 0..<n {
        for f in 0..<c {
            for k in 0..<l {
                let d = Double(v[(i * c + f) * l + k]) - mean[f]
                variance[f] += d * d
            }
        }
    }
    for f in 0..<c { variance[f] /= Double(n * l) }
    return (mean, variance, n * l)
}

/// Features with different offsets and scales, `[N, C]`.
private func skewedBatch(_ shape: [Int], seed: UInt64) -> Tensor {
    let c = shape[1], l = shape.count == 3 ? shape[2] : 1
    let z = Tensor.normal(shape, generator: RandomGenerator(seed: seed)).scalars
    let values = z.enumerated().map { i, v in
        let f = (i / l) % c
        return v * Float(f + 1) * 1.5 + Float(f) * 2 - 3
    }
    return Tensor(values, shape: shape)
}

@Suite struct BatchNorm1dTests {
    @Test func parametersBuffersAndStateNamesMatchPyTorch() {
        let bn = BatchNorm1d(featureCount: 4)
        #expect(bn.stateDictionaryKeys() == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
        #expect(bn.namedParameters().map(\.name) == ["weight", "bias"])
        let state = bn.stateDictionary()
        #expect(state["weight"]!.scalars == [1, 1, 1, 1])
        #expect(state["bias"]!.scalars == [0, 0, 0, 0])
        #expect(state["running_mean"]!.scalars == [0, 0, 0, 0])
        #expect(state["running_var"]!.scalars == [1, 1, 1, 1])
        #expect(state["num_batches_tracked"]!.shape == [])
        #expect(state["num_batches_tracked"]!.scalar == 0)
        #expect(bn.featureCount == 4 && bn.epsilon == 1e-5 && bn.momentum == 0.1)
        #expect(bn.weight.requiresGradient && bn.bias.requiresGradient && !bn.runningMean.requiresGradient)
    }

    @Test func smallBatchByHand() {
        let bn = BatchNorm1d(featureCount: 2)
        let x = Tensor([1, 2, 3, 6, 5, 4], shape: [3, 2])
        let y = bn(x)
        // Both features: biased variance 8/3, unbiased variance 4; means 3 and 4.
        let s = Float((8.0 / 3 + 1e-5).squareRoot())
        expectClose(y, Tensor([-2 / s, -2 / s, 0, 2 / s, 2 / s, 0], shape: [3, 2]))
        expectClose(bn.runningMean, Tensor([0.3, 0.4]))
        expectClose(bn.runningVar, Tensor([1.3, 1.3]))
        #expect(bn.numBatchesTracked.scalar == 1)
    }

    @Test func trainingNormalisesEachFeature() {
        let bn = BatchNorm1d(featureCount: 3)
        let y = bn(skewedBatch([64, 3], seed: 1))
        let (mean, variance, _) = featureStatistics(y)
        for f in 0..<3 {
            #expect(abs(mean[f]) < 1e-5)
            #expect(abs(variance[f] - 1) < 1e-3)
        }
    }

    @Test func weightAndBiasScaleAndShift() {
        let bn = BatchNorm1d(featureCount: 3)
        bn.weight.assign(Tensor([2, -1, 0.5]))
        bn.bias.assign(Tensor([1, 0, -3]))
        let (mean, variance, _) = featureStatistics(bn(skewedBatch([50, 3], seed: 2)))
        expectClose(mean.map(Float.init), [1, 0, -3], absoluteTolerance: 1e-5)
        expectClose(variance.map(Float.init), [4, 1, 0.25], relativeTolerance: 1e-3)
    }

    @Test func runningStatisticsUseMomentumAndUnbiasedVariance() {
        let bn = BatchNorm1d(featureCount: 3, momentum: 0.3)
        var runningMean = [Double](repeating: 0, count: 3), runningVar = [Double](repeating: 1, count: 3)
        for seed in UInt64(3)...5 {
            let x = skewedBatch([10, 3], seed: seed)
            _ = bn(x)
            let (mean, variance, count) = featureStatistics(x)
            for f in 0..<3 {
                runningMean[f] = 0.7 * runningMean[f] + 0.3 * mean[f]
                runningVar[f] = 0.7 * runningVar[f] + 0.3 * variance[f] * Double(count) / Double(count - 1)
            }
            expectClose(
                bn.runningMean, Tensor(runningMean.map(Float.init)), relativeTolerance: 1e-5, absoluteTolerance: 1e-5)
            expectClose(bn.runningVar, Tensor(runningVar.map(Float.init)), relativeTolerance: 1e-5)
        }
        #expect(bn.numBatchesTracked.scalar == 3)
        // The buffers are the same tensors as before: updated in place.
        #expect(bn.stateDictionary()["running_mean"] === bn.runningMean)
    }

    @Test func evaluationUsesRunningStatisticsAndLeavesThemAlone() {
        let bn = BatchNorm1d(featureCount: 2, epsilon: 1e-3)
        bn.runningMean.assign(Tensor([1, -1]))
        bn.runningVar.assign(Tensor([4, 0.25]))
        bn.weight.assign(Tensor([2, 0.5]))
        bn.bias.assign(Tensor([0.1, -0.2]))
        bn.eval()
        let x = Tensor([3, 0, -1, -1.5, 1, 2], shape: [3, 2])
        let a = Float((4 + 1e-3).squareRoot()), b = Float((0.25 + 1e-3).squareRoot())
        let expected: [Float] = [
            (3 - 1) / a * 2 + 0.1, (0 + 1) / b * 0.5 - 0.2,
            (-1 - 1) / a * 2 + 0.1, (-1.5 + 1) / b * 0.5 - 0.2,
            (1 - 1) / a * 2 + 0.1, (2 + 1) / b * 0.5 - 0.2
        ]
        expectClose(bn(x), Tensor(expected, shape: [3, 2]))
        #expect(bn.runningMean.scalars == [1, -1])
        #expect(bn.runningVar.scalars == [4, 0.25])
        #expect(bn.numBatchesTracked.scalar == 0)
        // A single example is fine in evaluation mode.
        #expect(bn(Tensor([1, -1], shape: [1, 2])).scalars == [0.1, -0.2])
    }

    @Test func trainThenEvalUsesWhatTrainingAccumulated() {
        let bn = BatchNorm1d(featureCount: 3, momentum: 1)
        let batch = skewedBatch([40, 3], seed: 6)
        _ = bn(batch)
        // Momentum 1: the running statistics are the last batch's (variance unbiased).
        let (mean, variance, count) = featureStatistics(batch)
        bn.eval()
        let x = skewedBatch([5, 3], seed: 7)
        let xs = x.scalars
        var expected = [Float]()
        for i in 0..<5 {
            for f in 0..<3 {
                let unbiased = variance[f] * Double(count) / Double(count - 1)
                expected.append(Float((Double(xs[i * 3 + f]) - mean[f]) / (unbiased + 1e-5).squareRoot()))
            }
        }
        expectClose(bn(x), Tensor(expected, shape: [5, 3]), relativeTolerance: 1e-4, absoluteTolerance: 1e-5)
    }

    @Test func inputGradientMatchesFiniteDifferencesInTraining() {
        let bn = BatchNorm1d(featureCount: 3)
        bn.weight.assign(Tensor([1.5, -0.5, 2]))
        bn.bias.assign(Tensor([0.2, 0.1, -0.3]))
        let x = skewedBatch([6, 3], seed: 8)
        expectGradientsMatchFiniteDifferences({ bn($0[0]) }, at: [x])
        // Through a nonlinearity, so the gradient does not vanish by symmetry.
        expectGradientsMatchFiniteDifferences({ bn($0[0]).tanh() }, at: [x])
    }

    @Test func weightAndBiasGradientsInTraining() {
        let bn = BatchNorm1d(featureCount: 2)
        bn.weight.assign(Tensor([3, -2]))
        let x = Tensor([1, 2, 3, 6, 5, 4, 0, 1], shape: [4, 2])
        let cotangent = Tensor([1, -1, 2, 0.5, -3, 1, 0.25, 2], shape: [4, 2])
        (bn(x) * cotangent).sum().backward()
        let (mean, variance, _) = featureStatistics(x)
        var weightGradient = [Double](repeating: 0, count: 2), biasGradient = [Double](repeating: 0, count: 2)
        let xs = x.scalars, cs = cotangent.scalars
        for i in 0..<4 {
            for f in 0..<2 {
                let normalized = (Double(xs[i * 2 + f]) - mean[f]) / (variance[f] + 1e-5).squareRoot()
                weightGradient[f] += Double(cs[i * 2 + f]) * normalized
                biasGradient[f] += Double(cs[i * 2 + f])
            }
        }
        expectClose(bn.weight.gradient!, Tensor(weightGradient.map(Float.init)), absoluteTolerance: 1e-5)
        expectClose(bn.bias.gradient!, Tensor(biasGradient.map(Float.init)))
    }

    @Test func threeDimensionalInputNormalisesOverBatchAndLength() {
        let bn = BatchNorm1d(featureCount: 3, momentum: 0.2)
        let x = skewedBatch([4, 3, 5], seed: 9)
        let y = bn(x)
        #expect(y.shape == [4, 3, 5])
        let (outMean, outVariance, _) = featureStatistics(y)
        for f in 0..<3 {
            #expect(abs(outMean[f]) < 1e-5)
            #expect(abs(outVariance[f] - 1) < 1e-3)
        }
        let (mean, variance, count) = featureStatistics(x)
        #expect(count == 20)
        expectClose(bn.runningMean, Tensor(mean.map { Float(0.2 * $0) }), absoluteTolerance: 1e-5)
        expectClose(bn.runningVar, Tensor(variance.map { Float(0.8 + 0.2 * $0 * 20 / 19) }), relativeTolerance: 1e-5)
        #expect(bn.numBatchesTracked.scalar == 1)

        bn.eval()
        let ys = bn(x).scalars, xs = x.scalars
        let rm = bn.runningMean.scalars, rv = bn.runningVar.scalars
        let expected = (0..<60).map { index in
            let f = (index / 5) % 3
            return (xs[index] - rm[f]) / (rv[f] + 1e-5).squareRoot()
        }
        expectClose(ys, expected, relativeTolerance: 1e-5, absoluteTolerance: 1e-5)
    }

    @Test func threeDimensionalGradientMatchesFiniteDifferences() {
        let bn = BatchNorm1d(featureCount: 2)
        bn.weight.assign(Tensor([0.7, 1.3]))
        let x = skewedBatch([3, 2, 4], seed: 10)
        expectGradientsMatchFiniteDifferences({ bn($0[0]).tanh() }, at: [x])
    }

    @Test func descriptionShowsSettings() {
        #expect(
            BatchNorm1d(featureCount: 8, epsilon: 1e-3, momentum: 0.05).description
                == "BatchNorm1d(featureCount: 8, epsilon: 0.001, momentum: 0.05)")
    }
}
