import Foundation
import NervaData
import NervaNN
import NervaTensor

/// A complete GAN training run into a run folder: progress, metrics every few steps, a sample
/// grid from a fixed latent batch after every epoch, loss and `D`-output curves, a resumable
/// checkpoint after every epoch, optional FID / mode coverage against a classifier, and a report.
/// Used by `nerva gan train`, `nerva gan remedies` and the tour.
///
/// ```swift
/// let trainer = GANTrainer(GANTrainingConfiguration(model: GANModelConfiguration(architecture: .dcgan)))
/// let folder = try RunFolder(command: "gan-train", out: "run", settings: trainer.configuration.settingsTable)
/// let summary = try GANTrainingRun(trainer: trainer, epochs: 1).run(on: try FashionMNIST(), folder: folder)
/// ```
public struct GANTrainingRun {
    /// The trainer, new or resumed.
    public let trainer: GANTrainer
    /// The epoch to start from (1 for a new run).
    public let firstEpoch: Int
    /// Epochs to train from `firstEpoch` on.
    public let epochs: Int
    /// Use only the first N training images.
    public let limit: Int?
    /// Train only on these classes (all when `nil`): one class makes a deliberately collapsed run.
    public let classes: [Int]?
    /// Measure FID and mode coverage after each epoch with this classifier.
    public let evaluation: GANEvaluationRun?
    /// Stop after this many seconds (the tour's budget), at the end of a step.
    public var timeBudget: Double?
    /// Receives the run's progress lines (standard output by default).
    public var output: (String) -> Void = { print($0) }

    /// The most epochs one run takes: far beyond any useful run, and small enough that step
    /// counts (epochs × steps per epoch) never overflow.
    public static let maximumEpochs = 1_000_000
    /// The epochs of a run that names none (`nerva gan train`).
    public static let defaultEpochs = 5
    /// The smallest `limit`: one image per batch half.
    public static let minimumLimit = 2

    /// A run of `trainer` for `epochs` epochs from `firstEpoch`.
    ///
    /// - Throws: `ConfigurationError` for epochs outside 1…`maximumEpochs`, a limit below
    ///   `minimumLimit` or a class outside the data's 0…9.
    public init(
        trainer: GANTrainer, firstEpoch: Int = 1, epochs: Int = GANTrainingRun.defaultEpochs,
        limit: Int? = nil, classes: [Int]? = nil, evaluation: GANEvaluationRun? = nil,
        timeBudget: Double? = nil
    ) throws {
        try ConfigurationError.require(
            (1...Self.maximumEpochs).contains(epochs), "epochs", epochs,
            allowed: "in 1…\(Self.maximumEpochs)")
        if let limit { try ConfigurationError.check("limit", limit, atLeast: Self.minimumLimit) }
        if let classes {
            try ConfigurationError.require(
                !classes.isEmpty && classes.allSatisfy { (0..<10).contains($0) }, "classes",
                classes.map(String.init).joined(separator: ","),
                allowed: "class numbers 0…9 separated by commas")
        }
        self.trainer = trainer
        self.firstEpoch = firstEpoch
        self.epochs = epochs
        self.limit = limit
        self.classes = classes
        self.evaluation = evaluation
        self.timeBudget = timeBudget
    }

    /// How a run went.
    public struct Summary {
        /// The last epoch trained (the first epoch − 1 when none was).
        public var epochsCompleted: Int
        /// Generator steps since the trainer was created.
        public var steps: Int
        /// Whether the run stopped because a value stopped being finite.
        public var diverged: Bool { divergence != nil }
        /// Why the run stopped early: the step and the value that was not finite.
        public var divergence: TrainingDivergedError?
        /// The last checkpoint written, if any.
        public var checkpoint: URL?
        /// The evaluation after the last epoch, when the run has an `evaluation`.
        public var lastEvaluation: GANEvaluationResult?
        /// The duration of the last epoch.
        public var secondsPerEpoch: Double
        /// The sample grid of the last epoch.
        public var lastSampleGrid: URL?
    }

