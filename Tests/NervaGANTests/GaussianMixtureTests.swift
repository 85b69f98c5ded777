import Foundation
import NervaGAN
import Testing

/// The classic sanity check of a GAN: a small one learns a 2-D mixture of Gaussians and covers
/// every mode, in seconds.
@Suite struct GaussianMixtureTests {
    static let modes: [(Float, Float)] = [(2, 0), (-2, 0), (0, 2), (0, -2)]
    static let spread: Float = 0.1

    static func sampleMixture(_ count: Int, _ rng: RandomGenerator) -> Tensor {
        var values: [Float] = []
        for _ in 0..<count {
            let mode = modes[rng.integer(below: modes.count)]
            values += [mode.0 + spread * rng.normal(), mode.1 + spread * rng.normal()]
        }
        return Tensor(values, shape: [count, 2])
    }

    @Test func aSmallGANCoversEveryModeOfAMixture() {
        var configuration = GANTrainingConfiguration(model: GANModelConfiguration(architecture: .mlp, latentSize: 4))
        configuration.latentDistribution = .normal
        configuration.generatorLearningRate = 1e-3
        configuration.discriminatorLearningRate = 1e-3
        configuration.batchSize = 128
        configuration.seed = 7
        let trainer = GANTrainer(configuration) { rng in
            // G's tanh output is scaled to the mixture's range by a fixed factor outside the net.
            (
                MLPGenerator(latentSize: 4, hiddenSizes: [64, 64], sampleShape: [2], generator: rng),
                MLPDiscriminator(sampleShape: [2], hiddenSizes: [64, 64], generator: rng)
            )
        }
        let data = RandomGenerator(seed: 11), scale: Float = 3
        for _ in 0..<1500 {
            trainer.step(real: Self.sampleMixture(128, data) / scale, labels: nil)
        }
        let samples = trainer.sample(latents: trainer.latents(2000), labels: nil) * scale
        var counts = [Int](repeating: 0, count: Self.modes.count), near = 0
        let points = samples.scalars
        for i in 0..<2000 {
            let (x, y) = (points[2 * i], points[2 * i + 1])
            let distances = Self.modes.map { (($0.0 - x) * ($0.0 - x) + ($0.1 - y) * ($0.1 - y)).squareRoot() }
            let nearest = distances.indices.min { distances[$0] < distances[$1] }!
            counts[nearest] += 1
            if distances[nearest] < 0.5 { near += 1 }
        }
        #expect(counts.allSatisfy { $0 >= 200 }, "samples per mode: \(counts)")
        #expect(near >= 1400, "\(near) of 2000 samples within 0.5 of a mode")
    }
}
