import Foundation
import NervaData
import NervaNN
import NervaTensor

/// The `vision` suite: the training throughput of the Fashion-MNIST classifiers and the time to
/// load Fashion-MNIST.
struct VisionBenchmarks {
    let quick: Bool
    let reporter: BenchmarkReporter
    let dataDirectory: URL

    private var seconds: Double { quick ? 0.4 : 2 }

    func run() throws {
        if reporter.wants("classify_train") { for model in ImageClassification.Architecture.allCases { classifierTraining(model) } }
        if reporter.wants("fmnist_load") { try datasetLoading() }
    }

    private func classifierTraining(_ architecture: ImageClassification.Architecture) {
        let batch = 64, rng = RandomGenerator(seed: 5)
        let training = ImageClassification(architecture: architecture, learningRate: 1e-3, generator: rng)
        let batches = 16
        let images = Tensor.uniform([batches * batch, 1, 28, 28], generator: rng)
        let labels = (0..<(batches * batch)).map { _ in rng.integer(below: 10) }
        var index = 0
        let rate = Stopwatch.rate(seconds: seconds, work: Double(batch)) {
            let rows = (index % batches) * batch..<((index % batches) + 1) * batch
            index += 1
            training.step(inputs: images[rows], labels: Array(labels[rows]))
        }
        reporter.report("classify_train", params: ["model": architecture.rawValue, "batch": batch], value: rate, unit: "samples/s")
    }

    private func datasetLoading() throws {
        let start = Date()
        let train = try FashionMNIST.load(.train, directory: dataDirectory)
        let elapsed = Date().timeIntervalSince(start)
        precondition(train.count == 60_000, "fmnist_load: expected 60,000 training images, got \(train.count).")
        reporter.report("fmnist_load", params: ["images": train.count], value: elapsed, unit: "s")
    }
}
