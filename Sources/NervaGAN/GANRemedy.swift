/// A known remedy for GAN instability (mode collapse, vanishing gradients, divergence), as a
/// change to a training configuration — so remedies can be compared one at a time against the
/// same baseline, same seed, same data (`nerva gan remedies`).
///
/// ```swift
/// var configuration = GANTrainingConfiguration(model: GANModelConfiguration(architecture: .mlp))
/// GANRemedy.r1.apply(to: &configuration)        // γ = 10 R1 penalty on D's real inputs
/// ```
public enum GANRemedy: String, Sendable, CaseIterable {
    /// No change: the configuration as given (DCGAN paper's non-saturating loss, Adam(2·10⁻⁴, β1 0.5), batch 64).
    case baseline
    /// Larger batches: 256 instead of 64 (fewer, less noisy steps per epoch).
    case largeBatch = "large-batch"
    /// One-sided label smoothing: real targets 0.9 (Salimans et al. 2016).
    case labelSmoothing = "label-smoothing"
    /// Instance noise: Gaussian noise of std 0.1 on D's inputs, annealed to 0 (Sønderby et al. 2017).
    case instanceNoise = "instance-noise"
    /// Spectral normalisation of D's weights (Miyato et al. 2018).
    case spectralNorm = "spectral-norm"
    /// R1 penalty `γ/2 E‖∇D(x)‖²` on reals with γ = 10 (Mescheder et al. 2018).
    case r1
    /// Two D steps per G step.
    case twoDiscriminatorSteps = "two-d-steps"
    /// An exponential moving average of G's weights (decay 0.999) for sampling (Yazıcı et al. 2019).
    case ema
    /// Adam with β1 = 0.9 (the usual default) instead of the DCGAN paper's 0.5.
    case adamBeta09 = "adam-beta1-0.9"
    /// RMSprop instead of Adam.
    case rmsprop
    /// SGD with momentum 0.9 instead of Adam.
    case sgd
    /// The least-squares loss (LSGAN, Mao et al. 2017).
    case leastSquares = "least-squares"
    /// The hinge loss (Lim & Ye 2017; Miyato et al. 2018).
    case hinge
    /// Wasserstein loss with gradient penalty (Gulrajani et al. 2017): λ = 10, 5 critic steps,
    /// Adam(10⁻⁴, β = (0, 0.9)), as in the paper.
    case wassersteinGP = "wgan-gp"

    /// What the remedy changes, in one line for reports.
    public var summary: String {
        switch self {
        case .baseline: "non-saturating loss, Adam(2e-4, β1 0.5), batch 64"
        case .largeBatch: "batch 256"
        case .labelSmoothing: "real targets 0.9"
        case .instanceNoise: "N(0, 0.1²) on D's inputs, annealed to 0"
        case .spectralNorm: "spectral normalisation of D"
        case .r1: "R1 penalty, γ = 10"
        case .twoDiscriminatorSteps: "2 D steps per G step"
        case .ema: "EMA of G's weights, decay 0.999"
        case .adamBeta09: "Adam β1 = 0.9"
        case .rmsprop: "RMSprop"
        case .sgd: "SGD, momentum 0.9"
        case .leastSquares: "least-squares loss"
        case .hinge: "hinge loss"
        case .wassersteinGP: "WGAN-GP, λ 10, 5 critic steps, Adam(1e-4, 0, 0.9)"
        }
    }

    /// Changes `configuration` as the remedy prescribes; everything else stays as it was.
    public func apply(to configuration: inout GANTrainingConfiguration) {
        switch self {
        case .baseline: break
        case .largeBatch: configuration.batchSize = 256
        case .labelSmoothing: configuration.labelSmoothing = 0.1
        case .instanceNoise: configuration.instanceNoise = 0.1
        case .spectralNorm: configuration.model.spectralNormalization = true
        case .r1: configuration.r1Weight = 10
        case .twoDiscriminatorSteps: configuration.discriminatorSteps = 2
        case .ema: configuration.emaDecay = 0.999
        case .adamBeta09: configuration.optimizer = .adam(beta1: 0.9, beta2: 0.999)
        case .rmsprop: configuration.optimizer = .rmsprop
        case .sgd: configuration.optimizer = .sgd
        case .leastSquares: configuration.objective = .leastSquares
        case .hinge: configuration.objective = .hinge
        case .wassersteinGP:
            configuration.objective = .wassersteinGP
            configuration.gradientPenaltyWeight = 10
            configuration.discriminatorSteps = 5
            configuration.optimizer = .adam(beta1: 0, beta2: 0.9)
            configuration.generatorLearningRate = 1e-4
            configuration.discriminatorLearningRate = 1e-4
        }
    }

    /// `configuration` with the remedy applied.
    public func applied(to configuration: GANTrainingConfiguration) -> GANTrainingConfiguration {
        var changed = configuration
        apply(to: &changed)
        return changed
    }
}
