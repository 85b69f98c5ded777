import NervaTensor

/// A 2-D convolution layer over `[N, C, H, W]` images (PyTorch's `nn.Conv2d`, dilation 1,
/// groups 1): `y = conv2d(x, weight) + bias`, see `Tensor.conv2d(weight:bias:stride:padding:)`.
///
/// Weights are `[outputChannels, inputChannels, kernelSize, kernelSize]`, PyTorch's layout,
/// initialised as PyTorch does: `U(−1/√fanIn, 1/√fanIn)` for weight and bias, with
/// `fanIn = inputChannels · kernelSize²`.
///
/// Input: `[N, inputChannels, H, W]`. Output: `[N, outputChannels, Ho, Wo]` with
/// `Ho = ⌊(H + 2·padding − kernelSize) / stride⌋ + 1` (likewise `Wo`).
///
/// ```swift
/// let conv = Conv2d(inputChannels: 1, outputChannels: 6, kernelSize: 5, padding: 2)
/// conv(Tensor.zeros([64, 1, 28, 28])).shape   // [64, 6, 28, 28]
/// ```
public final class Conv2d: Module, Layer {
    /// `[outputChannels, inputChannels, kernelSize, kernelSize]`.
    public let weight: Tensor
    /// `[outputChannels]`, or `nil` without bias.
    public let bias: Tensor?
    /// The step between neighbouring windows, in pixels.
    public let stride: Int
    /// The zeros added on every border.
    public let padding: Int

    /// `C`, the channels of the input.
    public var inputChannels: Int { weight.shape[1] }
    /// `O`, the channels of the output.
    public var outputChannels: Int { weight.shape[0] }
    /// The side of the square kernel.
    public var kernelSize: Int { weight.shape[2] }

    /// - Parameters:
    ///   - inputChannels: the channels of the input.
    ///   - outputChannels: the channels of the output.
    ///   - kernelSize: the side of the square kernel.
    ///   - stride: the step between windows.
    ///   - padding: zeros added on every border.
    ///   - bias: whether to learn an additive bias per output channel.
    ///   - weightInitialization: how to draw the weight (PyTorch's default unless given).
    ///   - generator: the source of the initial weights.
    public init(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = true, weightInitialization: Initialization = .pytorchDefault,
        generator: RandomGenerator = .default
    ) {
        precondition(
            inputChannels > 0 && outputChannels > 0 && kernelSize > 0,
            "Conv2d: channels and kernel size must be positive, got \(inputChannels) → \(outputChannels), kernel \(kernelSize)."
        )
        precondition(
            stride > 0 && padding >= 0,
            "Conv2d: stride must be positive and padding non-negative, got \(stride) and \(padding).")
        let shape = [outputChannels, inputChannels, kernelSize, kernelSize]
        weight = weightInitialization.tensor(shape, generator: generator).requiringGradient()
        let bound = 1 / Float(Initialization.fans(of: shape).fanIn).squareRoot()
        self.bias =
            bias
            ? Tensor.uniform([outputChannels], low: -bound, high: bound, generator: generator).requiringGradient() : nil
        self.stride = stride
        self.padding = padding
    }

    /// The convolution of `input` (`[N, inputChannels, H, W]`), `[N, outputChannels, Ho, Wo]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
    }

    public override var settingsDescription: String {
        "inputChannels: \(inputChannels), outputChannels: \(outputChannels), kernelSize: \(kernelSize), "
            + "stride: \(stride), padding: \(padding), bias: \(bias != nil)"
    }
}
