import Foundation
import NervaNN
import NervaTensor

/// One layer of a `ModelDescription`, with its settings; encoded as a JSON object with a
/// `"type"` key (`{"type": "linear", "inputSize": 784, "outputSize": 200}`).
public enum LayerDescription: Sendable, Equatable {
    case linear(inputSize: Int, outputSize: Int, bias: Bool = true)
    case conv2d(
        inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true)
    case maxPool2d(kernelSize: Int, stride: Int? = nil, padding: Int = 0)
    case avgPool2d(kernelSize: Int, stride: Int? = nil, padding: Int = 0)
    case batchNorm1d(featureCount: Int)
    case batchNorm2d(featureCount: Int)
    case dropout(probability: Float)
    case relu, sigmoid, tanh, flatten
    case leakyReLU(negativeSlope: Float = 0.01)

    /// The `"type"` of the JSON form.
    public var typeName: String {
        switch self {
        case .linear: "linear"
        case .conv2d: "conv2d"
        case .maxPool2d: "maxPool2d"
        case .avgPool2d: "avgPool2d"
        case .batchNorm1d: "batchNorm1d"
        case .batchNorm2d: "batchNorm2d"
        case .dropout: "dropout"
        case .relu: "relu"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .flatten: "flatten"
        case .leakyReLU: "leakyReLU"
        }
    }

    /// Every type a description may use.
    public static let knownTypes = [
        "linear", "conv2d", "maxPool2d", "avgPool2d", "batchNorm1d", "batchNorm2d",
        "dropout", "relu", "sigmoid", "tanh", "flatten", "leakyReLU"
    ]
}

/// A problem with a model description: unknown layer types, missing or invalid settings, or
/// layers whose shapes do not chain. Every case names the layer by its index.
public enum ModelDescriptionError: Error, CustomStringConvertible, Equatable {
    case unknownLayer(index: Int, type: String)
    case invalidSetting(index: Int, type: String, problem: String)
    case shapeMismatch(index: Int, type: String, inputShape: [Int], problem: String)
    case invalidJSON(problem: String)

    public var description: String {
        switch self {
        case let .unknownLayer(index, type):
            "model description: layer \(index) has unknown type \"\(type)\" (known: \(LayerDescription.knownTypes.joined(separator: ", ")))"
        case let .invalidSetting(index, type, problem): "model description: layer \(index) (\(type)): \(problem)"
        case let .shapeMismatch(index, type, shape, problem):
            "model description: layer \(index) (\(type)) receives shape \(shape) per example: \(problem)"
        case let .invalidJSON(problem): "model description: \(problem)"
        }
    }
}

/// A serialisable description of a feed-forward network: the shape of one input example and
/// the layers applied in order. The server sends it with the weights, so a participant needs no
/// prior knowledge of the model; `makeModel(generator:)` rebuilds it as a `Sequential` whose
/// state-dictionary names (`0.weight`, `3.bias`, …) match PyTorch's `nn.Sequential`.
///
/// ```swift
/// let description = ModelDescription.mlp(inputShape: [1, 28, 28], hiddenSizes: [200, 200], classCount: 10)
/// let json = try description.jsonData()             // {"inputShape":[1,28,28],"layers":[{"type":"flatten"},…]}
/// let model = try ModelDescription(json: json).makeModel(generator: rng)
/// ```
public struct ModelDescription: Sendable, Equatable {
    /// The shape of one example, without the batch axis (`[1, 28, 28]`).
    public var inputShape: [Int]
    /// The layers, applied in order.
    public var layers: [LayerDescription]

    public init(inputShape: [Int], layers: [LayerDescription]) {
        self.inputShape = inputShape
        self.layers = layers
    }

