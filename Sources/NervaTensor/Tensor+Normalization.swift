import CNervaKernels

extension Tensor {
    /// Batch normalisation of `[N, C, …]` with the batch's own statistics (training mode):
    /// `(x − mean) / √(variance + ε) · weight + bias`, the statistics per channel (axis 1) over every
    /// other axis. One fused operation: two passes for the statistics, one for the output, and
    /// two for the backward pass (PyTorch's formula), instead of a dozen element-wise ops.
    ///
    /// - Parameters:
    ///   - weight: `[C]`, the scale after normalisation.
    ///   - bias: `[C]`, the shift after normalisation.
    ///   - epsilon: `ε`, added to the variance for numerical stability.
    /// - Returns: the output, and the batch's mean and biased variance per channel (`[C]`, not
    ///   recorded for gradients; for running statistics).
    public func batchNormalized(weight: Tensor, bias: Tensor, epsilon: Float) -> (
        output: Tensor, mean: Tensor, variance: Tensor
    ) {
        precondition(
            rank >= 2 && weight.shape == [shape[1]] && bias.shape == [shape[1]],
            "batchNormalized: expected an input [N, C, …] with weight and bias [C], got \(shape), \(weight.shape) and \(bias.shape)."
        )
        let layout = ChannelLayout(shape)
        precondition(
            layout.valuesPerChannel > 1, "batchNormalized: needs more than one value per channel, got input \(shape).")
        let mean = Tensor(uninitializedShape: [layout.channels]),
            variance = Tensor(uninitializedShape: [layout.channels])
        let x = dense
        layout.forChannelRanges { first, last in
            nerva_channel_statistics(
                x, layout.n, layout.c, layout.spatial, first, last, mean.storage.base, variance.storage.base)
        }
        // y = x · scale + (bias − mean · scale), scale = weight / √(variance + ε).
        let inverseDeviation = variance.scalars.map { 1 / ($0 + epsilon).squareRoot() }
        let weights = weight.scalars, biases = bias.scalars, means = mean.scalars
        let scale = (0..<layout.channels).map { weights[$0] * inverseDeviation[$0] }
        let shift = (0..<layout.channels).map { biases[$0] - means[$0] * scale[$0] }
        let out = Tensor(uninitializedShape: shape)
        layout.forChannelRanges { first, last in
            nerva_channel_affine(
                nil, x, nil, scale, shift, layout.n, layout.c, layout.spatial, first, last, out.storage.base)
        }
        guard Tensor.recordsGradient([self, weight, bias]) else { return (out, mean, variance) }
        let input = self
        out.record("batchNorm", [input, weight, bias]) { g in
            guard !GradientRecording.isEnabled else {
                return Tensor.batchNormGradients(g, input: input, weight: weight, bias: bias, epsilon: epsilon)
            }
            return Tensor.batchNormGradients(
                g, input: input, weight: weight, bias: bias, layout: layout,
                means: means, inverseDeviation: inverseDeviation)
        }
        return (out, mean, variance)
    }

    /// The fused backward pass: `sums = Σ g`, `weighted = Σ g·(x − mean)` per channel, then
    /// `dx = g·a + x·b + d` with `a = weight/σ`, `b = −a·weighted/(M·σ²)`, `d = −a·sums/M − mean·b`.
    private static func batchNormGradients(
        _ g: Tensor, input: Tensor, weight: Tensor, bias: Tensor, layout: ChannelLayout,
        means: [Float], inverseDeviation: [Float]
    ) -> [Tensor?] {
        let channels = layout.channels, count = Float(layout.valuesPerChannel)
        let sums = Tensor(uninitializedShape: [channels]), weighted = Tensor(uninitializedShape: [channels])
        let gp = g.dense, x = input.dense
        layout.forChannelRanges { first, last in
            nerva_channel_gradient_sums(
                gp, x, means, layout.n, layout.c, layout.spatial, first, last,
                sums.storage.base, weighted.storage.base)
        }
        var gradX: Tensor?
        if input.requiresGradient {
            let weights = weight.scalars, s = sums.scalars, w = weighted.scalars
            var a = [Float](repeating: 0, count: channels), b = a, d = a
            for c in 0..<channels {
                a[c] = weights[c] * inverseDeviation[c]
                b[c] = -a[c] * w[c] * inverseDeviation[c] * inverseDeviation[c] / count
                d[c] = -a[c] * s[c] / count - means[c] * b[c]
            }
            let dx = Tensor(uninitializedShape: input.shape)
            layout.forChannelRanges { first, last in
                nerva_channel_affine(gp, x, a, b, d, layout.n, layout.c, layout.spatial, first, last, dx.storage.base)
            }
            gradX = dx
        }
        // Σ g·x̂ = weighted / σ.
        let gradWeight = weight.requiresGradient ? weighted * Tensor(inverseDeviation) : nil
        return [gradX, gradWeight, bias.requiresGradient ? sums : nil]
    }

    /// The backward pass in differentiable tensor ops, for `createGraph` (gradients of gradients).
    private static func batchNormGradients(_ g: Tensor, input x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float)
        -> [Tensor?]
    {
        let axes = [0] + Array(2..<x.rank), statisticShape = [x.shape[1]] + [Int](repeating: 1, count: x.rank - 2)
        let centered = x - x.mean(alongAxes: axes, keepingDimensions: true)
        let inverseDeviation = 1 / (centered.squared().mean(alongAxes: axes, keepingDimensions: true) + epsilon).sqrt()
        let normalized = centered * inverseDeviation
        let gradX =
            weight.reshaped(statisticShape) * inverseDeviation
            * (g - g.mean(alongAxes: axes, keepingDimensions: true)
                - normalized * (g * normalized).mean(alongAxes: axes, keepingDimensions: true))
        return [
            x.requiresGradient ? gradX : nil,
            weight.requiresGradient ? (g * normalized).sum(alongAxes: axes) : nil,
            bias.requiresGradient ? g.sum(alongAxes: axes) : nil
        ]
    }
}

/// `[N, C, …]` seen as `[n, c, spatial]`, its channels split across threads.
private struct ChannelLayout {
    let n: Int64, c: Int64, spatial: Int64
    let channels: Int, valuesPerChannel: Int, scalarCount: Int

    init(_ shape: [Int]) {
        let rest = shape.dropFirst(2).reduce(1, *)
        n = Int64(shape[0])
        c = Int64(shape[1])
        spatial = Int64(rest)
        channels = shape[1]
        valuesPerChannel = shape[0] * rest
        scalarCount = shape[0] * shape[1] * rest
    }

    /// Calls `body(first, last)` on shares of the channels, in parallel when the tensor is large.
    func forChannelRanges(_ body: (Int64, Int64) -> Void) {
        let tasks = ThreadBudget.tasks(forWork: scalarCount, maximumParts: channels)
        if tasks <= 1 { return body(0, c) }
        ThreadBudget.forEachPart(count: channels, tasks: tasks) { _, range in
            body(Int64(range.lowerBound), Int64(range.upperBound))
        }
    }
}
