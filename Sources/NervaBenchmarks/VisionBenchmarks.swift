import Foundation
import NervaData
import NervaNN
import NervaTensor
import NervaVision

/// The `vision` suite: Conv2d forward+backward throughput at the DCGAN and LeNet shapes, the
/// training throughput of the Fashion-MNIST classifiers, and the time to load Fashion-MNIST.
public struct VisionBenchmarks {
    /// Whether to measure for a shorter time (under 20 s per suite), less precisely.
    public let quick: Bool
    /// Where the measurements go.
    public let reporter: BenchmarkReporter
    /// The Fashion-MNIST folder (the original gzip'd IDX files).
    public let dataDirectory: URL

    /// A suite that reports to `reporter` and reads Fashion-MNIST from `dataDirectory`.
    /// - Parameters:
    ///   - quick: Whether to measure for a shorter time, less precisely.
    ///   - reporter: Where the measurements go (and which of them run: ``BenchmarkReporter/wants(_:)``).
    ///   - dataDirectory: The Fashion-MNIST folder.
    public init(quick: Bool, reporter: BenchmarkReporter, dataDirectory: URL) {
        self.quick = quick
        self.reporter = reporter
        self.dataDirectory = dataDirectory
    }

    private var seconds: Double { quick ? 0.4 : 2 }

    /// A convolution to measure: its name, channels, input size and the layer's settings.
    private struct ConvolutionShape {
        let name: String, inputChannels: Int, outputChannels: Int, size: Int, kernel: Int, stride: Int, padding: Int
    }

    private static let convolutions = [
        ConvolutionShape(
            name: "lenet_conv1", inputChannels: 1, outputChannels: 6, size: 28, kernel: 5, stride: 1, padding: 2),
        ConvolutionShape(
            name: "lenet_conv2", inputChannels: 6, outputChannels: 16, size: 14, kernel: 5, stride: 1, padding: 0),
        ConvolutionShape(
            name: "dcgan_d_conv1", inputChannels: 1, outputChannels: 64, size: 28, kernel: 4, stride: 2, padding: 1),
        ConvolutionShape(
            name: "dcgan_d_conv2", inputChannels: 64, outputChannels: 128, size: 14, kernel: 4, stride: 2, padding: 1)
    ]

    /// Runs the suite's measurements that the reporter wants, in order.
    public func run() throws {
        if reporter.wants("conv2d_train") { convolutionTraining() }
        if reporter.wants("classify_train") {
            for model in ImageClassification.Architecture.allCases { classifierTraining(model) }
        }
        if reporter.wants("fmnist_load") { try datasetLoading() }
    }

    private func convolutionTraining() {
        let batch = 64, rng = RandomGenerator(seed: 4)
        for shape in Self.convolutions {
            let layer = Conv2d(
                inputChannels: shape.inputChannels, outputChannels: shape.outputChannels,
                kernelSize: shape.kernel, stride: shape.stride, padding: shape.padding, generator: rng)
            let input = Tensor.uniform([batch, shape.inputChannels, shape.size, shape.size], generator: rng)
                .requiringGradient()
            let rate = Stopwatch.rate(seconds: seconds / 2, work: Double(batch)) {
                layer.zeroGradients()
                input.gradient = nil
                layer(input).sum().backward()
            }
            reporter.report(
                "conv2d_train", params: ["shape": shape.name, "batch": batch], value: rate, unit: "samples/s")
        }
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
        reporter.report(
            "classify_train", params: ["model": architecture.rawValue, "batch": batch], value: rate, unit: "samples/s")
    }

    private func datasetLoading() throws {
        let start = Date()
        let train = try FashionMNIST.load(.train, directory: dataDirectory)
        let elapsed = Date().timeIntervalSince(start)
        guard train.count == 60_000 else {
            throw BenchmarkError.unexpectedData("fmnist_load: expected 60,000 training images, got \(train.count).")
        }
        reporter.report("fmnist_load", params: ["images": train.count], value: elapsed, unit: "s")
    }
}