    /// Checks every layer's settings and that the shapes chain; returns the output shape of
    /// one example.
    ///
    /// - Throws: `ModelDescriptionError` naming the first bad layer.
    @discardableResult
    public func validated() throws -> [Int] {
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ModelDescriptionError.invalidJSON(
                problem: "inputShape must be non-empty and positive, got \(inputShape)")
        }
        // Sizes come from the network: nothing may need more values than memory holds (which
        // also keeps every product below `Int.max`).
        let budget = SizeLimits.memoryBudget()
        guard let inputCount = checkedProduct(inputShape), inputCount <= budget else {
            throw ModelDescriptionError.invalidJSON(
                problem: "inputShape \(inputShape) has more elements than the memory budget of \(budget) values")
        }
        var shape = inputShape, weights = 0
        for (index, layer) in layers.enumerated() {
            shape = try layer.outputShape(for: shape, index: index)
            guard let count = checkedProduct(shape), count <= budget else {
                throw ModelDescriptionError.shapeMismatch(
                    index: index, type: layer.typeName, inputShape: shape,
                    problem: "the output exceeds the memory budget of \(budget) values")
            }
            guard let layerWeights = layer.weightCount, layerWeights <= budget - weights else {
                throw ModelDescriptionError.invalidSetting(
                    index: index, type: layer.typeName,
                    problem: "the weights so far exceed the memory budget of \(budget) values")
            }
            weights += layerWeights
        }
        return shape
    }

    /// Builds the network, freshly initialised from `generator`.
    ///
    /// - Throws: `ModelDescriptionError` when the description is invalid (see `validated()`).
    public func makeModel(generator: RandomGenerator) throws -> Sequential {
        try validated()
        return Sequential(layers.map { $0.makeLayer(generator: generator) })
    }

    /// The multilayer perceptron of McMahan et al. (2017): flatten, then `hiddenSizes` fully
    /// connected layers with ReLU, then the class logits (784→200→200→10 is their "2NN").
    public static func mlp(inputShape: [Int] = [1, 28, 28], hiddenSizes: [Int] = [200, 200], classCount: Int = 10)
        -> ModelDescription
    {
        var layers: [LayerDescription] = [.flatten]
        var width = inputShape.reduce(1, *)
        for size in hiddenSizes {
            layers += [.linear(inputSize: width, outputSize: size), .relu]
            width = size
        }
        layers.append(.linear(inputSize: width, outputSize: classCount))
        return ModelDescription(inputShape: inputShape, layers: layers)
    }

    /// The LeNet-style CNN of NIID-Bench for 28×28 grey images: conv 5×5 1→6, ReLU, max-pool 2,
    /// conv 5×5 6→16, ReLU, max-pool 2, 256→120→84→classCount (the same as `LeNet` without padding).
    public static func lenet(classCount: Int = 10) -> ModelDescription {
        ModelDescription(
            inputShape: [1, 28, 28],
            layers: [
                .conv2d(inputChannels: 1, outputChannels: 6, kernelSize: 5), .relu, .maxPool2d(kernelSize: 2),
                .conv2d(inputChannels: 6, outputChannels: 16, kernelSize: 5), .relu, .maxPool2d(kernelSize: 2),
                .flatten,
                .linear(inputSize: 256, outputSize: 120), .relu,
                .linear(inputSize: 120, outputSize: 84), .relu,
                .linear(inputSize: 84, outputSize: classCount)
            ])
    }
}

extension LayerDescription {
    /// The shape of one example after this layer, or an error naming the problem.
    func outputShape(for shape: [Int], index: Int) throws -> [Int] {
        func invalid(_ problem: String) -> ModelDescriptionError {
            .invalidSetting(index: index, type: typeName, problem: problem)
        }
        func mismatch(_ problem: String) -> ModelDescriptionError {
            .shapeMismatch(index: index, type: typeName, inputShape: shape, problem: problem)
        }
        // (size + 2·padding − kernel) / stride + 1, or 0 (no room) when the padding overflows.
        func pooled(_ size: Int, _ kernel: Int, _ stride: Int, _ padding: Int) -> Int {
            guard let padded = checkedSum([size, padding, padding]) else { return 0 }
            return (padded - kernel) / stride + 1
        }
        switch self {
        case let .linear(inputSize, outputSize, _):
            guard inputSize > 0, outputSize > 0 else {
                throw invalid("sizes must be positive, got \(inputSize) → \(outputSize)")
            }
            guard shape.last == inputSize else { throw mismatch("expects \(inputSize) features on the last axis") }
            return shape.dropLast() + [outputSize]
        case let .conv2d(inputChannels, outputChannels, kernelSize, stride, padding, _):
            guard inputChannels > 0, outputChannels > 0, kernelSize > 0, stride > 0, padding >= 0 else {
                throw invalid("channels, kernel size and stride must be positive and padding non-negative")
            }
            guard shape.count == 3, shape[0] == inputChannels else {
                throw mismatch("expects [\(inputChannels), H, W]")
            }
            let h = pooled(shape[1], kernelSize, stride, padding), w = pooled(shape[2], kernelSize, stride, padding)
            guard h > 0, w > 0 else { throw mismatch("the \(kernelSize)×\(kernelSize) kernel does not fit") }
            return [outputChannels, h, w]
        case let .maxPool2d(kernelSize, stride, padding), let .avgPool2d(kernelSize, stride, padding):
            let stride = stride ?? kernelSize
            guard kernelSize > 0, stride > 0, padding >= 0, padding <= kernelSize / 2 else {
                throw invalid("kernel size and stride must be positive and padding in 0...\(kernelSize / 2)")
            }
            guard shape.count == 3 else { throw mismatch("expects [C, H, W]") }
            let h = pooled(shape[1], kernelSize, stride, padding), w = pooled(shape[2], kernelSize, stride, padding)
            guard h > 0, w > 0 else { throw mismatch("the \(kernelSize)×\(kernelSize) window does not fit") }
            return [shape[0], h, w]
        case let .batchNorm1d(featureCount):
            guard featureCount > 0 else { throw invalid("featureCount must be positive") }
            guard shape.count == 1, shape[0] == featureCount else { throw mismatch("expects [\(featureCount)]") }
            return shape
        case let .batchNorm2d(featureCount):
            guard featureCount > 0 else { throw invalid("featureCount must be positive") }
            guard shape.count == 3, shape[0] == featureCount else { throw mismatch("expects [\(featureCount), H, W]") }
            return shape
        case let .dropout(probability):
            guard probability >= 0, probability < 1 else {
                throw invalid("probability must be in [0, 1), got \(probability)")
            }
            return shape
        case .relu, .sigmoid, .tanh, .leakyReLU: return shape
        case .flatten: return [shape.reduce(1, *)]
        }
    }

