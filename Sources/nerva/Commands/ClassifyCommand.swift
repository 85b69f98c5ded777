import ArgumentParser
import Foundation
import NervaData
import NervaNN
import NervaTensor

/// `nerva classify`: trains an MLP or a LeNet-style CNN on Fashion-MNIST, reports test accuracy,
/// and writes learning curves, a confusion matrix, a checkpoint and a report.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Train an image classifier on Fashion-MNIST and report its test accuracy.",
        discussion: "Evaluate a saved model without training with --epochs 0 --checkpoint FILE."
    )

    @Option(help: "The architecture: \(ImageClassification.Architecture.allCases.map(\.rawValue).joined(separator: ", ")) (default mlp).")
    var model: ImageClassification.Architecture?

    @Option(parsing: .unconditional, help: "Passes over the training set (default 12 for mlp, 20 for the CNNs).")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Images per optimisation step (default 64).")
    var batchSize: Int?

    @Option(parsing: .unconditional, help: "Adam's initial learning rate, annealed to 0 by a cosine (default 0.001).")
    var learningRate: Float?

    @Option(help: "Training-image variation: \(ImageClassification.Augmentation.allCases.map(\.rawValue).joined(separator: ", ")) (default flip).")
    var augment: ImageClassification.Augmentation?

    @Option(parsing: .unconditional, help: "Use only the first N training images (quick runs).")
    var limit: Int?

    @Option(help: "Start from this safetensors checkpoint (same architecture).")
    var checkpoint: String?

    @Option(help: "Continue the interrupted run in this folder (its training-state.safetensors); --epochs may extend it.")
    var resume: String?

    @Option(help: "The Fashion-MNIST folder (default \(FashionMNIST.defaultDirectory.path)).")
    var data: String?

    @Option(help: "Output folder (default ./nerva-out/classify-<timestamp>).")
    var out: String?

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64?

    func validate() throws {
        if let epochs, !(0...ImageClassification.maximumEpochs).contains(epochs) {
            throw ValidationError("--epochs must be in 0…\(ImageClassification.maximumEpochs), got \(epochs).")
        }
        if let batchSize, batchSize <= 0 { throw ValidationError("--batch-size must be positive, got \(batchSize).") }
        if let learningRate, !(learningRate > 0) { throw ValidationError("--learning-rate must be positive, got \(learningRate).") }
        if let limit, limit < 10 { throw ValidationError("--limit must be at least 10, got \(limit).") }
        if resume != nil {
            let fixed = [("--model", model != nil), ("--batch-size", batchSize != nil), ("--learning-rate", learningRate != nil),
                         ("--augment", augment != nil), ("--limit", limit != nil), ("--seed", seed != nil),
                         ("--checkpoint", checkpoint != nil), ("--out", out != nil)].filter(\.1).map(\.0)
            if !fixed.isEmpty {
                throw ValidationError("--resume continues a run with its own settings; drop \(fixed.joined(separator: ", ")).")
            }
        } else if epochs == 0 && checkpoint == nil {
            throw ValidationError("--epochs 0 evaluates a model: give it with --checkpoint FILE.")
        }
    }

    func run() throws {
        var settings: ClassificationState.Settings
        let folder: RunFolder
        if let resume {
            let stateFile = URL(fileURLWithPath: resume).appendingPathComponent(ClassificationState.fileName)
            guard FileManager.default.fileExists(atPath: stateFile.path) else {
                throw ValidationError("--resume \(resume): no \(ClassificationState.fileName) there; give the folder of a `nerva classify` run that finished at least one epoch.")
            }
            settings = try ClassificationState(contentsOf: stateFile).settings
            if let epochs { settings.epochs = max(epochs, settings.epochs) }
            folder = try RunFolder(command: "classify", out: resume, settings: Self.table(settings, checkpoint: nil),
                                   continuing: true)
        } else {
            let architecture = model ?? .mlp
            settings = .init(architecture: architecture, augmentation: augment ?? .flip,
                             epochs: epochs ?? (architecture == .mlp ? 12 : 20), batchSize: batchSize ?? 64,
                             learningRate: learningRate ?? 1e-3, limit: limit, seed: seed ?? 0)
            folder = try RunFolder(command: "classify", out: out, settings: Self.table(settings, checkpoint: checkpoint))
        }
        print("nerva classify → \(folder.url.path)")
        let dataset = try FashionMNIST(directory: data.map { URL(fileURLWithPath: $0) } ?? FashionMNIST.defaultDirectory)
        let result = try ClassificationRun(settings: settings, checkpoint: checkpoint.map { URL(fileURLWithPath: $0) },
                                           resumes: resume != nil)
            .run(on: dataset, folder: folder)
        try folder.writeReport()
        print("test accuracy \(String(format: "%.4f", result.testAccuracy)); report: \(folder.file("index.html").path)")
    }

    /// The settings as the report shows them.
    private static func table(_ settings: ClassificationState.Settings, checkpoint: String?) -> [(String, String)] {
        [("model", settings.architecture.rawValue), ("epochs", "\(settings.epochs)"), ("batch size", "\(settings.batchSize)"),
         ("learning rate", "\(settings.learningRate) (cosine to 0)"), ("augmentation", settings.augmentation.rawValue),
         ("limit", settings.limit.map(String.init) ?? "all"), ("checkpoint", checkpoint ?? "none"), ("seed", "\(settings.seed)")]
    }
}

extension ImageClassification.Architecture: ExpressibleByArgument {}
extension ImageClassification.Augmentation: ExpressibleByArgument {}
