import NervaNN
import NervaTensor

/// The fully connected generator of Goodfellow et al. (2014), as usually built for 28×28 images:
/// `z → 256 → 512 → 1024 → 784`, LeakyReLU(0.2) between layers, tanh at the end, reshaped to
/// `sampleShape`. A conditional generator reads `[z, onehot(label)]`.
///
/// ```swift
/// let g = MLPGenerator(latentSize: 100)
/// let fakes = g.generate(LatentDistribution.uniform.sample(count: 64, size: 100, generator: rng), labels: nil)
/// fakes.shape   // [64, 1, 28, 28], values in (−1, 1)
/// ```
public final class MLPGenerator: Module, GANGenerator {
    public let layers: [Linear]
    public let latentSize: Int
    public let classCount: Int?
    public let sampleShape: [Int]
    /// The slope of LeakyReLU for negative inputs.
    public let negativeSlope: Float

    /// - Parameters:
    ///   - latentSize: `d`, the size of each latent vector.
    ///   - hiddenSizes: the widths of the hidden layers.
    ///   - sampleShape: the shape of one output sample (`[1, 28, 28]`, or `[2]` for points).
    ///   - classCount: the number of classes of a conditional generator, `nil` otherwise.
    ///   - negativeSlope: the slope of LeakyReLU for negative inputs.
    ///   - generator: the source of the initial weights.
    public init(
        latentSize: Int = 100, hiddenSizes: [Int] = [256, 512, 1024], sampleShape: [Int] = [1, 28, 28],
        classCount: Int? = nil, negativeSlope: Float = 0.2, generator: RandomGenerator = .default
    ) {
        precondition(
            latentSize > 0 && !hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 > 0 },
            "MLPGenerator: latent size and hidden widths must be positive, got \(latentSize) and \(hiddenSizes).")
        let sizes = [latentSize + (classCount ?? 0)] + hiddenSizes + [sampleShape.reduce(1, *)]
        layers = zip(sizes, sizes.dropFirst()).map { Linear(inputSize: $0, outputSize: $1, generator: generator) }
        self.latentSize = latentSize
        self.classCount = classCount
        self.sampleShape = sampleShape
        self.negativeSlope = negativeSlope
    }

    public func generate(_ latent: Tensor, labels: [Int]?) -> Tensor {
        checkInputs(latent, labels)
        var x =
            classCount.map { Tensor.concatenated([latent, oneHot(labels!, classCount: $0)], alongAxis: 1) } ?? latent
        for (index, layer) in layers.enumerated() {
            x = layer(x)
            x = index == layers.count - 1 ? x.tanh() : x.leakyReLU(negativeSlope: negativeSlope)
        }
        return x.reshaped([latent.shape[0]] + sampleShape)
    }

    public override var settingsDescription: String {
        "latentSize: \(latentSize), sizes: \(layers.map(\.outputSize)), classCount: \(classCount.map(String.init) ?? "none")"
    }
}

/// The fully connected discriminator: `784 → 512 → 256 → 1`, LeakyReLU(0.2) between layers,
/// one logit out (`D(x) = σ(logit)`). A conditional discriminator reads `[x, onehot(label)]`.
public final class MLPDiscriminator: Module, GANDiscriminator {
    public let layers: [Linear]
    public let classCount: Int?
    public let negativeSlope: Float
    public let spectralNormalization: SpectralNormalization?

    /// - Parameters:
    ///   - sampleShape: the shape of one input sample.
    ///   - hiddenSizes: the widths of the hidden layers.
    ///   - classCount: the number of classes of a conditional discriminator, `nil` otherwise.
    ///   - negativeSlope: the slope of LeakyReLU for negative inputs.
    ///   - spectralNormalization: divide each weight by its largest singular value.
    ///   - generator: the source of the initial weights.
    public init(
        sampleShape: [Int] = [1, 28, 28], hiddenSizes: [Int] = [512, 256], classCount: Int? = nil,
        negativeSlope: Float = 0.2, spectralNormalization: Bool = false, generator: RandomGenerator = .default
    ) {
        precondition(
            !hiddenSizes.isEmpty && hiddenSizes.allSatisfy { $0 > 0 },
            "MLPDiscriminator: hidden widths must be positive, got \(hiddenSizes).")
        let sizes = [sampleShape.reduce(1, *) + (classCount ?? 0)] + hiddenSizes + [1]
        layers = zip(sizes, sizes.dropFirst()).map { Linear(inputSize: $0, outputSize: $1, generator: generator) }
        self.classCount = classCount
        self.negativeSlope = negativeSlope
        self.spectralNormalization =
            spectralNormalization
            ? SpectralNormalization(weights: layers.map(\.weight), generator: generator) : nil
    }

    public func logits(_ samples: Tensor, labels: [Int]?) -> Tensor {
        let count = samples.shape[0]
        var x = samples.reshaped([count, -1])
        if let classCount {
            precondition(
                labels?.count == count, "MLPDiscriminator is conditional: give one label per sample (\(count)).")
            x = Tensor.concatenated([x, oneHot(labels!, classCount: classCount)], alongAxis: 1)
        }
        for (index, layer) in layers.enumerated() {
            let weight = spectralNormalization?.normalized(index, isTraining: isTraining) ?? layer.weight
            x = x.linear(weight: weight, bias: layer.bias)
            if index < layers.count - 1 { x = x.leakyReLU(negativeSlope: negativeSlope) }
        }
        return x.reshaped([count])
    }

    public override var settingsDescription: String {
        "sizes: \(layers.map(\.outputSize)), classCount: \(classCount.map(String.init) ?? "none"), spectralNormalization: \(spectralNormalization != nil)"
    }
}
