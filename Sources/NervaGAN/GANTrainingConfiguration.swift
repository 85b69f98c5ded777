import NervaNN
import NervaOptim
import NervaTensor

/// The optimiser each network uses; Adam with `β1 = 0.5` is the DCGAN paper's choice.
public enum GANOptimizerKind: Sendable, Equatable {
    /// Adam with these momentum coefficients.
    case adam(beta1: Float, beta2: Float)
    /// RMSprop (the original WGAN's choice).
    case rmsprop
    /// Plain stochastic gradient descent with momentum 0.9.
    case sgd

    /// A new optimiser over `parameters`.
    func make(_ parameters: [Tensor], learningRate: Float) -> Optimizer {
        switch self {
        case let .adam(beta1, beta2): Adam(parameters, learningRate: learningRate, beta1: beta1, beta2: beta2)
        case .rmsprop: RMSprop(parameters, learningRate: learningRate)
        case .sgd: SGD(parameters, learningRate: learningRate, momentum: 0.9)
        }
    }

    /// `adam(β1,β2)`, `rmsprop` or `sgd`, as written in checkpoints and accepted by `init?(text:)`.
    public var text: String {
        switch self {
        case let .adam(beta1, beta2): "adam(\(beta1),\(beta2))"
        case .rmsprop: "rmsprop"
        case .sgd: "sgd"
        }
    }

    /// Parses `adam`, `adam(0.5,0.999)`, `rmsprop` or `sgd`.
    public init?(text: String) {
        switch text {
        case "adam": self = .adam(beta1: 0.5, beta2: 0.999)
        case "rmsprop": self = .rmsprop
        case "sgd": self = .sgd
        default:
            guard text.hasPrefix("adam("), text.hasSuffix(")") else { return nil }
            let numbers = text.dropFirst(5).dropLast().split(separator: ",").compactMap {
                Float($0.filter { $0 != " " })
            }
            guard numbers.count == 2, (0..<1).contains(numbers[0]), (0..<1).contains(numbers[1]) else { return nil }
            self = .adam(beta1: numbers[0], beta2: numbers[1])
        }
    }
}

/// Everything that defines a GAN training run, each remedy for instability switchable.
/// The defaults are the DCGAN paper's: non-saturating loss, Adam(lr 2·10⁻⁴, β1 0.5), batch 64.
public struct GANTrainingConfiguration: Sendable, Equatable {
    /// The two networks.
    public var model: GANModelConfiguration
    /// The losses of `D` and `G`.
    public var objective: GANObjective = .nonSaturating
    /// Where `z` comes from: `Uniform([0,1]^d)` by default.
    public var latentDistribution: LatentDistribution = .uniform
    /// Samples per step, for reals and fakes alike (larger batches steady the game).
    public var batchSize = 64
    /// `G`'s learning rate.
    public var generatorLearningRate: Float = 2e-4
    /// `D`'s learning rate.
    public var discriminatorLearningRate: Float = 2e-4
    /// The optimiser of both networks.
    public var optimizer: GANOptimizerKind = .adam(beta1: 0.5, beta2: 0.999)
    /// `D` steps per `G` step (5 is WGAN's choice).
    public var discriminatorSteps = 1
    /// One-sided label smoothing `α`: real targets become `1 − α` (0 = off; 0.1 is common).
    public var labelSmoothing: Float = 0
    /// Instance noise: the standard deviation of Gaussian noise added to every input of `D` at
    /// the start, annealed linearly to 0 over the run (0 = off; Sønderby et al. 2017).
    public var instanceNoise: Float = 0
    /// `λ` of the WGAN-GP penalty (used by `.wassersteinGP` only).
    public var gradientPenaltyWeight: Float = 10
    /// `γ` of the R1 penalty `γ/2 E[‖∇ℓ(x)‖²]` on reals (0 = off).
    public var r1Weight: Float = 0
    /// The decay of an exponential moving average of `G`'s weights used for sampling (`nil` = off;
    /// 0.999 is common). It warms up from 0.1 as `min(decay, (1 + t) / (10 + t))` at step `t`.
    public var emaDecay: Float?
    /// The seed of every random choice: initial weights, latents, noise, data order.
    public var seed: UInt64 = 0

    public init(model: GANModelConfiguration) { self.model = model }

    /// Checks every setting; `nil` when valid, else a sentence naming the bad one.
    public var problem: String? {
        if model.latentSize <= 0 { return "latent size must be positive, got \(model.latentSize)" }
        if model.generatorWidths.isEmpty || model.generatorWidths.contains(where: { $0 <= 0 }) {
            return "generator widths must be positive, got \(model.generatorWidths)"
        }
        if model.discriminatorWidths.isEmpty || model.discriminatorWidths.contains(where: { $0 <= 0 }) {
            return "discriminator widths must be positive, got \(model.discriminatorWidths)"
        }
        let budget = SizeLimits.memoryBudget()
        let (firstLayer, overflow) = model.latentSize.multipliedReportingOverflow(by: model.generatorWidths[0])
        if overflow || firstLayer > budget { // the generator's first layer, latent → width, must fit in memory
            return
                "latent size × the generator's first width must be at most \(budget) values (half the memory), got \(model.latentSize) × \(model.generatorWidths[0])"
        }
        if let classCount = model.classCount, classCount < 1 {
            return "class count must be positive, got \(classCount)"
        }
        if batchSize < 2 { return "batch size must be at least 2, got \(batchSize)" }
        for (name, rate) in [("generator", generatorLearningRate), ("discriminator", discriminatorLearningRate)]
        where !(rate > 0 && rate.isFinite) {
            return "the \(name) learning rate must be finite and positive, got \(rate)"
        }
        if discriminatorSteps < 1 { return "discriminator steps must be at least 1, got \(discriminatorSteps)" }
        if batchSize.multipliedReportingOverflow(by: discriminatorSteps).overflow {
            return
                "batch size × discriminator steps (the real images of one generator step) must be at most \(Int.max), got \(batchSize) × \(discriminatorSteps)"
        }
        if !(0..<1).contains(labelSmoothing) { return "label smoothing must be in [0, 1), got \(labelSmoothing)" }
        for (name, weight) in [
            ("instance noise", instanceNoise), ("R1 weight", r1Weight),
            ("gradient penalty weight", gradientPenaltyWeight)
        ]
        where !(weight >= 0 && weight.isFinite) {
            return "\(name) must be finite and non-negative, got \(weight)"
        }
        if let emaDecay, !(0..<1).contains(emaDecay) { return "EMA decay must be in [0, 1), got \(emaDecay)" }
        return nil
    }
}

extension GANTrainingConfiguration {
    /// The settings as a report shows them, one `(name, value)` row each.
    public var settingsTable: [(String, String)] {
        [
            ("model", model.architecture.rawValue), ("latent", "\(model.latentSize), \(latentDistribution.rawValue)"),
            ("objective", objective.rawValue), ("batch size", "\(batchSize)"), ("optimizer", optimizer.text),
            ("learning rates (G, D)", "\(generatorLearningRate), \(discriminatorLearningRate)"),
            ("D steps per G step", "\(discriminatorSteps)"), ("label smoothing", "\(labelSmoothing)"),
            ("instance noise", "\(instanceNoise)"), ("R1", "\(r1Weight)"),
            ("spectral norm", "\(model.spectralNormalization)"), ("EMA of G", emaDecay.map { "\($0)" } ?? "off"),
            ("conditional", model.classCount != nil ? "yes" : "no"), ("seed", "\(seed)")
        ]
    }
}
