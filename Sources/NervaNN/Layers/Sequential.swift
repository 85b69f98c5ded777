import NervaTensor

/// Layers applied one after another; children are named `0`, `1`, … as in PyTorch, so a
/// checkpoint's keys read `0.weight`, `2.bias`.
///
/// ```swift
/// let mlp = Sequential(Linear(inputSize: 784, outputSize: 256), ReLU(), Linear(inputSize: 256, outputSize: 10))
/// let logits = mlp(images)   // [batch, 10]
/// ```
public final class Sequential: Module, Layer {
    public let layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }
    public convenience init(_ layers: any Layer...) { self.init(layers) }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        layers.reduce(input) { $1($0) }
    }

    public override func namedChildren() -> [(name: String, module: Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }
}
