import NervaNN
import NervaTensor

/// The game `G` and `D` play: which loss each minimises. `ℓ` is `D`'s logit (its raw output),
/// `D(x) = σ(ℓ(x))`; `E` is the mean over the batch; `x` real, `x̃ = G(z)` fake.
///
/// Every loss is computed from logits, in the numerically stable forms
/// `−log σ(ℓ) = softplus(−ℓ)` and `−log(1 − σ(ℓ)) = softplus(ℓ)`.
public enum GANObjective: String, Sendable, CaseIterable {
    /// The original min-max game `min_G max_D V(D, G)` (Goodfellow et al. 2014):
    /// `L_D = −E[log D(x)] − E[log(1 − D(x̃))]`, `L_G = E[log(1 − D(x̃))] = −E[softplus(ℓ(x̃))]`.
    /// `G`'s gradient vanishes when `D` rejects fakes confidently, early in training.
    case minimax
    /// The same `L_D` with the non-saturating generator loss `L_G = −E[log D(x̃)] = E[softplus(−ℓ(x̃))]`,
    /// strong gradients when `D` wins (the paper's practical advice; Nerva's default).
    case nonSaturating = "non-saturating"
    /// Least squares GAN (Mao et al. 2017) on the raw output:
    /// `L_D = ½E[(ℓ(x) − 1)²] + ½E[ℓ(x̃)²]`, `L_G = ½E[(ℓ(x̃) − 1)²]`.
    case leastSquares = "least-squares"
    /// Wasserstein GAN with gradient penalty (Gulrajani et al. 2017), `D` a critic:
    /// `L_D = E[ℓ(x̃)] − E[ℓ(x)] + λ E[(‖∇ℓ(x̂)‖₂ − 1)²]` with `x̂ = εx + (1 − ε)x̃`, `ε ~ U[0, 1]`
    /// per sample (the penalty is added by the trainer, see `gradientPenalty`); `L_G = −E[ℓ(x̃)]`.
    case wassersteinGP = "wgan-gp"
    /// Hinge loss (Lim & Ye 2017; Miyato et al. 2018):
    /// `L_D = E[max(0, 1 − ℓ(x))] + E[max(0, 1 + ℓ(x̃))]`, `L_G = −E[ℓ(x̃)]`.
    case hinge

    /// `D`'s loss on the logits of a real batch and a fake batch.
    ///
    /// - Parameters:
    ///   - realLogits: `D`'s logits of the real batch, `[N]`.
    ///   - fakeLogits: `D`'s logits of the fake batch, `[N]`.
    ///   - realTarget: the target of real samples for the cross-entropy and least-squares
    ///     losses: 1, or `1 − α` for one-sided label smoothing (Salimans et al. 2016); fakes keep 0.
    ///     The margin losses (Wasserstein, hinge) ignore it.
    public func discriminatorLoss(realLogits: Tensor, fakeLogits: Tensor, realTarget: Float = 1) -> Tensor {
        switch self {
        case .minimax, .nonSaturating:
            // −t log σ(ℓ) − (1 − t) log(1 − σ(ℓ)) for reals, −log(1 − σ(ℓ)) for fakes.
            return binaryCrossEntropy(logits: realLogits, targets: Tensor.full(realLogits.shape, value: realTarget))
                + binaryCrossEntropy(logits: fakeLogits, targets: Tensor.zeros(fakeLogits.shape))
        case .leastSquares:
            return 0.5 * ((realLogits - realTarget).squared().mean() + fakeLogits.squared().mean())
        case .wassersteinGP:
            return fakeLogits.mean() - realLogits.mean()
        case .hinge:
            return (1 - realLogits).relu().mean() + (1 + fakeLogits).relu().mean()
        }
    }

    /// `G`'s loss on the logits `D` gives its fakes.
    public func generatorLoss(fakeLogits: Tensor) -> Tensor {
        switch self {
        case .minimax: return -fakeLogits.softplus().mean()
        case .nonSaturating: return (-fakeLogits).softplus().mean()
        case .leastSquares: return 0.5 * (fakeLogits - 1).squared().mean()
        case .wassersteinGP, .hinge: return -fakeLogits.mean()
        }
    }

    /// Whether `σ(ℓ)` is a probability for this objective (so `D(x)` averages are meaningful);
    /// the critics of WGAN-GP and hinge output unbounded scores instead.
    public var hasProbabilityOutput: Bool { self == .minimax || self == .nonSaturating }
}

// MARK: - Gradient penalties

/// The WGAN-GP penalty `E[(‖∇_x̂ ℓ(x̂)‖₂ − 1)²]` at `x̂ = εx + (1 − ε)x̃`, `ε ~ U[0, 1]` per sample,
/// built with `gradients(of:wrt:createGraph: true)` so that its gradient reaches `D`'s weights.
///
/// - Parameters:
///   - real: real samples `[N, …]`.
///   - fake: fakes of the same shape (detached from `G`).
///   - generator: the source of the interpolation weights `ε`.
///   - logits: `D`, mapping samples to logits `[N]`.
public func gradientPenalty(
    real: Tensor, fake: Tensor, generator: RandomGenerator,
    logits: (Tensor) -> Tensor
) -> Tensor {
    precondition(real.shape == fake.shape, "gradientPenalty: real \(real.shape) and fake \(fake.shape) differ.")
    let count = real.shape[0]
    let epsilon = Tensor.uniform([count] + Array(repeating: 1, count: real.rank - 1), generator: generator)
    let interpolated = withoutGradients { epsilon * real + (1 - epsilon) * fake }.requiringGradient()
    let norms = inputGradientNorms(of: logits(interpolated), at: interpolated)
    return (norms - 1).squared().mean()
}

/// The R1 penalty `½ E[‖∇_x ℓ(x)‖₂²]` on real samples (Mescheder et al. 2018), which keeps `D`
/// flat on the data; differentiable with respect to `D`'s weights.
public func r1Penalty(real: Tensor, logits: (Tensor) -> Tensor) -> Tensor {
    let input = real.detached().requiringGradient()
    let gradient = gradients(of: logits(input).sum(), wrt: [input], createGraph: true)[0]
    return 0.5 * gradient.reshaped([input.shape[0], -1]).squared().sum(alongAxis: 1).mean()
}

/// `‖∇_x ℓ(x)‖₂` per sample, `[N]`, recorded for differentiation.
func inputGradientNorms(of outputs: Tensor, at input: Tensor) -> Tensor {
    let gradient = gradients(of: outputs.sum(), wrt: [input], createGraph: true)[0]
    return (gradient.reshaped([input.shape[0], -1]).squared().sum(alongAxis: 1) + 1e-12).sqrt()
}
