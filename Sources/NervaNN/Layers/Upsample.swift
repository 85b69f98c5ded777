import NervaTensor

/// Nearest-neighbour upsampling by an integer factor (PyTorch's `nn.Upsample(scale_factor=s,
/// mode="nearest")`): every pixel becomes a `scaleFactor × scaleFactor` block. No parameters.
///
/// Input: `[N, C, H, W]`. Output: `[N, C, H·scaleFactor, W·scaleFactor]`.
public final class Upsample: Module, Layer {
    /// How many times larger the output is along each spatial axis.
    public let scaleFactor: Int

    /// - Parameter scaleFactor: a positive integer.
    public init(scaleFactor: Int) {
        precondition(scaleFactor > 0, "Upsample: scaleFactor must be positive, got \(scaleFactor).")
        self.scaleFactor = scaleFactor
    }

    /// `input` (`[N, C, H, W]`) with every pixel repeated, `[N, C, H·scaleFactor, W·scaleFactor]`.
    public func callAsFunction(_ input: Tensor) -> Tensor { input.upsampledNearest(scale: scaleFactor) }

    public override var settingsDescription: String { "scaleFactor: \(scaleFactor), mode: nearest" }
}
