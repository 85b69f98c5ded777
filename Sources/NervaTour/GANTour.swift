import Foundation
import NervaData
import NervaGAN

/// The GAN part of the tour: an MLP GAN with the R1 remedy (a penalty on `D`'s gradient at real
/// images, which keeps the game from collapsing onto a few garments) trained on Fashion-MNIST for
/// three epochs (2,811 steps) or at most 40 seconds, with its sample grid, loss and `D`-output curves,
/// and — measured with the vision part's classifier when it is in the folder — FID, the real-data
/// floor and the class histogram of its samples.
public struct GANTour: TourPart {
    /// The part's name in the summary table.
    public let title = "gan: MLP GAN with the R1 remedy"
    /// The seed of the GAN and the batches.
    public let seed: UInt64
    /// The tour's folder.
    public let folder: RunFolder
    /// The Fashion-MNIST folder (`nil`: the default one).
    public let dataDirectory: URL?
    /// Epochs of training (after one, samples are blurred garments; after three, recognisable ones).
    public var epochs = 3
    /// The most seconds of training: on a slower machine, training is cut short.
    public var budget: Double = 40
    /// The remedy for instability the tour applies to the baseline GAN.
    public static let remedy = GANRemedy.r1

    /// The GAN part.
    /// - Parameters:
    ///   - seed: The seed of the GAN and the batches.
    ///   - folder: The tour's folder; when it holds the vision part's classifier, the samples are measured with it.
    ///   - dataDirectory: The Fashion-MNIST folder (`nil`: the default one); without it the part is skipped.
    public init(seed: UInt64, folder: RunFolder, dataDirectory: URL?) {
        self.seed = seed
        self.folder = folder
        self.dataDirectory = dataDirectory
    }

    /// The library's MLP GAN with the remedy applied.
    public var configuration: GANTrainingConfiguration {
        var configuration = GANTrainingConfiguration(model: GANModelConfiguration(architecture: .mlp))
        configuration.seed = seed
        return Self.remedy.applied(to: configuration)
    }

    /// Runs the part into the tour's folder: progress on standard output, records, figures and
    /// text in the folder's report.
    /// - Returns: The part's result in one line (or why it was skipped).
    @discardableResult
    public func run() throws -> String {
        print(
            "gan: an MLP GAN on Fashion-MNIST with the \(Self.remedy.rawValue) remedy (\(Self.remedy.summary); "
                + "\(epochs) epochs, at most \(Int(budget)) s)")
        guard
            let dataset = FashionMNIST.forTour(
                part: "Generative adversarial network", directory: dataDirectory,
                folder: folder)
        else { return "skipped: no Fashion-MNIST" }
        let trainer = GANTrainer(configuration)
        let classifier = folder.file("classifier-cnn.safetensors")
        let evaluation =
            FileManager.default.fileExists(atPath: classifier.path)
            ? try GANEvaluationRun(
                classifier: classifier, dataset: dataset,
                sampleCount: GANEvaluationRun.defaultSampleCount)
            : nil
        let run = try GANTrainingRun(trainer: trainer, epochs: epochs, evaluation: evaluation, timeBudget: budget)
        let summary = try run.run(on: dataset, folder: folder)
        folder.addText(
            title: "GAN remedy",
            text: """
                A plain GAN trained this briefly collapses onto a few garments and draws blurred noise. The tour \
                applies the \(Self.remedy.rawValue) remedy: \(Self.remedy.summary) (Mescheder et al. 2018, "Which \
                training methods for GANs do actually converge?"). Compare the remedies one at a time with \
                `nerva gan remedies`.
                """)
        let plannedSteps = epochs * (dataset.train.count / configuration.batchSize)
        let cut = summary.steps < plannedSteps ? ", cut by the \(Int(budget)) s budget" : ""
        var line = "  \(summary.steps) of \(plannedSteps) steps\(cut)"
        var result = "\(summary.steps) steps\(cut), remedy \(Self.remedy.rawValue)"
        if let evaluation, let measured = summary.lastEvaluation {
            let floor = evaluation.realDataFloor(dataset, count: GANEvaluationRun.defaultSampleCount, seed: seed)
            try evaluation.report(measured, floor: floor, name: "tour MLP GAN", folder: folder)
            let figures = String(
                format: "FID %.2f (real-data floor %.2f), %d/10 classes, KL from uniform %.3f",
                measured.frechetDistance, floor, measured.coveredClasses, measured.klFromUniform)
            line += "; " + figures
            result += "; " + figures
        }
        if let divergence = summary.divergence { result += "; stopped: \(divergence)" }
        print(line)
        return result
    }
}
