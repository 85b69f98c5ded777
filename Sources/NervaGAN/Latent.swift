import NervaTensor

/// The distribution of the generator's input `z`.
public enum LatentDistribution: String, Sendable, CaseIterable {
    /// `z ~ Uniform([0, 1]^d)`, the original GAN paper's choice and Nerva's default.
    case uniform
    /// `z ~ Normal(0, I_d)`, as in DCGAN implementations.
    case normal

    /// `count` latent vectors `[count, size]` drawn from this distribution with `generator`.
    public func sample(count: Int, size: Int, generator: RandomGenerator) -> Tensor {
        precondition(
            count > 0 && size > 0,
            "LatentDistribution.sample: count and size must be positive, got \(count) and \(size).")
        switch self {
        case .uniform: return Tensor.uniform([count, size], low: 0, high: 1, generator: generator)
        case .normal: return Tensor.normal([count, size], generator: generator)
        }
    }

    /// What the generator's first layer receives for a drawn `z`: `z` shifted and scaled to mean 0
    /// and variance 1, so a uniform `z` becomes `(z − ½)·√12` and a normal `z` stays as it is.
    /// `z` is still drawn from the chosen distribution; centring only spares the first layer a
    /// large constant input, with which generators fed Uniform([0,1]) latents collapsed within an
    /// epoch (2–3 classes covered).
    public func standardized(_ z: Tensor) -> Tensor {
        switch self {
        case .uniform: return (z - 0.5) * Float(12).squareRoot()
        case .normal: return z
        }
    }
}

/// One-hot rows `[labels.count, classCount]` for class-conditional models (no gradient).
public func oneHot(_ labels: [Int], classCount: Int) -> Tensor {
    let out = Tensor.zeros([labels.count, classCount])
    out.withUnsafeMutableBufferPointer { buffer in
        for (row, label) in labels.enumerated() {
            precondition((0..<classCount).contains(label), "oneHot: label \(label) is outside 0..<\(classCount).")
            buffer[row * classCount + label] = 1
        }
    }
    return out
}

/// Maps images from `[0, 1]` (data sets) to `[−1, 1]` (the range of a tanh generator).
public func toGeneratorRange(_ images: Tensor) -> Tensor { images * 2 - 1 }

/// Maps images from `[−1, 1]` back to `[0, 1]` for pictures and classifiers, clamping strays.
public func toPixelRange(_ images: Tensor) -> Tensor { ((images + 1) * 0.5).clamped(min: 0, max: 1) }
