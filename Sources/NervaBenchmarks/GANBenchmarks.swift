import Foundation
import NervaGAN

/// The `gan` suite: GAN training steps per second (one `D` step and one `G` step, batch 64, Adam)
/// for the MLP GAN and the DCGAN, on random images (the data loader is not measured).
struct GANBenchmarks {
    let quick: Bool
    let reporter: BenchmarkReporter

    func run() {
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