    /// Records per logged step, for the curves.
    private struct Point {
        let step: Double
        let lossD, lossG, real, fake, normD, normG: Double
    }

    /// Trains on `dataset`'s training images (pixel range mapped to `[-1, 1]`), writing metrics,
    /// sample grids, curves and a checkpoint after every epoch into `folder`. Divergence stops the
    /// run and is reported in the summary (the last good checkpoint is kept).
    ///
    /// - Throws: `GANRunError` when the data is too small for one step, or a file error.
    public func run(on dataset: FashionMNIST, folder: RunFolder) throws -> Summary {
        let configuration = trainer.configuration
        var pool = limit.map { dataset.train.prefix($0) } ?? dataset.train
        if let classes { pool = pool.subset(pool.labels.indices.filter { classes.contains(pool.labels[$0]) }) }
        let perStep = configuration.batchSize * configuration.discriminatorSteps
        guard pool.count >= perStep else {
            throw GANRunError.tooFewImages(have: pool.count, need: perStep)
        }
        let images = LabeledImages(images: toGeneratorRange(pool.images), labels: pool.labels)
        let conditional = configuration.model.classCount != nil
        let fixed = GANSampleGrid(trainer: trainer, conditional: conditional)
        output(
            "gan: \(configuration.model.architecture.rawValue), G \(trainer.generator.parameterCount) and "
                + "D \(trainer.discriminator.parameterCount) parameters; \(pool.count) training images; "
                + "\(configuration.objective.rawValue) loss")

        var summary = Summary(
            epochsCompleted: firstEpoch - 1, steps: trainer.step, checkpoint: nil,
            lastEvaluation: nil, secondsPerEpoch: 0)
        var points: [Point] = []
        let stepsPerEpoch = pool.count / perStep
        let totalSteps = max(1, (firstEpoch - 1 + epochs) * stepsPerEpoch)
        let started = Date()
        let checkpoint = folder.file("gan-checkpoint.safetensors")
        epochs: for epoch in firstEpoch..<(firstEpoch + epochs) {
            let epochStart = Date()
            let batches = images.batches(size: perStep, shuffle: true, dropLast: true, generator: trainer.random)
            let progress = ProgressBar(
                label: "epoch \(epoch)/\(firstEpoch + epochs - 1)", total: batches.count,
                samplesPerStep: perStep)
            var sums = (d: 0.0, g: 0.0, real: 0.0, fake: 0.0), count = 0
            for (index, batch) in batches.enumerated() {
                if configuration.instanceNoise > 0 { // annealed linearly to 0 over the run
                    trainer.instanceNoise =
                        configuration.instanceNoise * max(0, 1 - Float(trainer.step) / Float(totalSteps))
                }
                let statistics = trainer.step(real: batch.inputs, labels: conditional ? batch.labels : nil)
                guard statistics.isFinite else {
                    progress.finish()
                    summary.divergence = TrainingDivergedError(
                        what: "GAN training", position: "step \(trainer.step + 1)",
                        detail:
                            "D loss \(statistics.discriminatorLoss), G loss \(statistics.generatorLoss), D gradient norm \(statistics.discriminatorGradientNorm)"
                    )
                    let kept =
                        FileManager.default.fileExists(atPath: checkpoint.path)
                        ? "kept \(checkpoint.lastPathComponent) from epoch \(epoch - 1)" : "no checkpoint yet"
                    output(
                        "gan: diverged at step \(trainer.step + 1) (D loss \(statistics.discriminatorLoss), "
                            + "G loss \(statistics.generatorLoss), "
                            + "D gradient norm \(statistics.discriminatorGradientNorm)); stopped, \(kept)")
                    folder.log([
                        "part": "gan", "event": "diverged", "step": trainer.step + 1, "epoch": epoch,
                        "discriminator_loss": statistics.discriminatorLoss, "generator_loss": statistics.generatorLoss
                    ])
                    folder.addText(
                        title: "Divergence",
                        text:
                            "Training diverged at step \(trainer.step + 1) of epoch \(epoch): a loss or gradient became NaN or infinite. The run stopped; the last good checkpoint (\(kept)) is unchanged."
                    )
                    break epochs
                }
                sums.d += Double(statistics.discriminatorLoss)
                sums.g += Double(statistics.generatorLoss)
                sums.real += Double(statistics.realScore)
                sums.fake += Double(statistics.fakeScore)
                count += 1
                if trainer.step % 25 == 0 || index == batches.count - 1 {
                    folder.log([
                        "part": "gan", "epoch": epoch, "step": trainer.step,
                        "discriminator_loss": statistics.discriminatorLoss, "generator_loss": statistics.generatorLoss,
                        "d_real": statistics.realScore, "d_fake": statistics.fakeScore,
                        "discriminator_gradient_norm": statistics.discriminatorGradientNorm,
                        "generator_gradient_norm": statistics.generatorGradientNorm
                    ])
                    points.append(
                        Point(
                            step: Double(trainer.step), lossD: sums.d / Double(count), lossG: sums.g / Double(count),
                            real: sums.real / Double(count), fake: sums.fake / Double(count),
                            normD: Double(statistics.discriminatorGradientNorm),
                            normG: Double(statistics.generatorGradientNorm)))
                }
                progress.update(
                    step: index + 1,
                    values: [
                        ("D", sums.d / Double(count)), ("G", sums.g / Double(count)),
                        ("D(x)", sums.real / Double(count)), ("D(G(z))", sums.fake / Double(count))
                    ])
                if let timeBudget, Date().timeIntervalSince(started) > timeBudget { break }
            }
            progress.finish()
            let seconds = Date().timeIntervalSince(epochStart)
            summary.epochsCompleted = epoch
            summary.steps = trainer.step
            summary.secondsPerEpoch = seconds
            let grid = folder.file(String(format: "samples-epoch-%03d.png", epoch))
            try fixed.write(to: grid)
            summary.lastSampleGrid = grid
            var record: [(String, any MetricValue)] = [
                ("part", "gan"), ("epoch", epoch), ("step", trainer.step), ("seconds", seconds),
                ("discriminator_loss", sums.d / Double(max(count, 1))),
                ("generator_loss", sums.g / Double(max(count, 1))),
                ("d_real", sums.real / Double(max(count, 1))), ("d_fake", sums.fake / Double(max(count, 1)))
            ]
            var line = String(
                format: "epoch %d  D %.4f  G %.4f  D(x) %.3f  D(G(z)) %.3f  %.1f steps/s", epoch,
                sums.d / Double(max(count, 1)), sums.g / Double(max(count, 1)), sums.real / Double(max(count, 1)),
                sums.fake / Double(max(count, 1)), Double(count) / seconds)
            if let evaluation {
                let result = evaluation.evaluate(
                    trainer.samplingGenerator, latentDistribution: configuration.latentDistribution,
                    seed: 1_000 + UInt64(epoch))
                summary.lastEvaluation = result
                record += evaluation.record(result)
                line += String(
                    format: "  FID %.2f  IS %.2f  classes %d  KL %.3f", result.frechetDistance,
                    result.inceptionScore, result.coveredClasses, result.klFromUniform)
            }
            folder.log(MetricRecord(record))
            output(line)
            var extra = ["epoch": "\(epoch)"]
            if let limit { extra["limit"] = "\(limit)" }
            if let classes { extra["classes"] = classes.map(String.init).joined(separator: ",") }
            try trainer.save(to: checkpoint, extra: extra)
            try writeFigures(points: points, summary: summary, folder: folder, addingSections: false) // current on disk
            summary.checkpoint = checkpoint
            if let timeBudget, Date().timeIntervalSince(started) > timeBudget { break }
        }
        try writeFigures(points: points, summary: summary, folder: folder, addingSections: true)
        return summary
    }

