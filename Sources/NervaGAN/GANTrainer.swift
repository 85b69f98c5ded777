import NervaNN
import NervaOptim
import NervaTensor

/// What one training step measured: losses, `D`'s verdicts and gradient norms.
public struct GANStepStatistics: Sendable {
    /// `D`'s loss (with penalties) in its last step.
    public var discriminatorLoss: Float
    /// `G`'s loss.
    public var generatorLoss: Float
    /// `E[D(x)] = E[σ(ℓ(x))]` on the real batch (for critics, `E[ℓ(x)]`).
    public var realScore: Float
    /// `E[D(G(z))]` on the fake batch during `D`'s step (for critics, `E[ℓ(x̃)]`).
    public var fakeScore: Float
    /// The global L2 norm of `D`'s gradient in its last step.
    public var discriminatorGradientNorm: Float
    /// The global L2 norm of `G`'s gradient.
    public var generatorGradientNorm: Float

    /// `false` when a loss or gradient is NaN or infinite: the run diverged (no update was applied).
    public var isFinite: Bool {
        [discriminatorLoss, generatorLoss, realScore, fakeScore, discriminatorGradientNorm, generatorGradientNorm]
            .allSatisfy(\.isFinite)
    }
}

/// Trains a GAN, step by step, as in the paper's Algorithm 1: `k` steps of `D` on real batches and
/// detached fakes, then one step of `G` through `D`.
///
/// ```swift
/// var configuration = GANTrainingConfiguration(model: GANModelConfiguration(architecture: .dcgan))
/// let trainer = GANTrainer(configuration)
/// for batch in data.batches(size: 64, shuffle: true, dropLast: true, generator: trainer.random) {
///     let statistics = trainer.step(real: toGeneratorRange(batch.inputs), labels: batch.labels)
///     if !statistics.isFinite { break }   // diverged: keep the last checkpoint
/// }
/// ```
/// The fakes of `D`'s last step are generated once, with their graph, and reused by `G`'s step
/// (as PyTorch's DCGAN example does). During `G`'s step `D`'s weights are frozen, so its backward
/// pass computes only the input gradients it needs and `D` is never changed by `G`'s loss;
/// `D`'s step sees the fakes detached, so `G` is never changed by `D`'s loss.
public final class GANTrainer {
    public let configuration: GANTrainingConfiguration
    public let generator: any GANGenerator
    public let discriminator: any GANDiscriminator
    public let generatorOptimizer: Optimizer
    public let discriminatorOptimizer: Optimizer
    /// The moving average of `G`'s weights, when `emaDecay` is set.
    public let averageGenerator: (any GANGenerator)?
    /// The source of every random choice of the run (latents, noise, penalties, data order).
    public let random: RandomGenerator
    /// `G` steps taken so far.
    public internal(set) var step = 0
    /// The current instance-noise standard deviation (set by the caller's annealing schedule).
    public var instanceNoise: Float

    /// The fakes of the last `D` step, with their graph, for `G`'s step.
    private var pendingFakes: (samples: Tensor, labels: [Int]?)?

    /// New networks and optimisers for `configuration`, all seeded from `configuration.seed`.
    ///
    /// - Parameters:
    ///   - configuration: the run's settings; it must be valid (`problem` is `nil`).
    ///   - makeModels: builds `G` and `D` from a random generator (by default the
    ///     networks `configuration.model` describes); give it to train other networks, such as
    ///     small ones on points. It is called again for the moving-average copy of `G`.
    public init(
        _ configuration: GANTrainingConfiguration,
        makeModels: ((RandomGenerator) -> (any GANGenerator, any GANDiscriminator))? = nil
    ) {
        precondition(configuration.problem == nil, "GANTrainer: \(configuration.problem ?? "")")
        let make = makeModels ?? { configuration.model.makeModels(generator: $0) }
        self.configuration = configuration
        random = RandomGenerator(seed: configuration.seed)
        (generator, discriminator) = make(random)
        generatorOptimizer = configuration.optimizer.make(
            generator.parameters(), learningRate: configuration.generatorLearningRate)
        discriminatorOptimizer = configuration.optimizer.make(
            discriminator.parameters(),
            learningRate: configuration.discriminatorLearningRate)
        if configuration.emaDecay != nil {
            let copy = make(RandomGenerator(seed: 0)).0
            for (a, b) in zip(copy.parameters(), generatorOptimizer.parameters) { a.assign(b) }
            copy.eval()
            averageGenerator = copy
        } else {
            averageGenerator = nil
        }
        instanceNoise = configuration.instanceNoise
    }

