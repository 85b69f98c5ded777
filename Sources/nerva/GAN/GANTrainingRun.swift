import Foundation
import NervaData
import NervaGAN
import NervaNN

/// A complete GAN training run into a run folder: progress, metrics every few steps, a sample
/// grid from a fixed latent batch after every epoch, loss and `D`-output curves, a resumable
/// checkpoint after every epoch, optional FID / mode coverage against a classifier, and a report.
/// Used by `nerva gan train` and the tour.
struct GANTrainingRun {
    /// The trainer, new or resumed.
    let trainer: GANTrainer
    /// The epoch to start from (1 for a new run).
    let firstEpoch: Int
    let epochs: Int
    /// Use only the first N training images.
    let limit: Int?
    /// Train only on these classes (all when `nil`): one class makes a deliberately collapsed run.
    let classes: [Int]?
    /// Measure FID and mode coverage after each epoch with this classifier.
    let evaluation: GANEvaluationRun?
    /// Stop after this many seconds (the tour's budget), at the end of a step.
    var timeBudget: Double? = nil

    /// The most epochs one run takes: far beyond any useful run, and small enough that step
    /// counts (epochs × steps per epoch) never overflow.
    static let maximumEpochs = 1_000_000

    struct Summary {
        var epochsCompleted: Int
        var steps: Int
        var diverged: Bool { divergence != nil }
        /// Why the run stopped early: the step and the value that was not finite.
        var divergence: TrainingDivergedError?
        var checkpoint: URL?
        var lastEvaluation: GANEvaluationResult?
        var secondsPerEpoch: Double
    }

    /// Records per logged step, for the curves.
    private struct Point { let step: Double; let lossD, lossG, real, fake, normD, normG: Double }

