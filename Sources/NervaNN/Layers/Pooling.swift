import NervaTensor

/// The largest value of each `kernelSize × kernelSize` window (PyTorch's `nn.MaxPool2d`):
/// see `Tensor.maxPool2d(kernelSize:stride:padding:)`.
///
/// Input: `[N, C, H, W]`. Output: `[N, C, Ho, Wo]`, `Ho = ⌊(H + 2·padding − kernelSize) / stride⌋ + 1`.
public final class MaxPool2d: Module, Layer {
    /// The side of the square window.
    public let kernelSize: Int
    /// The step between windows (`kernelSize` by default, as in PyTorch).
    public let stride: Int
    /// Border padding (counts as −∞), at most `kernelSize / 2`.
    public let padding: Int

    /// - Parameters:
    ///   - kernelSize: the side of each square window.
    ///   - stride: the step between windows; `kernelSize` when `nil`.
    ///   - padding: border padding, at most `kernelSize / 2`.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        precondition(
            kernelSize > 0 && (stride ?? 1) > 0,
            "MaxPool2d: kernel size and stride must be positive, got \(kernelSize) and \(stride ?? kernelSize).")
        precondition(
            padding >= 0 && padding <= kernelSize / 2,
            "MaxPool2d: padding must be in 0...\(kernelSize / 2) (half the kernel size), got \(padding).")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    /// The window maxima of `input` (`[N, C, H, W]`), `[N, C, Ho, Wo]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.maxPool2d(kernelSize: kernelSize, stride: stride, padding: padding)
    }

    public override var settingsDescription: String {
        "kernelSize: \(kernelSize), stride: \(stride), padding: \(padding)"
    }
}

/// The mean of each `kernelSize × kernelSize` window (PyTorch's `nn.AvgPool2d` with its defaults,
/// `count_include_pad=True`): see `Tensor.avgPool2d(kernelSize:stride:padding:)`.
///
/// Input: `[N, C, H, W]`. Output: `[N, C, Ho, Wo]`, `Ho = ⌊(H + 2·padding − kernelSize) / stride⌋ + 1`.
public final class AvgPool2d: Module, Layer {
    /// The side of the square window.
    public let kernelSize: Int
    /// The step between windows (`kernelSize` by default, as in PyTorch).
    public let stride: Int
    /// Border padding (counts as zeros), at most `kernelSize / 2`.
    public let padding: Int

    /// - Parameters:
    ///   - kernelSize: the side of each square window.
    ///   - stride: the step between windows; `kernelSize` when `nil`.
    ///   - padding: border padding, at most `kernelSize / 2`.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        precondition(
            kernelSize > 0 && (stride ?? 1) > 0,
            "AvgPool2d: kernel size and stride must be positive, got \(kernelSize) and \(stride ?? kernelSize).")
        precondition(
            padding >= 0 && padding <= kernelSize / 2,
            "AvgPool2d: padding must be in 0...\(kernelSize / 2) (half the kernel size), got \(padding).")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    /// The window means of `input` (`[N, C, H, W]`), `[N, C, Ho, Wo]`.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.avgPool2d(kernelSize: kernelSize, stride: stride, padding: padding)
    }

    public override var settingsDescription: String {
        "kernelSize: \(kernelSize), stride: \(stride), padding: \(padding)"
    }
}
