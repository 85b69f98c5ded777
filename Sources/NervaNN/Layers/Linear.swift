import NervaTensor

/// A fully connected layer: `y = x · weightᵀ + bias`.
///
/// Weights are `[outputSize, inputSize]`, PyTorch's layout, initialised as PyTorch does
/// (`U(−1/√inputSize, 1/√inputSize)` for weight and bias). Input `[..., inputSize]`, output
/// `[..., outputSize]`.
public final class Linear: Module, Layer {
    /// `[outputSize, inputSize]`.
    public let weight: Tensor
    /// `[outputSize]`, or `nil` without bias.
    public let bias: Tensor?

    public var inputSize: Int { weight.shape[1] }
    public var outputSize: Int { weight.shape[0] }

    /// - Parameters:
    ///   - inputSize: the features of each input row.
    ///   - outputSize: the features of each output row.
    ///   - bias: whether to learn an additive bias.
    ///   - weightInitialization: how to draw the weight (PyTorch's default unless given).
    ///   - generator: the source of the initial weights.
    public init(
        inputSize: Int, outputSize: Int, bias: Bool = true,
        weightInitialization: Initialization = .pytorchDefault, generator: RandomGenerator = .default
    ) {
        precondition(
            inputSize > 0 && outputSize > 0, "Linear: sizes must be positive, got \(inputSize) → \(outputSize).")
        weight = weightInitialization.tensor([outputSize, inputSize], generator: generator).requiringGradient()
        let bound = 1 / Float(inputSize).squareRoot()
        self.bias =
            bias
            ? Tensor.uniform([outputSize], low: -bound, high: bound, generator: generator).requiringGradient() : nil
    }

    public func callAsFunction(_ input: Tensor) -> Tensor { input.linear(weight: weight, bias: bias) }

    public override var settingsDescription: String {
        "inputSize: \(inputSize), outputSize: \(outputSize), bias: \(bias != nil)"
    }
}