    /// The generator to sample from: the moving average when there is one.
    public var samplingGenerator: any GANGenerator { averageGenerator ?? generator }

    /// `count` latent vectors from the configured distribution.
    public func latents(_ count: Int) -> Tensor {
        configuration.latentDistribution.sample(count: count, size: configuration.model.latentSize, generator: random)
    }

    /// Random labels for conditional fakes (`nil` for unconditional models).
    func fakeLabels(_ count: Int) -> [Int]? {
        configuration.model.classCount.map { classes in (0..<count).map { _ in random.integer(below: classes) } }
    }

    /// One `G` step after `discriminatorSteps` `D` steps. `real` holds `discriminatorSteps`
    /// batches stacked along the first axis (or one batch, reused), in `[−1, 1]`.
    ///
    /// - Returns: the measurements; when not `isFinite`, the offending update was skipped.
    @discardableResult
    public func step(real: Tensor, labels: [Int]?) -> GANStepStatistics {
        let k = configuration.discriminatorSteps
        let perStep = real.shape[0] % k == 0 && real.shape[0] >= 2 * k ? real.shape[0] / k : real.shape[0]
        var statistics = GANStepStatistics(
            discriminatorLoss: 0, generatorLoss: 0, realScore: 0, fakeScore: 0,
            discriminatorGradientNorm: 0, generatorGradientNorm: 0)
        for index in 0..<k {
            let rows = perStep == real.shape[0] ? 0..<perStep : index * perStep..<(index + 1) * perStep
            let batchLabels = labels.map { Array($0[rows]) }
            statistics = discriminatorStep(real: real[rows], labels: batchLabels, keepFakes: index == k - 1)
            guard statistics.isFinite else { return statistics }
        }
        let (loss, norm) = generatorStep(batchSize: perStep)
        statistics.generatorLoss = loss
        statistics.generatorGradientNorm = norm
        return statistics
    }

    /// Adds instance noise to `D`'s inputs while it is switched on.
    private func noisy(_ samples: Tensor) -> Tensor {
        guard instanceNoise > 0 else { return samples }
        return samples + Tensor.normal(samples.shape, standardDeviation: instanceNoise, generator: random)
    }

    /// One update of `D` on a real batch and as many fresh fakes (detached from `G`).
    ///
    /// - Parameters:
    ///   - real: a real batch in `[−1, 1]`.
    ///   - labels: the batch's class labels for conditional models, `nil` otherwise.
    ///   - keepFakes: keep the fakes' graph for the `G` step that follows.
    public func discriminatorStep(real: Tensor, labels: [Int]?, keepFakes: Bool = false) -> GANStepStatistics {
        let count = real.shape[0]
        let fakeLabels = self.fakeLabels(count)
        let latent = configuration.latentDistribution.standardized(latents(count))
        // With G's graph only when G's step will reuse these fakes.
        let fakes =
            keepFakes
            ? generator.generate(latent, labels: fakeLabels)
            : withoutGradients { generator.generate(latent, labels: fakeLabels) }
        pendingFakes = keepFakes ? (fakes, fakeLabels) : nil
        let objective = configuration.objective
        let realInput = noisy(real), fakeInput = noisy(fakes.detached())
        // One forward pass over reals and fakes together (D has no batch statistics).
        let bothLabels = labels.flatMap { real in fakeLabels.map { real + $0 } }
        let logits = discriminator.logits(Tensor.concatenated([realInput, fakeInput], alongAxis: 0), labels: bothLabels)
        let realLogits = logits[0..<count], fakeLogits = logits[count..<(2 * count)]
        var loss = objective.discriminatorLoss(
            realLogits: realLogits, fakeLogits: fakeLogits,
            realTarget: 1 - configuration.labelSmoothing)
        if objective == .wassersteinGP && configuration.gradientPenaltyWeight > 0 {
            let penalty = gradientPenalty(real: realInput, fake: fakeInput, generator: random) {
                discriminator.logits($0, labels: labels)
            }
            loss = loss + configuration.gradientPenaltyWeight * penalty
        }
        if configuration.r1Weight > 0 {
            loss =
                loss + configuration.r1Weight * r1Penalty(real: realInput) { discriminator.logits($0, labels: labels) }
        }
        let scores = withoutGradients {
            objective.hasProbabilityOutput
                ? (realLogits.sigmoid().mean().scalar, fakeLogits.sigmoid().mean().scalar)
                : (realLogits.mean().scalar, fakeLogits.mean().scalar)
        }
        var statistics = GANStepStatistics(
            discriminatorLoss: loss.scalar, generatorLoss: 0, realScore: scores.0,
            fakeScore: scores.1, discriminatorGradientNorm: 0, generatorGradientNorm: 0)
        guard statistics.isFinite else { return statistics }
        discriminatorOptimizer.zeroGradients()
        loss.backward()
        statistics.discriminatorGradientNorm = Self.gradientNorm(discriminatorOptimizer.parameters)
        guard statistics.isFinite else { return statistics }
        discriminatorOptimizer.step()
        return statistics
    }

