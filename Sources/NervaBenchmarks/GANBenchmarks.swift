import Foundation
import NervaGAN

/// The `gan` suite: GAN training steps per second (one `D` step and one `G` step, batch 64, Adam)
/// for the MLP GAN and the DCGAN, on random images (the data loader is not measured).
public struct GANBenchmarks {
    /// Whether to measure for a shorter time (under 20 s per suite), less precisely.
    public let quick: Bool
    /// Where the measurements go.
    public let reporter: BenchmarkReporter

    /// A suite that reports to `reporter`.
    /// - Parameters:
    ///   - quick: Whether to measure for a shorter time, less precisely.
    ///   - reporter: Where the measurements go (and which of them run: ``BenchmarkReporter/wants(_:)``).
    public init(quick: Bool, reporter: BenchmarkReporter) {
        self.quick = quick
        self.reporter = reporter
    }

    /// Runs the suite's measurements that the reporter wants, in order.
    public func run() {
        guard reporter.wants("gan_train") else { return }
        for architecture in GANArchitecture.allCases { training(architecture) }
    }

    private func training(_ architecture: GANArchitecture) {
        let batch = 64
        var configuration = GANTrainingConfiguration(model: GANModelConfiguration(architecture: architecture))
        configuration.batchSize = batch
        configuration.seed = 6
        let trainer = GANTrainer(configuration)
        let rng = RandomGenerator(seed: 7)
        let batches = (0..<8).map { _ in Tensor.uniform([batch, 1, 28, 28], low: -1, high: 1, generator: rng) }
        var index = 0
        let seconds = quick ? 1.5 : (architecture == .mlp ? 8 : 15)
        let rate = Stopwatch.rate(seconds: seconds, work: 1) {
            trainer.step(real: batches[index % batches.count], labels: nil)
            index += 1
        }
        reporter.report(
            "gan_train", params: ["model": architecture.rawValue, "batch": batch], value: rate, unit: "steps/s")
    }
}
