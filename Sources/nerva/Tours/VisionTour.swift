import Foundation
import NervaData
import NervaTensor

/// The vision part of the tour: a LeNet-style CNN trained for one epoch on Fashion-MNIST, with
/// a grid of test images, learning curves, the confusion matrix and a checkpoint.
struct VisionTour {
    let seed: UInt64
    let folder: RunFolder
    let dataDirectory: URL?

    func run() throws {
        print("vision: a LeNet-style CNN on Fashion-MNIST (one epoch)")
        guard let dataset = FashionMNIST.forTour(part: "Fashion-MNIST classifier", directory: dataDirectory,
                                                 folder: folder) else { return }
        let samples = ImageGrid.tiled(dataset.test.images(at: Array(0..<32)), columns: 8)
        let grid = folder.file("fashion-mnist-samples.png")
        try PNG.write(samples, to: grid)
        folder.addFigure(title: "Fashion-MNIST test images", files: [grid],
                         caption: dataset.test.labels[0..<32].map { FashionMNIST.classNames[$0] }.joined(separator: ", "))
        let result = try ClassificationRun(settings: .init(architecture: .cnn, augmentation: .flip, epochs: 1, batchSize: 64,
                                                             learningRate: 1e-3, limit: nil, seed: seed)).run(on: dataset, folder: folder)
        print(String(format: "  test accuracy after one epoch: %.4f (checkpoint %@)", result.testAccuracy,
                     result.checkpoint.lastPathComponent))
    }
}