    /// One update of `G` through a frozen `D`, on the fakes kept from `D`'s last step (or new ones).
    ///
    /// - Returns: `G`'s loss and gradient norm; no update is applied when either is not finite.
    public func generatorStep(batchSize: Int) -> (loss: Float, gradientNorm: Float) {
        let (fakes, labels) =
            pendingFakes
            ?? {
                let labels = fakeLabels(batchSize)
                let latent = configuration.latentDistribution.standardized(latents(batchSize))
                return (generator.generate(latent, labels: labels), labels)
            }()
        pendingFakes = nil
        // D frozen through the backward pass too: pullbacks skip its weight gradients.
        let frozen = discriminator.parameters()
        for parameter in frozen { parameter.requiresGradient = false }
        defer { for parameter in frozen { parameter.requiresGradient = true } }
        let loss = configuration.objective.generatorLoss(fakeLogits: discriminator.logits(noisy(fakes), labels: labels))
        let value = loss.scalar
        guard value.isFinite else { return (value, .nan) }
        generatorOptimizer.zeroGradients()
        loss.backward()
        let norm = Self.gradientNorm(generatorOptimizer.parameters)
        guard norm.isFinite else { return (value, norm) }
        generatorOptimizer.step()
        step += 1
        updateAverage()
        return (value, norm)
    }

    /// `θ_avg ← β_t θ_avg + (1 − β_t) θ`, and the batch-norm statistics copied. The decay warms up
    /// as `β_t = min(β, (1 + t) / (10 + t))` at step `t` (TensorFlow's `num_updates` rule), so that
    /// the average soon forgets the random initial weights: with a constant 0.999, 40 % of the
    /// average would still be the initial `G` after 900 steps.
    private func updateAverage() {
        guard let averageGenerator, let target = configuration.emaDecay else { return }
        let decay = min(target, Float(1 + step) / Float(10 + step))
        withoutGradients {
            for (average, current) in zip(averageGenerator.parameters(), generator.parameters()) {
                average.withUnsafeMutableBufferPointer { a in
                    current.withUnsafeBufferPointer { c in
                        for i in 0..<a.count { a[i] = decay * a[i] + (1 - decay) * c[i] }
                    }
                }
            }
            for (average, current) in zip(averageGenerator.namedBuffers(), generator.namedBuffers()) {
                average.tensor.assign(current.tensor)
            }
        }
    }

    /// `√(Σ g²)` over the gradients of `parameters`.
    static func gradientNorm(_ parameters: [Tensor]) -> Float {
        var squares = 0.0
        for parameter in parameters {
            parameter.gradient?.densified().withUnsafeBufferPointer { g in
                guard let base = g.baseAddress else { return }
                var lanes = SIMD8<Float>(), i = 0
                while i + 8 <= g.count {
                    let x = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
                    lanes += x * x
                    i += 8
                }
                var sum = lanes.sum()
                while i < g.count {
                    sum += g[i] * g[i]
                    i += 1
                }
                squares += Double(sum)
            }
        }
        return Float(squares.squareRoot())
    }

    /// Samples `[count] + sampleShape` in `[−1, 1]` from the sampling generator in evaluation
    /// mode, for fixed `latents` (and labels, for conditional models).
    public func sample(latents: Tensor, labels: [Int]?) -> Tensor {
        let g = samplingGenerator
        g.eval()
        defer { if g === generator { g.train() } }
        return withoutGradients { g.generate(configuration.latentDistribution.standardized(latents), labels: labels) }
    }
}