    /// Writes the curves; with `addingSections`, also adds them and the last grid to the report.
    private func writeFigures(points: [Point], summary: Summary, folder: RunFolder, addingSections: Bool) throws {
        func add(title: String, files: [URL], caption: String) {
            if addingSections { folder.addFigure(title: title, files: files, caption: caption) }
        }
        if summary.epochsCompleted >= firstEpoch {
            let last = folder.file(String(format: "samples-epoch-%03d.png", summary.epochsCompleted))
            add(
                title: "Samples after epoch \(summary.epochsCompleted)", files: [last],
                caption: "The same latent vectors after every epoch (samples-epoch-*.png)"
                    + (trainer.configuration.model.classCount != nil ? "; row k is class k." : "."))
        }
        guard points.count >= 2 else { return }
        let losses = LineChart(
            title: "GAN losses", xLabel: "generator step", yLabel: "loss (running mean per epoch)",
            series: [
                .init(name: "D loss", points: points.map { ($0.step, $0.lossD) }),
                .init(name: "G loss", points: points.map { ($0.step, $0.lossG) })
            ])
        add(
            title: "Losses", files: try Figure.write(svg: losses.svg(), to: folder.file("gan-losses.svg")),
            caption: "Running means within each epoch.")
        let probability = trainer.configuration.objective.hasProbabilityOutput
        let scores = LineChart(
            title: probability ? "D(x) and D(G(z))" : "Critic scores", xLabel: "generator step",
            yLabel: probability ? "mean probability of 'real'" : "mean critic output",
            series: [
                .init(name: probability ? "D(x), real" : "ℓ(x), real", points: points.map { ($0.step, $0.real) }),
                .init(name: probability ? "D(G(z)), fake" : "ℓ(G(z)), fake", points: points.map { ($0.step, $0.fake) })
            ])
        add(
            title: "Discriminator outputs",
            files: try Figure.write(svg: scores.svg(), to: folder.file("gan-d-outputs.svg")),
            caption: "A healthy game keeps both away from 0 and 1; D(G(z)) → 0 with D(x) → 1 means D has won.")
        let norms = LineChart(
            title: "Gradient norms", xLabel: "generator step", yLabel: "global L2 norm",
            series: [
                .init(name: "D", points: points.map { ($0.step, $0.normD) }),
                .init(name: "G", points: points.map { ($0.step, $0.normG) })
            ])
        add(
            title: "Gradient norms",
            files: try Figure.write(svg: norms.svg(), to: folder.file("gan-gradient-norms.svg")),
            caption: "At the logged steps; a sudden rise announces divergence.")
    }
}

