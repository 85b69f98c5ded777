import NervaTensor

/// A 2-D transposed convolution layer (PyTorch's `nn.ConvTranspose2d`, dilation 1, groups 1),
/// the usual upsampling layer of generators and decoders: see
/// `Tensor.convTranspose2d(weight:bias:stride:padding:outputPadding:)`.
///
/// Weights are `[inputChannels, outputChannels, kernelSize, kernelSize]`, PyTorch's layout for
/// transposed convolutions, initialised as PyTorch does: `U(−1/√fanIn, 1/√fanIn)` for weight and
/// bias with PyTorch's fan convention for this layout, `fanIn = outputChannels · kernelSize²`.
///
/// Input: `[N, inputChannels, H, W]`. Output: `[N, outputChannels, Ho, Wo]` with
/// `Ho = (H − 1)·stride − 2·padding + kernelSize + outputPadding` (likewise `Wo`).
///
/// ```swift
/// let up = ConvTranspose2d(inputChannels: 64, outputChannels: 32, kernelSize: 4, stride: 2, padding: 1)
/// up(Tensor.zeros([8, 64, 7, 7])).shape   // [8, 32, 14, 14]
/// ```
public final class ConvTranspose2d: Module, Layer {
    /// `[inputChannels, outputChannels, kernelSize, kernelSize]`.
    public let weight: Tensor
    /// `[outputChannels]`, or `nil` without bias.
    public let bias: Tensor?
    /// The step between the windows that neighbouring input pixels write to.
    public let stride: Int
    /// The rows and columns cropped from every border of the full output.
    public let padding: Int
    /// Extra rows and columns at the bottom and right, in `0..<stride`.
    public let outputPadding: Int

    /// `Cin`, the channels of the input.
    public var inputChannels: Int { weight.shape[0] }
    /// `Cout`, the channels of the output.
    public var outputChannels: Int { weight.shape[1] }
    /// The side of the square kernel.
    public var kernelSize: Int { weight.shape[2] }

    /// - Parameters:
    ///   - inputChannels: the channels of the input.
    ///   - outputChannels: the channels of the output.
    ///   - kernelSize: the side of the square kernel.
    ///   - stride: the upsampling factor.
    ///   - padding: rows and columns cropped from every border.
    ///   - outputPadding: extra rows and columns at the bottom and right, less than `stride`.
    ///   - bias: whether to learn an additive bias per output channel.
    ///   - weightInitialization: how to draw the weight (PyTorch's default unless given).
    ///   - generator: the source of the initial weights.
    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        outputPadding: Int = 0, bias: Bool = true, weightInitialization: Initialization = .pytorchDefault,
        generator: RandomGenerator = .default
    ) {
        precondition(
            inputChannels > 0 && outputChannels > 0 && kernelSize > 0,
            "ConvTranspose2d: channels and kernel size must be positive, got \(inputChannels) → \(outputChannels), kernel \(kernelSize)."
        )
        precondition(
            stride > 0 && padding >= 0,
            "ConvTranspose2d: stride must be positive and padding non-negative, got \(stride) and \(padding).")
        precondition(
            outputPadding >= 0 && outputPadding < stride,
            "ConvTranspose2d: outputPadding must be in 0..<stride (\(stride)), got \(outputPadding).")
        let shape = [inputChannels, outputChannels, kernelSize, kernelSize]
        weight = weightInitialization.tensor(shape, generator: generator).requiringGradient()
        let bound = 1 / Float(Initialization.fans(of: shape).fanIn).squareRoot()
        self.bias =
            bias
            ? Tensor.uniform([outputChannels], low: -bound, high: bound, generator: generator).requiringGradient() : nil
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    /// The transposed convolution of `input` (`[N, inputChannels, H, W]`), `[N, outputChannels, Ho, Wo]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.convTranspose2d(
            weight: weight, bias: bias, stride: stride, padding: padding, outputPadding: outputPadding)
    }

    public override var settingsDescription: String {
        "inputChannels: \(inputChannels), outputChannels: \(outputChannels), kernelSize: \(kernelSize), "
            + "stride: \(stride), padding: \(padding), outputPadding: \(outputPadding), bias: \(bias != nil)"
    }
}
