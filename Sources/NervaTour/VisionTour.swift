import Foundation
import NervaData
import NervaTensor
import NervaVision

/// The vision part of the tour: a LeNet-style CNN trained for one epoch on Fashion-MNIST, with
/// a grid of test images, the per-step learning curve, the confusion matrix and a checkpoint
/// (which the GAN part measures its samples with).
public struct VisionTour: TourPart {
    /// The part's name in the summary table.
    public let title = "vision: LeNet-5 on Fashion-MNIST"
    /// The seed of the model and the batches.
    public let seed: UInt64
    /// The tour's folder.
    public let folder: RunFolder
    /// The Fashion-MNIST folder (`nil`: the default one).
    public let dataDirectory: URL?

    /// The vision part.
    /// - Parameters:
    ///   - seed: The seed of the model and the batches.
    ///   - folder: The tour's folder (the classifier's checkpoint lands there for the GAN part).
    ///   - dataDirectory: The Fashion-MNIST folder (`nil`: the default one); without it the part is skipped.
    public init(seed: UInt64, folder: RunFolder, dataDirectory: URL?) {
        self.seed = seed
        self.folder = folder
        self.dataDirectory = dataDirectory
    }

    /// The tour's classification run: the library's CNN configuration for one epoch.
    public var configuration: ClassificationConfiguration {
        var configuration = ClassificationConfiguration(architecture: .cnn)
        configuration.epochs = 1
        configuration.seed = seed
        return configuration
    }

    /// Runs the part into the tour's folder: progress on standard output, records, figures and
    /// text in the folder's report.
    /// - Returns: The part's result in one line (or why it was skipped).
    @discardableResult
    public func run() throws -> String {
        print("vision: a LeNet-style CNN on Fashion-MNIST (one epoch)")
        guard
            let dataset = FashionMNIST.forTour(
                part: "Fashion-MNIST classifier", directory: dataDirectory,
                folder: folder)
        else { return "skipped: no Fashion-MNIST" }
        let samples = ImageGrid.tiled(dataset.test.images(at: Array(0..<32)), columns: 8)
        let grid = folder.file("fashion-mnist-samples.png")
        try PNG.write(samples, to: grid)
        folder.addFigure(
            title: "Fashion-MNIST test images", files: [grid],
            caption: dataset.test.labels[0..<32].map { FashionMNIST.classNames[$0] }.joined(separator: ", "))
        let result = try ClassificationRun(configuration: configuration).run(on: dataset, folder: folder)
        print(
            String(
                format: "  test accuracy after one epoch: %.4f (checkpoint %@)", result.testAccuracy,
                result.checkpoint.lastPathComponent))
        return String(format: "test accuracy %.4f after one epoch", result.testAccuracy)
    }
}
