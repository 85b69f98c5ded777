import NervaNN
import NervaTensor

/// The DCGAN generator (Radford et al. 2016, https://arxiv.org/abs/1511.06434) for 28×28 images:
///
/// ```
/// z [N, d(+classes), 1, 1] → ConvTranspose 7×7 → [N, 2w, 7, 7]   → BatchNorm, ReLU
///                          → ConvTranspose 4×4 stride 2 → [N, w, 14, 14] → BatchNorm, ReLU
///                          → ConvTranspose 4×4 stride 2 → [N, 1, 28, 28] → tanh
/// ```
/// Weights start from `N(0, 0.02²)` and batch-norm scales from `N(1, 0.02²)`, as in the paper.
/// A conditional generator appends `onehot(label)` to `z`.
public final class DCGANGenerator: Module, GANGenerator {
    public let project: ConvTranspose2d
    public let projectNorm: BatchNorm2d
    public let upsample: ConvTranspose2d
    public let upsampleNorm: BatchNorm2d
    public let output: ConvTranspose2d
    public let latentSize: Int
    public let classCount: Int?
    public var sampleShape: [Int] { [1, 28, 28] }

    /// - Parameters:
    ///   - latentSize: `d`, the size of each latent vector.
    ///   - width: `w`, the channels before the last layer (64 by default).
    ///   - classCount: the number of classes of a conditional generator, `nil` otherwise.
    ///   - generator: the source of the initial weights.
    public init(latentSize: Int = 100, width: Int = 64, classCount: Int? = nil, generator: RandomGenerator = .default) {
        precondition(
            latentSize > 0 && width > 0,
            "DCGANGenerator: latent size and width must be positive, got \(latentSize) and \(width).")
        let initialization = Initialization.normal(mean: 0, standardDeviation: 0.02)
        project = ConvTranspose2d(
            inputChannels: latentSize + (classCount ?? 0), outputChannels: 2 * width, kernelSize: 7,
            bias: false, weightInitialization: initialization, generator: generator)
        projectNorm = BatchNorm2d(featureCount: 2 * width)
        upsample = ConvTranspose2d(
            inputChannels: 2 * width, outputChannels: width, kernelSize: 4, stride: 2, padding: 1,
            bias: false, weightInitialization: initialization, generator: generator)
        upsampleNorm = BatchNorm2d(featureCount: width)
        output = ConvTranspose2d(
            inputChannels: width, outputChannels: 1, kernelSize: 4, stride: 2, padding: 1,
            weightInitialization: initialization, generator: generator)
        self.latentSize = latentSize
        self.classCount = classCount
        super.init()
        for norm in [projectNorm, upsampleNorm] {
            norm.weight.assign(Tensor.normal(norm.weight.shape, mean: 1, standardDeviation: 0.02, generator: generator))
        }
    }

    public func generate(_ latent: Tensor, labels: [Int]?) -> Tensor {
        checkInputs(latent, labels)
        let input =
            classCount.map { Tensor.concatenated([latent, oneHot(labels!, classCount: $0)], alongAxis: 1) } ?? latent
        var x = input.reshaped([input.shape[0], input.shape[1], 1, 1])
        x = projectNorm(project(x)).relu()
        x = upsampleNorm(upsample(x)).relu()
        return output(x).tanh()
    }

    public override var settingsDescription: String {
        "latentSize: \(latentSize), width: \(upsample.outputChannels), classCount: \(classCount.map(String.init) ?? "none")"
    }
}

/// The DCGAN discriminator for 28×28 images: strided convolutions with LeakyReLU(0.2), no
/// batch norm (so that gradient penalties stay per-sample), one logit out:
///
/// ```
/// x [N, 1(+classes), 28, 28] → Conv 4×4 stride 2 → [N, w, 14, 14] → LeakyReLU
///                            → Conv 4×4 stride 2 → [N, 2w, 7, 7]  → LeakyReLU
///                            → Conv 7×7          → [N, 1, 1, 1]   → logit
/// ```
/// A conditional discriminator appends one constant plane per class (`onehot(label)` broadcast).
public final class DCGANDiscriminator: Module, GANDiscriminator {
    public let layers: [Conv2d]
    public let classCount: Int?
    public let negativeSlope: Float
    public let spectralNormalization: SpectralNormalization?

    public init(
        width: Int = 64, classCount: Int? = nil, negativeSlope: Float = 0.2, spectralNormalization: Bool = false,
        generator: RandomGenerator = .default
    ) {
        precondition(width > 0, "DCGANDiscriminator: width must be positive, got \(width).")
        let initialization = Initialization.normal(mean: 0, standardDeviation: 0.02)
        layers = [
            Conv2d(
                inputChannels: 1 + (classCount ?? 0), outputChannels: width, kernelSize: 4, stride: 2, padding: 1,
                weightInitialization: initialization, generator: generator),
            Conv2d(
                inputChannels: width, outputChannels: 2 * width, kernelSize: 4, stride: 2, padding: 1,
                weightInitialization: initialization, generator: generator),
            Conv2d(
                inputChannels: 2 * width, outputChannels: 1, kernelSize: 7,
                weightInitialization: initialization, generator: generator)
        ]
        self.classCount = classCount
        self.negativeSlope = negativeSlope
        self.spectralNormalization =
            spectralNormalization
            ? SpectralNormalization(weights: layers.map(\.weight), generator: generator) : nil
    }

    public func logits(_ samples: Tensor, labels: [Int]?) -> Tensor {
        precondition(
            samples.rank == 4 && samples.shape[1] == 1 && samples.shape[2] == 28 && samples.shape[3] == 28,
            "DCGANDiscriminator: expected images [N, 1, 28, 28], got \(samples.shape).")
        let count = samples.shape[0]
        var x = samples
        if let classCount {
            precondition(
                labels?.count == count, "DCGANDiscriminator is conditional: give one label per image (\(count)).")
            let planes = oneHot(labels!, classCount: classCount).reshaped([count, classCount, 1, 1])
                .expanded(to: [count, classCount, 28, 28])
            x = Tensor.concatenated([x, planes], alongAxis: 1)
        }
        for (index, layer) in layers.enumerated() {
            let weight = spectralNormalization?.normalized(index, isTraining: isTraining) ?? layer.weight
            x = x.conv2d(weight: weight, bias: layer.bias, stride: layer.stride, padding: layer.padding)
            if index < layers.count - 1 { x = x.leakyReLU(negativeSlope: negativeSlope) }
        }
        return x.reshaped([count])
    }

    public override var settingsDescription: String {
        "width: \(layers[0].outputChannels), classCount: \(classCount.map(String.init) ?? "none"), spectralNormalization: \(spectralNormalization != nil)"
    }
}
