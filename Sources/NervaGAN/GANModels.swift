import NervaNN
import NervaTensor

/// A generator `G`: latent vectors `z` `[N, latentSize]` (and, when conditional, class labels)
/// to samples `x̃ = G(z)` in `[−1, 1]` (tanh output), `[N] + sampleShape`.
public protocol GANGenerator: Module {
    /// `d`, the size of each latent vector.
    var latentSize: Int { get }
    /// The number of classes of a conditional generator (cGAN), `nil` for an unconditional one.
    var classCount: Int? { get }
    /// The shape of one sample, such as `[1, 28, 28]`.
    var sampleShape: [Int] { get }
    /// Samples `[N] + sampleShape` for `latent` `[N, latentSize]`; `labels` (N of them) are
    /// required by conditional generators and ignored by the others.
    func generate(_ latent: Tensor, labels: [Int]?) -> Tensor
}

/// A discriminator `D`: samples (and, when conditional, their labels) to one logit each, `[N]`;
/// `σ(logit) = D(x)` is the probability that `x` is real.
///
/// Discriminators output logits rather than probabilities so that the losses stay finite for
/// any confidence (`log σ(ℓ) = −softplus(−ℓ)`).
public protocol GANDiscriminator: Module {
    /// The number of classes of a conditional discriminator, `nil` for an unconditional one.
    var classCount: Int? { get }
    /// One logit per sample, `[N]`.
    func logits(_ samples: Tensor, labels: [Int]?) -> Tensor
    /// Applies (or removes) spectral normalisation of every weight (Miyato et al. 2018).
    var spectralNormalization: SpectralNormalization? { get }
}

extension GANGenerator {
    /// Checks the latent batch and labels against this generator's sizes.
    func checkInputs(_ latent: Tensor, _ labels: [Int]?) {
        precondition(
            latent.rank == 2 && latent.shape[1] == latentSize,
            "\(type(of: self)): expected latent vectors [N, \(latentSize)], got \(latent.shape).")
        if classCount != nil {
            precondition(
                labels?.count == latent.shape[0],
                "\(type(of: self)) is conditional: give one label per latent vector (\(latent.shape[0])), got \(labels?.count ?? 0)."
            )
        }
    }
}

/// Which architecture a GAN uses; chooses matching generator and discriminator.
public enum GANArchitecture: String, Sendable, CaseIterable {
    /// Fully connected: `G: z → 256 → 512 → 1024 → 784`, `D: 784 → 512 → 256 → 1`.
    case mlp
    /// Convolutional for 28×28 (Radford et al. 2016, adapted): transposed convolutions with
    /// batch norm in `G`, strided convolutions with LeakyReLU in `D`.
    case dcgan
}

/// The sizes of a GAN's two networks.
public struct GANModelConfiguration: Sendable, Equatable {
    public var architecture: GANArchitecture
    /// `d`, the size of `z`.
    public var latentSize: Int
    /// The hidden widths: `G`'s layers for the MLP (`[256, 512, 1024]`), or the base channel count
    /// for the DCGAN (`[64]`: 128 then 64 channels in `G`, 64 then 128 in `D`).
    public var generatorWidths: [Int]
    /// `D`'s hidden widths for the MLP (`[512, 256]`), the base channel count for the DCGAN.
    public var discriminatorWidths: [Int]
    /// The number of classes for a conditional GAN (cGAN), `nil` otherwise.
    public var classCount: Int?
    /// Whether `D`'s weights are spectrally normalised.
    public var spectralNormalization: Bool

    /// The defaults of each architecture (latent size 100).
    public init(
        architecture: GANArchitecture, latentSize: Int = 100, generatorWidths: [Int]? = nil,
        discriminatorWidths: [Int]? = nil, classCount: Int? = nil, spectralNormalization: Bool = false
    ) {
        self.architecture = architecture
        self.latentSize = latentSize
        switch architecture {
        case .mlp:
            self.generatorWidths = generatorWidths ?? [256, 512, 1024]
            self.discriminatorWidths = discriminatorWidths ?? [512, 256]
        case .dcgan:
            self.generatorWidths = generatorWidths ?? [64]
            self.discriminatorWidths = discriminatorWidths ?? [64]
        }
        self.classCount = classCount
        self.spectralNormalization = spectralNormalization
    }

    /// The weights of both networks (biases and normalisation statistics not counted), `nil`
    /// when the count overflows: the fewest values a checkpoint of them can hold.
    public var weightCount: Int? {
        let classes = classCount ?? 0, pixels = 28 * 28
        var terms: [[Int]]
        switch architecture {
        case .mlp:
            let generatorSizes = [latentSize + classes] + generatorWidths + [pixels]
            let discriminatorSizes = [pixels + classes] + discriminatorWidths + [1]
            terms =
                zip(generatorSizes, generatorSizes.dropFirst()).map { [$0, $1] }
                + zip(discriminatorSizes, discriminatorSizes.dropFirst()).map { [$0, $1] }
        case .dcgan:
            guard let g = generatorWidths.first, let d = discriminatorWidths.first else { return nil }
            terms = [
                [latentSize + classes, 2, g, 49], [2, g, g, 16], [g, 16], // G: 7×7, 4×4, 4×4 kernels
                [1 + classes, d, 16], [d, 2, d, 16], [2, d, 49]
            ] // D: 4×4, 4×4, 7×7 kernels
        }
        var total = 0
        for factors in terms {
            var product = 1
            for factor in factors {
                guard factor >= 0 else { return nil }
                let (next, overflow) = product.multipliedReportingOverflow(by: factor)
                if overflow { return nil }
                product = next
            }
            let (sum, overflow) = total.addingReportingOverflow(product)
            if overflow { return nil }
            total = sum
        }
        return total
    }

    /// A new generator and discriminator for 28×28 single-channel images, initialised from `generator`.
    public func makeModels(generator: RandomGenerator) -> (
        generator: any GANGenerator, discriminator: any GANDiscriminator
    ) {
        switch architecture {
        case .mlp:
            return (
                MLPGenerator(
                    latentSize: latentSize, hiddenSizes: generatorWidths, sampleShape: [1, 28, 28],
                    classCount: classCount, generator: generator),
                MLPDiscriminator(
                    sampleShape: [1, 28, 28], hiddenSizes: discriminatorWidths, classCount: classCount,
                    spectralNormalization: spectralNormalization, generator: generator)
            )
        case .dcgan:
            return (
                DCGANGenerator(
                    latentSize: latentSize, width: generatorWidths[0], classCount: classCount, generator: generator),
                DCGANDiscriminator(
                    width: discriminatorWidths[0], classCount: classCount,
                    spectralNormalization: spectralNormalization, generator: generator)
            )
        }
    }
}
