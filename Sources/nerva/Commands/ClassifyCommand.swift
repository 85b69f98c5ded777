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

    @Option(help: "The architecture: \(ImageClassification.Architecture.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: ImageClassification.Architecture = .mlp

    @Option(help: "Passes over the training set.")
    var epochs: Int = 12

    @Option(help: "Images per optimisation step.")
    var batchSize: Int = 64

    @Option(help: "Adam's learning rate.")
    var learningRate: Float = 1e-3

    @Option(help: "Use only the first N training images (quick runs).")
    var limit: Int?

    @Option(help: "Start from this safetensors checkpoint (same architecture).")
    var checkpoint: String?

    @Option(help: "The Fashion-MNIST folder (default \(FashionMNIST.defaultDirectory.path)).")
    var data: String?

    @Option(help: "Output folder (default ./nerva-out/classify-<timestamp>).")
    var out: String?

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    func validate() throws {
        guard epochs >= 0 else { throw ValidationError("--epochs must be 0 or more, got \(epochs).") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive, got \(batchSize).") }
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive, got \(learningRate).") }
        if let limit, limit < 10 { throw ValidationError("--limit must be at least 10, got \(limit).") }
        if epochs == 0 && checkpoint == nil { throw ValidationError("--epochs 0 evaluates a model: give it with --checkpoint FILE.") }
    }

    func run() throws {
        let settings = [("model", model.rawValue), ("epochs", "\(epochs)"), ("batch size", "\(batchSize)"),
                        ("learning rate", "\(learningRate)"), ("limit", limit.map(String.init) ?? "all"),
                        ("checkpoint", checkpoint ?? "none"), ("seed", "\(seed)")]
        let folder = try RunFolder(command: "classify", out: out, settings: settings)
        print("nerva classify → \(folder.url.path)")
        let dataset = try FashionMNIST(directory: data.map { URL(fileURLWithPath: $0) } ?? FashionMNIST.defaultDirectory)
        let result = try ClassificationRun(architecture: model, epochs: epochs, batchSize: batchSize,
                                           learningRate: learningRate, limit: limit, seed: seed,
                                           checkpoint: checkpoint.map { URL(fileURLWithPath: $0) })
            .run(on: dataset, folder: folder)
        try folder.writeReport()
        print("test accuracy \(String(format: "%.4f", result.testAccuracy)); report: \(folder.file("index.html").path)")
    }
}

extension ImageClassification.Architecture: ExpressibleByArgument {}
