import ArgumentParser
import Foundation
import NervaData
import NervaGAN
import NervaNN

/// `nerva gan train`: trains a GAN with every remedy for instability switchable.
struct GANTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an MLP GAN or a DCGAN on Fashion-MNIST; sample grids, curves, checkpoints, report.",
        discussion:
            "Resume an interrupted run with --resume CHECKPOINT (its settings are used). With --classifier FILE (from `nerva classify --model cnn`), FID and mode coverage are measured after every epoch."
    )

    /// The library's defaults; every flag's default is read from it.
    private static let defaults = GANTrainingConfiguration(model: GANModelConfiguration(architecture: .dcgan))

    @Option(help: "The architecture: mlp, dcgan.") var model: GANArchitecture = Self.defaults.model.architecture
    @Option(parsing: .unconditional, help: "Passes over the training set.")
    var epochs: Int = GANTrainingRun.defaultEpochs
    @Option(parsing: .unconditional, help: "Images per step (reals; as many fakes).")
    var batchSize: Int = Self.defaults.batchSize
    @Option(parsing: .unconditional, help: "The size d of the latent vector z.")
    var latentSize: Int = Self.defaults.model.latentSize
    @Option(
        help: ArgumentHelp(
            "The distribution of z: uniform (U[0,1]^d), normal (N(0,I)); either is centred to mean 0, "
                + "variance 1 before G's first layer."))
    var latent: LatentDistribution = Self.defaults.latentDistribution
    @Option(help: "The loss: minimax, non-saturating, least-squares, wgan-gp, hinge.")
    var objective: GANObjective = Self.defaults.objective
    @Option(help: "The optimiser of both networks: adam(β1,β2), adam (= adam(0.5,0.999)), rmsprop, sgd.")
    var optimizer: GANOptimizerKind = Self.defaults.optimizer
    @Option(parsing: .unconditional, help: "G's learning rate.")
    var generatorLearningRate: Float = Self.defaults.generatorLearningRate
    @Option(parsing: .unconditional, help: "D's learning rate.")
    var discriminatorLearningRate: Float = Self.defaults.discriminatorLearningRate
    @Option(parsing: .unconditional, help: "D steps per G step.")
    var discriminatorSteps: Int = Self.defaults.discriminatorSteps
    @Option(parsing: .unconditional, help: "One-sided label smoothing α: real targets 1 − α.")
    var labelSmoothing: Float = Self.defaults.labelSmoothing
    @Option(parsing: .unconditional, help: "Instance noise: std of Gaussian noise on D's inputs, annealed to 0.")
    var instanceNoise: Float = Self.defaults.instanceNoise
    @Option(parsing: .unconditional, help: "γ of the R1 penalty on D (0 = off).") var r1: Float = Self.defaults.r1Weight
    @Option(parsing: .unconditional, help: "λ of the WGAN-GP gradient penalty.")
    var gradientPenalty: Float = Self.defaults.gradientPenaltyWeight
    @Flag(help: "Spectral normalisation of D's weights.") var spectralNorm = false
    @Option(
        parsing: .unconditional,
        help: "Decay of an exponential moving average of G's weights for sampling (e.g. 0.999).")
    var ema: Float?
    @Flag(help: "Class-conditional GAN (cGAN): G and D see the label.") var conditional = false
    @Option(help: "Train only on these classes, comma-separated (e.g. 7; one class makes a collapsed run).")
    var classes: String?
    @Option(parsing: .unconditional, help: "Use only the first N training images.") var limit: Int?
    @Option(help: "Resume from this checkpoint (gan-checkpoint.safetensors of an earlier run).") var resume: String?
    @Option(help: "A Fashion-MNIST classifier checkpoint (nerva classify --model cnn) for FID and mode coverage.")
    var classifier: String?
    @Option(parsing: .unconditional, help: "Generated images per evaluation.")
    var evaluationSamples: Int = GANEvaluationRun.defaultSampleCount
    @Option(parsing: .unconditional, help: "Random seed.") var seed: UInt64 = Self.defaults.seed
    @OptionGroup var common: GANCommonOptions

    var classList: [Int]? {
        classes.map { $0.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
    }

    func validate() throws {
        guard (1...GANTrainingRun.maximumEpochs).contains(epochs) else {
            throw ValidationError("--epochs must be in 1…\(GANTrainingRun.maximumEpochs), got \(epochs).")
        }
        if let limit, limit < GANTrainingRun.minimumLimit {
            throw ValidationError("--limit must be at least \(GANTrainingRun.minimumLimit), got \(limit).")
        }
        if let classes,
            classList?.count != classes.split(separator: ",").count
                || classList!.contains(where: { !(0..<10).contains($0) })
        {
            throw ValidationError("--classes must be class numbers 0…9 separated by commas, got \"\(classes)\".")
        }
        guard (2...GANEvaluationRun.maximumSamples).contains(evaluationSamples) else {
            throw ValidationError(
                "--evaluation-samples must be in 2…\(GANEvaluationRun.maximumSamples) (the images are held in memory), got \(evaluationSamples)."
            )
        }
        try requireFile(resume, option: "--resume")
        try requireFile(classifier, option: "--classifier")
        if resume == nil, let problem = makeConfiguration().problem {
            throw ValidationError("invalid settings: \(problem).")
        }
    }

    func makeConfiguration() -> GANTrainingConfiguration {
        var configuration = GANTrainingConfiguration(
            model: GANModelConfiguration(
                architecture: model, latentSize: latentSize, classCount: conditional ? 10 : nil,
                spectralNormalization: spectralNorm))
        configuration.objective = objective
        configuration.latentDistribution = latent
        configuration.batchSize = batchSize
        configuration.optimizer = optimizer
        configuration.generatorLearningRate = generatorLearningRate
        configuration.discriminatorLearningRate = discriminatorLearningRate
        configuration.discriminatorSteps = discriminatorSteps
        configuration.labelSmoothing = labelSmoothing
        configuration.instanceNoise = instanceNoise
        configuration.r1Weight = r1
        configuration.gradientPenaltyWeight = gradientPenalty
        configuration.emaDecay = ema
        configuration.seed = seed
        return configuration
    }

    func run() throws {
        let trainer: GANTrainer, firstEpoch: Int
        var limit = self.limit, classList = self.classList
        if let resume {
            let point = try GANResumePoint(checkpoint: URL(fileURLWithPath: resume))
            for leftover in point.removedLeftovers {
                print("gan: removed \(leftover.lastPathComponent), left by an interrupted save")
            }
            trainer = point.trainer
            firstEpoch = point.firstEpoch
            // The run continues on the images it started with, unless the flags say otherwise.
            limit = limit ?? point.limit
            classList = classList ?? point.classes
        } else {
            trainer = GANTrainer(makeConfiguration())
            firstEpoch = 1
        }
        let settings =
            trainer.configuration.settingsTable + [
                ("epochs", "\(firstEpoch)…\(firstEpoch + epochs - 1)"),
                ("classes", classList.map { $0.map(String.init).joined(separator: ",") } ?? "all"),
                ("limit", limit.map(String.init) ?? "all"), ("resumed from", resume ?? "none"),
                ("classifier", classifier ?? "none")
            ]
        let folder = try RunFolder(command: "gan-train", out: common.out, settings: settings)
        print("nerva gan train → \(folder.url.path)")
        let dataset = try FashionMNIST(directory: common.dataDirectory)
        let evaluation = try classifier.map {
            try GANEvaluationRun(classifier: URL(fileURLWithPath: $0), dataset: dataset, sampleCount: evaluationSamples)
        }
        let summary = try GANTrainingRun(
            trainer: trainer, firstEpoch: firstEpoch, epochs: epochs, limit: limit,
            classes: classList, evaluation: evaluation
        ).run(on: dataset, folder: folder)
        if let evaluation, let result = summary.lastEvaluation {
            try evaluation.report(result, floor: nil, name: "epoch \(summary.epochsCompleted)", folder: folder)
        }
        try folder.writeReport()
        if let divergence = summary.divergence { throw divergence }
        print("checkpoint: \(summary.checkpoint?.path ?? "none"); report: \(folder.file("index.html").path)")
    }
}
