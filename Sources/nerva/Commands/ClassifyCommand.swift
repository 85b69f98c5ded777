import ArgumentParser
import Foundation
import NervaData
import NervaNN
import NervaVision

/// `nerva classify`: trains an MLP or a LeNet-style CNN on Fashion-MNIST, reports test accuracy,
/// and writes learning curves, a confusion matrix, a checkpoint and a report. Every unset flag
/// takes `ClassificationConfiguration`'s default.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Train an image classifier on Fashion-MNIST and report its test accuracy.",
        discussion: "Evaluate a saved model without training with --epochs 0 --checkpoint FILE."
    )

    private static let defaults = ClassificationConfiguration()

    @Option(
        help: ArgumentHelp(
            "The architecture: "
                + "\(ImageClassification.Architecture.allCases.map(\.rawValue).joined(separator: ", ")) "
                + "(default \(defaults.architecture.rawValue))."))
    var model: ImageClassification.Architecture?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Passes over the training set (default "
                + "\(ClassificationConfiguration.defaultEpochs(for: .mlp)) for mlp, "
                + "\(ClassificationConfiguration.defaultEpochs(for: .cnn)) for the CNNs)."))
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Images per optimisation step (default \(defaults.batchSize)).")
    var batchSize: Int?

    @Option(
        parsing: .unconditional,
        help: "Adam's initial learning rate, annealed to 0 by a cosine (default \(defaults.learningRate)).")
    var learningRate: Float?

    @Option(
        help: ArgumentHelp(
            "Training-image variation: "
                + "\(ImageClassification.Augmentation.allCases.map(\.rawValue).joined(separator: ", ")) "
                + "(default \(defaults.augmentation.rawValue))."))
    var augment: ImageClassification.Augmentation?

    @Option(parsing: .unconditional, help: "Use only the first N training images (quick runs).")
    var limit: Int?

    @Option(help: "Start from this safetensors checkpoint (same architecture).")
    var checkpoint: String?

    @Option(
        help: "Continue the interrupted run in this folder (its training-state.safetensors); --epochs may extend it.")
    var resume: String?

    @Option(help: "The Fashion-MNIST folder (default \(FashionMNIST.defaultDirectory.path)).")
    var data: String?

    @Option(help: "Output folder (default ./nerva-out/classify-<timestamp>).")
    var out: String?

    @Option(parsing: .unconditional, help: "Random seed (default \(defaults.seed)).")
    var seed: UInt64?

    /// The library's configuration with the given flags applied.
    func makeConfiguration() -> ClassificationConfiguration {
        var configuration = ClassificationConfiguration(architecture: model ?? Self.defaults.architecture)
        if let augment { configuration.augmentation = augment }
        if let epochs { configuration.epochs = epochs }
        if let batchSize { configuration.batchSize = batchSize }
        if let learningRate { configuration.learningRate = learningRate }
        configuration.limit = limit
        if let seed { configuration.seed = seed }
        return configuration
    }

    func validate() throws {
        do {
            try makeConfiguration().validate()
        } catch let error as ConfigurationError {
            throw error.asFlagError
        }
        if resume != nil {
            let fixed = [
                ("--model", model != nil), ("--batch-size", batchSize != nil),
                ("--learning-rate", learningRate != nil), ("--augment", augment != nil),
                ("--limit", limit != nil), ("--seed", seed != nil), ("--checkpoint", checkpoint != nil),
                ("--out", out != nil)
            ]
            .filter(\.1).map(\.0)
            if !fixed.isEmpty {
                throw ValidationError(
                    "--resume continues a run with its own settings; "
                        + "drop \(fixed.joined(separator: ", ")).")
            }
        } else if epochs == 0 && checkpoint == nil {
            throw ValidationError("--epochs 0 evaluates a model: give it with --checkpoint FILE.")
        }
    }

    func run() throws {
        let configuration: ClassificationConfiguration
        let folder: RunFolder
        if let resume {
            do {
                configuration = try ClassificationRun.resumedConfiguration(
                    in: URL(fileURLWithPath: resume),
                    extendedEpochs: epochs)
            } catch ClassificationStateError.missing(_, ClassificationState.fileName) {
                throw ValidationError(
                    "--resume \(resume): no \(ClassificationState.fileName) there; give the folder "
                        + "of a `nerva classify` run that finished at least one epoch.")
            }
            folder = try RunFolder(
                command: "classify", out: resume,
                settings: Self.table(configuration, checkpoint: nil), continuing: true)
        } else {
            configuration = makeConfiguration()
            folder = try RunFolder(
                command: "classify", out: out,
                settings: Self.table(configuration, checkpoint: checkpoint))
        }
        print("nerva classify → \(folder.url.path)")
        let dataset = try FashionMNIST(
            directory: data.map { URL(fileURLWithPath: $0) }
                ?? FashionMNIST.defaultDirectory)
        let start = checkpoint.map { URL(fileURLWithPath: $0) }
        let result = try ClassificationRun(configuration: configuration, checkpoint: start, resumes: resume != nil)
            .run(on: dataset, folder: folder)
        try folder.writeReport()
        print("test accuracy \(String(format: "%.4f", result.testAccuracy)); report: \(folder.file("index.html").path)")
    }

    /// The configuration's settings table with the starting checkpoint.
    private static func table(_ configuration: ClassificationConfiguration, checkpoint: String?) -> [(String, String)] {
        configuration.settingsTable + [("checkpoint", checkpoint ?? "none")]
    }
}

extension ImageClassification.Architecture: ExpressibleByArgument {}
extension ImageClassification.Augmentation: ExpressibleByArgument {}
