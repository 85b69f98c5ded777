/// Convolutions over `[N, C, H, W]` images (NCHW, PyTorch's layout and semantics; dilation 1,
/// groups 1), on im2col + GEMM.
///
/// The three ops are each other's derivatives, so every gradient is itself differentiable
/// (gradient penalties, double backward):
///
/// | op | ∂/∂input | ∂/∂weight |
/// |---|---|---|
/// | `conv2d(x, W)` | `convTranspose2d(g, W)` | `conv2dWeightGradient(x, g)` |
/// | `convTranspose2d(x, W)` | `conv2d(g, W)` | `conv2dWeightGradient(g, x)` |
/// | `conv2dWeightGradient(x, g)` | `convTranspose2d(g, G)` (w.r.t. `x`) | `conv2d(x, G)` (w.r.t. `g`) |
///
/// and a bias's gradient is `g` summed over `[0, 2, 3]`.
extension Tensor {
    /// The 2-D convolution (a cross-correlation, as PyTorch's `conv2d`):
    /// `y[n, o, i, j] = bias[o] + Σ_{c, u, v} weight[o, c, u, v] · x[n, c, i·stride − padding + u, j·stride − padding + v]`,
    /// reading zeros in the padding.
    ///
    /// Input: `[N, C, H, W]`. Weight: `[O, C, kh, kw]`. Bias: `[O]`.
    /// Output: `[N, O, Ho, Wo]` with `Ho = ⌊(H + 2·padding − kh) / stride⌋ + 1` (likewise `Wo`).
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(rank == 4, "conv2d: expected an input [N, C, H, W], got shape \(shape).")
        precondition(
            weight.rank == 4 && weight.shape[1] == shape[1],
            "conv2d: weight of shape \(weight.shape) does not match input of shape \(shape) (expected [O, \(shape[1]), kh, kw])."
        )
        let geometry = ConvGeometry(
            batch: shape[0], inputChannels: shape[1], height: shape[2], width: shape[3],
            outputChannels: weight.shape[0], kernelHeight: weight.shape[2],
            kernelWidth: weight.shape[3], stride: stride, padding: padding, "conv2d")
        if let bias {
            precondition(
                bias.shape == [weight.shape[0]],
                "conv2d: bias of shape \(bias.shape) does not match weight of shape \(weight.shape) (expected [\(weight.shape[0])])."
            )
        }
        let out = Tensor(uninitializedShape: geometry.outputShape)
        Convolution.forward(dense, weight.dense, bias?.dense, out.storage.base, geometry)
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        guard Tensor.recordsGradient(inputs) else { return out }
        let x = self
        return out.record("conv2d", inputs) { g in
            let gradX =
                x.requiresGradient
                ? g.transposedConvolution(
                    weight: weight, bias: nil, stride: stride, padding: padding,
                    outputPadding: geometry.uncoveredExtent) : nil
            let gradW =
                weight.requiresGradient
                ? Tensor.conv2dWeightGradient(
                    input: x, outputGradient: g, kernelSize: (geometry.kernelHeight, geometry.kernelWidth),
                    stride: stride, padding: padding) : nil
            guard let bias else { return [gradX, gradW] }
            return [gradX, gradW, bias.requiresGradient ? g.sum(alongAxes: [0, 2, 3]) : nil]
        }
    }

    /// The transposed convolution (PyTorch's `conv_transpose2d`), the adjoint of `conv2d` with
    /// respect to its input: every input pixel scatters `x[n, c] · weight[c, o]` onto a
    /// `kh × kw` window of the output, windows `stride` apart, then `padding` rows and columns
    /// are cropped from each border.
    ///
    /// Input: `[N, Cin, H, W]`. Weight: `[Cin, Cout, kh, kw]` (PyTorch's layout). Bias: `[Cout]`.
    /// Output: `[N, Cout, Ho, Wo]` with `Ho = (H − 1)·stride − 2·padding + kh + outputPadding`.
    ///
    /// - Parameters:
    ///   - weight: `[Cin, Cout, kh, kw]`.
    ///   - bias: `[Cout]`, added to every output pixel; `nil` for none.
    ///   - stride: the step between the windows input pixels scatter onto.
    ///   - padding: rows and columns cropped from each border of the output.
    ///   - outputPadding: extra rows and columns at the bottom and right, in
    ///     `0..<stride`: it picks which of the input sizes that `conv2d` maps to `H` to produce.
    public func convTranspose2d(
        weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
        outputPadding: Int = 0
    ) -> Tensor {
        precondition(
            outputPadding >= 0 && outputPadding < Swift.max(stride, 1),
            "convTranspose2d: outputPadding must be in 0..<stride (\(stride)), got \(outputPadding).")
        return transposedConvolution(
            weight: weight, bias: bias, stride: stride, padding: padding,
            outputPadding: (outputPadding, outputPadding))
    }

    /// `convTranspose2d` with separate output paddings for height and width.
    func transposedConvolution(
        weight: Tensor, bias: Tensor?, stride: Int, padding: Int,
        outputPadding: (height: Int, width: Int)
    ) -> Tensor {
        precondition(rank == 4, "convTranspose2d: expected an input [N, C, H, W], got shape \(shape).")
        precondition(
            weight.rank == 4 && weight.shape[0] == shape[1],
            "convTranspose2d: weight of shape \(weight.shape) does not match input of shape \(shape) (expected [\(shape[1]), Cout, kh, kw])."
        )
        precondition(
            stride > 0 && padding >= 0,
            "convTranspose2d: stride \(stride) must be positive and padding \(padding) non-negative.")
        let height = (shape[2] - 1) * stride - 2 * padding + weight.shape[2] + outputPadding.height
        let width = (shape[3] - 1) * stride - 2 * padding + weight.shape[3] + outputPadding.width
        precondition(
            height > 0 && width > 0,
            "convTranspose2d: input of shape \(shape) with weight \(weight.shape), stride \(stride) and padding \(padding) gives an empty \(height)×\(width) output."
        )
        let geometry = ConvGeometry(
            batch: shape[0], inputChannels: weight.shape[1], height: height, width: width,
            outputChannels: shape[1], kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
            stride: stride, padding: padding, "convTranspose2d")
        if let bias {
            precondition(
                bias.shape == [weight.shape[1]],
                "convTranspose2d: bias of shape \(bias.shape) does not match weight of shape \(weight.shape) (expected [\(weight.shape[1])])."
            )
        }
        let out = Tensor(uninitializedShape: geometry.inputShape)
        Convolution.backwardData(dense, weight.dense, bias?.dense, out.storage.base, geometry)
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        guard Tensor.recordsGradient(inputs) else { return out }
        let x = self
        return out.record("convTranspose2d", inputs) { g in
            let gradX = x.requiresGradient ? g.conv2d(weight: weight, stride: stride, padding: padding) : nil
            let gradW =
                weight.requiresGradient
                ? Tensor.conv2dWeightGradient(
                    input: g, outputGradient: x, kernelSize: (geometry.kernelHeight, geometry.kernelWidth),
                    stride: stride, padding: padding) : nil
            guard let bias else { return [gradX, gradW] }
            return [gradX, gradW, bias.requiresGradient ? g.sum(alongAxes: [0, 2, 3]) : nil]
        }
    }

    /// The gradient of `Σ outputGradient ⊙ input.conv2d(weight:, stride:, padding:)` with
    /// respect to the weight:
    /// `dW[o, c, u, v] = Σ_{n, i, j} g[n, o, i, j] · x[n, c, i·stride − padding + u, j·stride − padding + v]`.
    /// It is bilinear in `input` and `outputGradient`, and differentiable in both.
    ///
    /// Input: `[N, C, H, W]`. Output gradient: `[N, O, Ho, Wo]`, the shape of the convolution's
    /// output. Result: `[O, C, kh, kw]`.
    public static func conv2dWeightGradient(
        input: Tensor, outputGradient: Tensor, kernelSize: (height: Int, width: Int),
        stride: Int = 1, padding: Int = 0
    ) -> Tensor {
        let x = input, g = outputGradient
        precondition(
            x.rank == 4 && g.rank == 4 && x.shape[0] == g.shape[0],
            "conv2dWeightGradient: expected input [N, C, H, W] and output gradient [N, O, Ho, Wo], got \(x.shape) and \(g.shape)."
        )
        let geometry = ConvGeometry(
            batch: x.shape[0], inputChannels: x.shape[1], height: x.shape[2], width: x.shape[3],
            outputChannels: g.shape[1], kernelHeight: kernelSize.height, kernelWidth: kernelSize.width,
            stride: stride, padding: padding, "conv2dWeightGradient")
        precondition(
            g.shape == geometry.outputShape,
            "conv2dWeightGradient: output gradient of shape \(g.shape) does not match input \(x.shape) with a \(kernelSize.height)×\(kernelSize.width) kernel, stride \(stride) and padding \(padding) (expected \(geometry.outputShape))."
        )
        let out = Tensor(uninitializedShape: geometry.weightShape)
        Convolution.backwardWeight(x.dense, g.dense, out.storage.base, geometry)
        guard Tensor.recordsGradient(x, g) else { return out }
        return out.record("conv2dWeightGradient", [x, g]) { gw in
            [
                x.requiresGradient
                    ? g.transposedConvolution(
                        weight: gw, bias: nil, stride: stride, padding: padding,
                        outputPadding: geometry.uncoveredExtent) : nil,
                g.requiresGradient ? x.conv2d(weight: gw, stride: stride, padding: padding) : nil
            ]
        }
    }
}