    func run(on dataset: FashionMNIST, folder: RunFolder) throws -> Summary {
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
        print("gan: \(configuration.model.architecture.rawValue), G \(trainer.generator.parameterCount) and D \(trainer.discriminator.parameterCount) parameters; \(pool.count) training images; \(configuration.objective.rawValue) loss")

        var summary = Summary(epochsCompleted: firstEpoch - 1, steps: trainer.step, checkpoint: nil,
                              lastEvaluation: nil, secondsPerEpoch: 0)
        var points: [Point] = []
        let stepsPerEpoch = pool.count / perStep
        let totalSteps = max(1, (firstEpoch - 1 + epochs) * stepsPerEpoch)
        let started = Date()
        let checkpoint = folder.file("gan-checkpoint.safetensors")
        epochs: for epoch in firstEpoch..<(firstEpoch + epochs) {
            let epochStart = Date()
            let batches = images.batches(size: perStep, shuffle: true, dropLast: true, generator: trainer.random)
            let progress = ProgressBar(label: "epoch \(epoch)/\(firstEpoch + epochs - 1)", total: batches.count,
                                       samplesPerStep: perStep)
            var sums = (d: 0.0, g: 0.0, real: 0.0, fake: 0.0), count = 0
            for (index, batch) in batches.enumerated() {
                if configuration.instanceNoise > 0 {   // annealed linearly to 0 over the run
                    trainer.instanceNoise = configuration.instanceNoise * max(0, 1 - Float(trainer.step) / Float(totalSteps))
                }
                let statistics = trainer.step(real: batch.inputs, labels: conditional ? batch.labels : nil)
                guard statistics.isFinite else {
                    progress.finish()
                    summary.divergence = TrainingDivergedError(
                        what: "GAN training", position: "step \(trainer.step + 1)",
                        detail: "D loss \(statistics.discriminatorLoss), G loss \(statistics.generatorLoss), D gradient norm \(statistics.discriminatorGradientNorm)")
                    let kept = FileManager.default.fileExists(atPath: checkpoint.path) ? "kept \(checkpoint.lastPathComponent) from epoch \(epoch - 1)" : "no checkpoint yet"
                    print("gan: diverged at step \(trainer.step + 1) (D loss \(statistics.discriminatorLoss), G loss \(statistics.generatorLoss), D gradient norm \(statistics.discriminatorGradientNorm)); stopped, \(kept)")
                    folder.log(["part": "gan", "event": "diverged", "step": trainer.step + 1, "epoch": epoch,
                                "discriminator_loss": statistics.discriminatorLoss, "generator_loss": statistics.generatorLoss])
                    folder.addText(title: "Divergence", text: "Training diverged at step \(trainer.step + 1) of epoch \(epoch): a loss or gradient became NaN or infinite. The run stopped; the last good checkpoint (\(kept)) is unchanged.")
                    break epochs
                }
                sums.d += Double(statistics.discriminatorLoss); sums.g += Double(statistics.generatorLoss)
                sums.real += Double(statistics.realScore); sums.fake += Double(statistics.fakeScore)
                count += 1
                if trainer.step % 25 == 0 || index == batches.count - 1 {
                    folder.log(["part": "gan", "epoch": epoch, "step": trainer.step,
                                "discriminator_loss": statistics.discriminatorLoss, "generator_loss": statistics.generatorLoss,
                                "d_real": statistics.realScore, "d_fake": statistics.fakeScore,
                                "discriminator_gradient_norm": statistics.discriminatorGradientNorm,
                                "generator_gradient_norm": statistics.generatorGradientNorm])
                    points.append(Point(step: Double(trainer.step), lossD: sums.d / Double(count), lossG: sums.g / Double(count),
                                        real: sums.real / Double(count), fake: sums.fake / Double(count),
                                        normD: Double(statistics.discriminatorGradientNorm),
                                        normG: Double(statistics.generatorGradientNorm)))
                }
                progress.update(step: index + 1, values: [("D", sums.d / Double(count)), ("G", sums.g / Double(count)),
                                                          ("D(x)", sums.real / Double(count)), ("D(G(z))", sums.fake / Double(count))])
                if let timeBudget, Date().timeIntervalSince(started) > timeBudget { break }
            }
            progress.finish()
            let seconds = Date().timeIntervalSince(epochStart)
            summary.epochsCompleted = epoch
            summary.steps = trainer.step
            summary.secondsPerEpoch = seconds
            try fixed.write(to: folder.file(String(format: "samples-epoch-%03d.png", epoch)))
            var record: [(String, any MetricValue)] = [
                ("part", "gan"), ("epoch", epoch), ("step", trainer.step), ("seconds", seconds),
                ("discriminator_loss", sums.d / Double(max(count, 1))), ("generator_loss", sums.g / Double(max(count, 1))),
                ("d_real", sums.real / Double(max(count, 1))), ("d_fake", sums.fake / Double(max(count, 1)))]
            var line = String(format: "epoch %d  D %.4f  G %.4f  D(x) %.3f  D(G(z)) %.3f  %.1f steps/s", epoch,
                              sums.d / Double(max(count, 1)), sums.g / Double(max(count, 1)), sums.real / Double(max(count, 1)),
                              sums.fake / Double(max(count, 1)), Double(count) / seconds)
            if let evaluation {
                let result = evaluation.evaluate(trainer.samplingGenerator, latentDistribution: configuration.latentDistribution,
                                                 seed: 1_000 + UInt64(epoch))
                summary.lastEvaluation = result
                record += evaluation.record(result)
                line += String(format: "  FID %.2f  IS %.2f  classes %d  KL %.3f", result.frechetDistance,
                               result.inceptionScore, result.coveredClasses, result.klFromUniform)
            }
            folder.log(MetricRecord(record))
            print(line)
            var extra = ["epoch": "\(epoch)"]
            if let limit { extra["limit"] = "\(limit)" }
            if let classes { extra["classes"] = classes.map(String.init).joined(separator: ",") }
            try trainer.save(to: checkpoint, extra: extra)
            try writeFigures(points: points, summary: summary, folder: folder, addingSections: false)   // current on disk
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
            add(title: "Samples after epoch \(summary.epochsCompleted)", files: [last],
                             caption: "The same latent vectors after every epoch (samples-epoch-*.png)"
                                + (trainer.configuration.model.classCount != nil ? "; row k is class k." : "."))
        }
        guard points.count >= 2 else { return }
        let losses = LineChart(title: "GAN losses", xLabel: "generator step", yLabel: "loss (running mean per epoch)", series: [
            .init(name: "D loss", points: points.map { ($0.step, $0.lossD) }),
            .init(name: "G loss", points: points.map { ($0.step, $0.lossG) }),
        ])
        add(title: "Losses", files: try Figure.write(svg: losses.svg(), to: folder.file("gan-losses.svg")),
                         caption: "Running means within each epoch.")
        let probability = trainer.configuration.objective.hasProbabilityOutput
        let scores = LineChart(title: probability ? "D(x) and D(G(z))" : "Critic scores", xLabel: "generator step",
                               yLabel: probability ? "mean probability of 'real'" : "mean critic output", series: [
            .init(name: probability ? "D(x), real" : "ℓ(x), real", points: points.map { ($0.step, $0.real) }),
            .init(name: probability ? "D(G(z)), fake" : "ℓ(G(z)), fake", points: points.map { ($0.step, $0.fake) }),
        ])
        add(title: "Discriminator outputs", files: try Figure.write(svg: scores.svg(), to: folder.file("gan-d-outputs.svg")),
                         caption: "A healthy game keeps both away from 0 and 1; D(G(z)) → 0 with D(x) → 1 means D has won.")
        let norms = LineChart(title: "Gradient norms", xLabel: "generator step", yLabel: "global L2 norm", series: [
            .init(name: "D", points: points.map { ($0.step, $0.normD) }),
            .init(name: "G", points: points.map { ($0.step, $0.normG) }),
        ])
        add(title: "Gradient norms", files: try Figure.write(svg: norms.svg(), to: folder.file("gan-gradient-norms.svg")),
                         caption: "At the logged steps; a sudden rise announces divergence.")
    }
}

/// Problems of a GAN run that the user can fix.
enum GANRunError: Error, CustomStringConvertible {
    case tooFewImages(have: Int, need: Int)

    var description: String {
        switch self {
        case let .tooFewImages(have, need):
            "only \(have) training images for a step of \(need) (batch size × discriminator steps); use a smaller --batch-size or a larger --limit"
        }
    }
}

/// The picture of a fixed latent batch, drawn after every epoch so that progress is visible.
struct GANSampleGrid {
    let trainer: GANTrainer
    let latents: Tensor
    let labels: [Int]?

    init(trainer: GANTrainer, conditional: Bool) {
        self.trainer = trainer
        let size = trainer.configuration.model.latentSize
        // Its own stream: drawing it must not change the training's random numbers.
        let classes = trainer.configuration.model.classCount ?? 0
        let count = conditional ? classes * 8 : 64
        latents = trainer.configuration.latentDistribution.sample(count: count, size: size,
                                                                   generator: RandomGenerator(seed: trainer.configuration.seed &+ 99))
        labels = conditional ? (0..<count).map { $0 / 8 } : nil
    }

    /// Writes the grid: 8 columns; for a conditional GAN, row k is class k.
    func write(to url: URL) throws {
        let samples = toPixelRange(trainer.sample(latents: latents, labels: labels))
        try PNG.write(ImageGrid.tiled(samples, columns: 8), to: url)
    }
}
