// Trains a DCGAN on Fashion-MNIST and writes a grid of samples as a PNG.
//
// Run it with `swift run -c release TrainDCGAN [steps]` (default 400 generator steps). It reads
// the IDX files from /usr/share/datasets/fashion-mnist (Debian's `dataset-fashion-mnist`) or
// from the folder named by the environment variable FASHION_MNIST.
import Foundation
import NervaData
import NervaGAN

// snippet.hide
let arguments = CommandLine.arguments.dropFirst()
let steps = arguments.first.flatMap { Int($0) } ?? 400
let directory =
    ProcessInfo.processInfo.environment["FASHION_MNIST"].map { URL(fileURLWithPath: $0) }
    ?? FashionMNIST.defaultDirectory
// snippet.show

// snippet.data
let images = try FashionMNIST.load(.train, directory: directory, limit: 20_000) // [N, 1, 28, 28] in [0, 1]
// snippet.end

// snippet.configure
let networks = GANModelConfiguration(
    architecture: .dcgan, latentSize: 64, generatorWidths: [32],
    discriminatorWidths: [32])
var configuration = GANTrainingConfiguration(model: networks)
configuration.latentDistribution = .normal
configuration.batchSize = 64 // the DCGAN paper's Adam(2e-4, β1 0.5) is the default
configuration.seed = 7
if let problem = configuration.problem { fatalError(problem) }
let trainer = GANTrainer(configuration)
// snippet.end

// snippet.train
var step = 0
training: while step < steps {
    for batch in images.batches(
        size: configuration.batchSize, shuffle: true, dropLast: true,
        generator: trainer.random)
    {
        let statistics = trainer.step(real: toGeneratorRange(batch.inputs), labels: nil)
        guard statistics.isFinite else { fatalError("training diverged at step \(step)") }
        if step % 100 == 0 {
            print(
                "step \(step): D loss \(statistics.discriminatorLoss), G loss \(statistics.generatorLoss),"
                    + " D(x) \(statistics.realScore), D(G(z)) \(statistics.fakeScore)")
        }
        step += 1
        if step == steps { break training }
    }
}
// snippet.end

// snippet.sample
let fixedLatents = trainer.latents(64)
let samples = toPixelRange(trainer.sample(latents: fixedLatents, labels: nil)) // [64, 1, 28, 28]
let file = FileManager.default.temporaryDirectory.appendingPathComponent("dcgan-samples.png")
try PNG.write(ImageGrid.tiled(samples, columns: 8), to: file)
print("wrote 64 samples to \(file.path)")
// snippet.end

// snippet.hide
// The samples' mean brightness moves from a random generator's 0.5 towards the data's.
let dataMean = images.prefix(2_000).images.mean().scalar, sampleMean = samples.mean().scalar
print("mean pixel: data \(dataMean), samples \(sampleMean)")
precondition(abs(sampleMean - dataMean) < 0.1, "the generator did not approach the data's brightness")
