import NervaNN
import NervaTensor
import NervaTestSupport
import Testing

/// Per-channel mean and biased variance of `[N, C, H, W]` values, in double precision.
private func channelStatistics(_ x: Tensor) -> (mean: [Double], variance: [Double]) {
    let (n, c, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    let v = x.scalars
    var mean = [Double](repeating: 0, count: c), variance = [Double](repeating: 0, count: c)
    for i in 0..<n { for f in 0..<c { for k in 0..<plane { mean[f] += Double(v[(i * c + f) * plane + k]) } } }
    for f in 0..<c { mean[f] /= Double(n * plane) }
    for i in 0..<n {
        for f in 0..<c {
            for k in 0..<plane {
                let d = Double(v[(i * c + f) * plane + k]) - mean[f]
                variance[f] += d * d
            }
        }
    }
    for f in 0..<c { variance[f] /= Double(n * plane) }
    return (mean, variance)
}

/// Channels with different offsets and scales.
private func skewedImages(_ shape: [Int], seed: UInt64) -> Tensor {
    let (c, plane) = (shape[1], shape[2] * shape[3])
    let z = Tensor.normal(shape, generator: RandomGenerator(seed: seed)).scalars
    return Tensor(
        z.enumerated().map { i, v in
            let f = (i / plane) % c
            return v * Float(f + 1) + Float(f) * 3 - 2
        }, shape: shape)
}

@Suite struct VisionLayersTests {
    // MARK: - Conv2d

    @Test func conv2dParametersFollowPyTorch() {
        let conv = Conv2d(
            inputChannels: 3, outputChannels: 8, kernelSize: 5, stride: 2, padding: 1,
            generator: RandomGenerator(seed: 1))
        #expect(conv.namedParameters().map(\.name) == ["weight", "bias"])
        #expect(conv.weight.shape == [8, 3, 5, 5] && conv.bias?.shape == [8])
        #expect(conv.inputChannels == 3 && conv.outputChannels == 8 && conv.kernelSize == 5)
        #expect(conv.parameterCount == 8 * 75 + 8)
        #expect(
            conv.description
                == "Conv2d(inputChannels: 3, outputChannels: 8, kernelSize: 5, stride: 2, padding: 1, bias: true)")
        let noBias = Conv2d(inputChannels: 3, outputChannels: 8, kernelSize: 3, bias: false)
        #expect(noBias.bias == nil && noBias.stateDictionaryKeys() == ["weight"])
    }

    @Test func conv2dInitialisationBoundsAreOneOverSqrtFanIn() {
        let conv = Conv2d(inputChannels: 16, outputChannels: 64, kernelSize: 5, generator: RandomGenerator(seed: 2))
        let bound: Float = 1 / 20 // fanIn = 16 · 5 · 5 = 400
        let w = conv.weight.scalars, b = conv.bias!.scalars
        #expect(w.allSatisfy { abs($0) <= bound } && w.map(abs).max()! > 0.99 * bound)
        #expect(b.allSatisfy { abs($0) <= bound } && b.map(abs).max()! > 0.8 * bound)
        let mean = w.reduce(0, +) / Float(w.count)
        #expect(abs(mean) < 2e-3)
    }

    @Test func conv2dShapesAndForward() {
        let conv = Conv2d(
            inputChannels: 1, outputChannels: 6, kernelSize: 5, padding: 2, generator: RandomGenerator(seed: 3))
        let x = Tensor.normal([4, 1, 28, 28], generator: RandomGenerator(seed: 4))
        #expect(conv(x).shape == [4, 6, 28, 28])
        expectClose(conv(x), x.conv2d(weight: conv.weight, bias: conv.bias, padding: 2))
        let strided = Conv2d(inputChannels: 1, outputChannels: 2, kernelSize: 3, stride: 2)
        #expect(strided(x).shape == [4, 2, 13, 13])
    }

    // MARK: - ConvTranspose2d

    @Test func convTranspose2dParametersFollowPyTorch() {
        let up = ConvTranspose2d(
            inputChannels: 8, outputChannels: 3, kernelSize: 4, stride: 2, padding: 1,
            generator: RandomGenerator(seed: 5))
        #expect(up.namedParameters().map(\.name) == ["weight", "bias"])
        #expect(up.weight.shape == [8, 3, 4, 4] && up.bias?.shape == [3]) // [Cin, Cout, k, k]
        #expect(up.inputChannels == 8 && up.outputChannels == 3 && up.kernelSize == 4)
        #expect(
            up.description
                == "ConvTranspose2d(inputChannels: 8, outputChannels: 3, kernelSize: 4, stride: 2, padding: 1, outputPadding: 0, bias: true)"
        )
        #expect(up(Tensor.zeros([2, 8, 7, 7])).shape == [2, 3, 14, 14])
        let withPadding = ConvTranspose2d(
            inputChannels: 2, outputChannels: 2, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)
        #expect(withPadding(Tensor.zeros([1, 2, 5, 5])).shape == [1, 2, 10, 10])
    }

    @Test func convTranspose2dInitialisationUsesPyTorchsFanIn() {
        // PyTorch computes fanIn from weight.shape[1] = outputChannels: 4 · 5 · 5 = 100.
        let up = ConvTranspose2d(
            inputChannels: 64, outputChannels: 4, kernelSize: 5, generator: RandomGenerator(seed: 6))
        let bound: Float = 1 / 10
        let w = up.weight.scalars
        #expect(w.allSatisfy { abs($0) <= bound } && w.map(abs).max()! > 0.99 * bound)
        #expect(up.bias!.scalars.allSatisfy { abs($0) <= bound })
    }

    // MARK: - Pooling and upsampling

    @Test func poolingLayersDefaultToNonOverlappingWindows() {
        let x = Tensor.normal([2, 3, 8, 6], generator: RandomGenerator(seed: 7))
        let max = MaxPool2d(kernelSize: 2), average = AvgPool2d(kernelSize: 2)
        #expect(max.stride == 2 && average.stride == 2)
        #expect(max(x).shape == [2, 3, 4, 3] && average(x).shape == [2, 3, 4, 3])
        expectClose(max(x), x.maxPool2d(kernelSize: 2))
        expectClose(average(x), x.avgPool2d(kernelSize: 2))
        #expect(max.parameters().isEmpty && average.stateDictionaryKeys().isEmpty)
        #expect(
            MaxPool2d(kernelSize: 3, stride: 2, padding: 1).description
                == "MaxPool2d(kernelSize: 3, stride: 2, padding: 1)")
        #expect(AvgPool2d(kernelSize: 3, stride: 1).description == "AvgPool2d(kernelSize: 3, stride: 1, padding: 0)")
    }

    @Test func upsampleRepeatsPixels() {
        let up = Upsample(scaleFactor: 3)
        let x = Tensor([1, 2], shape: [1, 1, 1, 2])
        #expect(up(x).shape == [1, 1, 3, 6])
        #expect(up(x).scalars == [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2])
        #expect(up.description == "Upsample(scaleFactor: 3, mode: nearest)")
    }

    // MARK: - BatchNorm2d

    @Test func batchNorm2dStateNamesMatchPyTorch() {
        let bn = BatchNorm2d(featureCount: 3)
        #expect(bn.stateDictionaryKeys() == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
        #expect(bn.namedParameters().map(\.name) == ["weight", "bias"])
        #expect(
            bn.runningMean.scalars == [0, 0, 0] && bn.runningVar.scalars == [1, 1, 1]
                && bn.numBatchesTracked.shape == [])
        #expect(bn.description == "BatchNorm2d(featureCount: 3, epsilon: 1e-05, momentum: 0.1)")
    }

    @Test func batchNorm2dNormalisesEachChannelOverBatchAndPixels() {
        let bn = BatchNorm2d(featureCount: 3)
        bn.weight.assign(Tensor([2, 1, 0.5]))
        bn.bias.assign(Tensor([1, 0, -1]))
        let (mean, variance) = channelStatistics(bn(skewedImages([8, 3, 5, 4], seed: 8)))
        expectClose(mean.map(Float.init), [1, 0, -1], absoluteTolerance: 1e-5)
        expectClose(variance.map(Float.init), [4, 1, 0.25], relativeTolerance: 1e-3)
    }

    @Test func batchNorm2dRunningStatisticsUseMomentumAndUnbiasedVariance() {
        let bn = BatchNorm2d(featureCount: 2, momentum: 0.25)
        let x = skewedImages([4, 2, 3, 3], seed: 9)
        _ = bn(x)
        let (mean, variance) = channelStatistics(x)
        let count = Double(4 * 9)
        expectClose(bn.runningMean, Tensor(mean.map { Float(0.25 * $0) }), absoluteTolerance: 1e-5)
        expectClose(
            bn.runningVar, Tensor(variance.map { Float(0.75 + 0.25 * $0 * count / (count - 1)) }),
            relativeTolerance: 1e-4)
        #expect(bn.numBatchesTracked.scalar == 1)
        _ = bn(x)
        #expect(bn.numBatchesTracked.scalar == 2)
    }

    @Test func batchNorm2dEvaluationUsesRunningStatistics() {
        let bn = BatchNorm2d(featureCount: 2)
        bn.runningMean.assign(Tensor([1, -2]))
        bn.runningVar.assign(Tensor([4, 0.25]))
        bn.eval()
        let x = Tensor([3, 5, -2, -1], shape: [1, 2, 2, 1])
        let s0 = Float(4 + 1e-5).squareRoot(), s1 = Float(0.25 + 1e-5).squareRoot()
        expectClose(bn(x), Tensor([2 / s0, 4 / s0, 0, 1 / s1], shape: [1, 2, 2, 1]))
        #expect(bn.numBatchesTracked.scalar == 0)
        #expect(bn.runningMean.scalars == [1, -2])
    }

    @Test func batchNorm2dGradientsMatchFiniteDifferences() {
        // Training mode: the gradient flows through the batch statistics. A fresh layer per call
        // (weight 1, bias 0), scaled and shifted by the checked weight and bias.
        expectGradientsMatchFiniteDifferences(
            { inputs in
                BatchNorm2d(featureCount: 2)(inputs[0]) * inputs[1].reshaped([2, 1, 1]) + inputs[2].reshaped([2, 1, 1])
            }, at: [skewedImages([3, 2, 2, 3], seed: 10), Tensor([1.5, -0.5]), Tensor([0.2, 0.3])],
            relativeTolerance: 2e-2, absoluteTolerance: 2e-3)
    }

    // MARK: - A small CNN

    @Test func smallCNNNamesItsParametersLikePyTorchAndLearns() {
        let rng = RandomGenerator(seed: 11)
        let model = Sequential(
            Conv2d(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: 1, generator: rng), ReLU(),
            MaxPool2d(kernelSize: 2),
            Conv2d(inputChannels: 4, outputChannels: 8, kernelSize: 3, generator: rng), ReLU(), Flatten(),
            Linear(inputSize: 8, outputSize: 2, generator: rng))
        #expect(
            model.namedParameters().map(\.name) == ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"])
        // Horizontal (class 0) against vertical (class 1) bars on 6×6 images.
        var images: [Float] = [], labels: [Int] = []
        for k in 0..<12 {
            let vertical = k % 2 == 1, line = (k / 2) % 6
            for r in 0..<6 { for c in 0..<6 { images.append((vertical ? c : r) == line ? 1 : 0) } }
            labels.append(vertical ? 1 : 0)
        }
        let x = Tensor(images, shape: [12, 1, 6, 6])
        for _ in 0..<150 {
            model.zeroGradients()
            crossEntropy(logits: model(x), labels: labels).backward()
            withoutGradients {
                for p in model.parameters() { p.assign(p - p.gradient! * 0.1) }
            }
        }
        let predictions = withoutGradients { model(x) }.argmax(alongAxis: 1).scalars.map { Int($0) }
        #expect(predictions == labels)
    }
}
