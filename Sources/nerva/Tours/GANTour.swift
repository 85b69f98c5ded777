import Foundation
import NervaData
import NervaGAN

/// The GAN part of the tour: an MLP GAN trained on Fashion-MNIST for about 40 seconds, with its
/// sample grid, loss and `D`-output curves, and — measured with the vision part's classifier when
/// it is in the folder — FID, the real-data floor and the class histogram of its samples.
struct GANTour {
    let seed: UInt64
    let folder: RunFolder
    let dataDirectory: URL?
    /// Seconds of training.
    var budget: Double = 40

    func run() throws {
        print("gan: an MLP GAN on Fashion-MNIST (about \(Int(budget)) s)")
        guard let dataset = FashionMNIST.forTour(part: "Generative adversarial network", directory: dataDirectory,
                                                 folder: folder) else { return }
        var configuration = GANTrainingConfiguration(model: GANModelConfiguration(architecture: .mlp))
        configuration.seed = seed
        let trainer = GANTrainer(configuration)
        let classifier = folder.file("classifier-cnn.safetensors")
        let evaluation = FileManager.default.fileExists(atPath: classifier.path)
            ? try GANEvaluationRun(classifier: classifier, dataset: dataset, sampleCount: 2000) : nil
        var run = GANTrainingRun(trainer: trainer, firstEpoch: 1, epochs: 3, limit: nil, classes: nil, evaluation: evaluation)
        run.timeBudget = budget
        let summary = try run.run(on: dataset, folder: folder)
        var line = "  \(summary.steps) steps (\(summary.epochsCompleted) epochs, the last cut by the time budget)"
        if let evaluation, let result = summary.lastEvaluation {
            let floor = evaluation.realDataFloor(dataset, count: 2000, seed: seed)
            try evaluation.report(result, floor: floor, name: "tour MLP GAN", folder: folder)
            line += String(format: "; FID %.2f (real-data floor %.2f), %d/10 classes, KL from uniform %.3f",
                           result.frechetDistance, floor, result.coveredClasses, result.klFromUniform)
        }
        print(line)
    }
}