    /// The values of the layer's state (weights, biases, statistics); `nil` on overflow.
    var weightCount: Int? {
        switch self {
        case let .linear(inputSize, outputSize, bias):
            checkedProduct([inputSize, outputSize]).flatMap { checkedSum([$0, bias ? outputSize : 0]) }
        case let .conv2d(inputChannels, outputChannels, kernelSize, _, _, bias):
            checkedProduct([inputChannels, outputChannels, kernelSize, kernelSize]).flatMap {
                checkedSum([$0, bias ? outputChannels : 0])
            }
        case let .batchNorm1d(featureCount), let .batchNorm2d(featureCount): checkedProduct([featureCount, 4])
        case .maxPool2d, .avgPool2d, .dropout, .relu, .sigmoid, .tanh, .flatten, .leakyReLU: 0
        }
    }

    /// The layer itself (settings already validated).
    func makeLayer(generator: RandomGenerator) -> any Layer {
        switch self {
        case let .linear(inputSize, outputSize, bias):
            Linear(inputSize: inputSize, outputSize: outputSize, bias: bias, generator: generator)
        case let .conv2d(inputChannels, outputChannels, kernelSize, stride, padding, bias):
            Conv2d(
                inputChannels: inputChannels, outputChannels: outputChannels, kernelSize: kernelSize,
                stride: stride, padding: padding, bias: bias, generator: generator)
        case let .maxPool2d(kernelSize, stride, padding):
            MaxPool2d(kernelSize: kernelSize, stride: stride, padding: padding)
        case let .avgPool2d(kernelSize, stride, padding):
            AvgPool2d(kernelSize: kernelSize, stride: stride, padding: padding)
        case let .batchNorm1d(featureCount): BatchNorm1d(featureCount: featureCount)
        case let .batchNorm2d(featureCount): BatchNorm2d(featureCount: featureCount)
        case let .dropout(probability): Dropout(probability: probability, generator: generator.split())
        case .relu: ReLU()
        case .sigmoid: Sigmoid()
        case .tanh: Tanh()
        case .flatten: Flatten()
        case let .leakyReLU(negativeSlope): LeakyReLU(negativeSlope: negativeSlope)
        }
    }
}

/// The product of non-negative `factors`, `nil` when it overflows `Int`.
func checkedProduct(_ factors: [Int]) -> Int? {
    var product = 1
    for factor in factors {
        let (next, overflow) = product.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        product = next
    }
    return product
}

/// The sum of `terms`, `nil` when it overflows `Int`.
func checkedSum(_ terms: [Int]) -> Int? {
    var sum = 0
    for term in terms {
        let (next, overflow) = sum.addingReportingOverflow(term)
        if overflow { return nil }
        sum = next
    }
    return sum
}
