import NervaTensor

/// An image classifier whose penultimate activations serve as features (for FID and similar
/// measures computed on a trained classifier).
public protocol FeatureClassifier: Layer {
    /// The number of classes.
    var classCount: Int { get }
    /// The activations before the final layer: `[N, featureSize]`.
    func features(_ images: Tensor) -> Tensor
    /// The final layer applied to `features(_:)`: class logits `[N, classCount]`.
    func logits(fromFeatures features: Tensor) -> Tensor
}

extension FeatureClassifier {
    /// Class logits `[N, classCount]` for images `[N, C, H, W]`.
    public func callAsFunction(_ images: Tensor) -> Tensor { logits(fromFeatures: features(images)) }
}

/// A multilayer perceptron on flattened images: `inputSize → hidden… → classCount`, ReLU between,
/// with optional dropout.
public final class MLPClassifier: Module, FeatureClassifier {
    public let hidden: Sequential
    public let output: Linear

    public var classCount: Int { output.outputSize }

    /// - Parameters:
    ///   - inputSize: pixels per image (784 for 28×28).
    ///   - hiddenSizes: the widths of the hidden layers.
    ///   - classCount: the number of classes (logits per image).
    ///   - dropout: the dropout probability after each hidden layer.
    ///   - generator: the source of the initial weights.
    public init(
        inputSize: Int = 784, hiddenSizes: [Int] = [256, 128], classCount: Int = 10,
        dropout: Float = 0.2, generator: RandomGenerator = .default
    ) {
        precondition(!hiddenSizes.isEmpty, "MLPClassifier: needs at least one hidden layer.")
        var layers: [any Layer] = [Flatten()]
        var width = inputSize
        for size in hiddenSizes {
            layers += [Linear(inputSize: width, outputSize: size, generator: generator), ReLU()]
            if dropout > 0 { layers.append(Dropout(probability: dropout, generator: generator)) }
            width = size
        }
        hidden = Sequential(layers)
        output = Linear(inputSize: width, outputSize: classCount, generator: generator)
    }

    public func features(_ images: Tensor) -> Tensor { hidden(images) }
    public func logits(fromFeatures features: Tensor) -> Tensor { output(features) }
}