/// Problems of a GAN run that the user can fix.
public enum GANRunError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The training images do not fill one generator step (batch size × discriminator steps).
    case tooFewImages(have: Int, need: Int)

    public var description: String {
        switch self {
        case let .tooFewImages(have, need):
            "only \(have) training images for a step of \(need) (batch size × discriminator steps); use a smaller --batch-size or a larger --limit"
        }
    }
}

/// The picture of a fixed latent batch, drawn after every epoch so that progress is visible.
public struct GANSampleGrid {
    /// The trainer whose sampling generator draws the grid.
    public let trainer: GANTrainer
    /// The fixed latent vectors.
    public let latents: Tensor
    /// The labels of a conditional GAN's rows (`nil` for an unconditional one).
    public let labels: [Int]?

    /// 64 fixed latents (8 per class for a conditional GAN), from a stream of their own.
    public init(trainer: GANTrainer, conditional: Bool) {
        self.trainer = trainer
        let size = trainer.configuration.model.latentSize
        // Its own stream: drawing it must not change the training's random numbers.
        let classes = trainer.configuration.model.classCount ?? 0
        let count = conditional ? classes * 8 : 64
        latents = trainer.configuration.latentDistribution.sample(
            count: count, size: size,
            generator: RandomGenerator(seed: trainer.configuration.seed &+ 99))
        labels = conditional ? (0..<count).map { $0 / 8 } : nil
    }

    /// Writes the grid: 8 columns; for a conditional GAN, row k is class k.
    public func write(to url: URL) throws {
        let samples = toPixelRange(trainer.sample(latents: latents, labels: labels))
        try PNG.write(ImageGrid.tiled(samples, columns: 8), to: url)
    }
}
