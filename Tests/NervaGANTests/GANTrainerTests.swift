import Foundation
import NervaGAN
import NervaTestSupport
import Testing

@Suite struct GANTrainerTests {
    static func smallConfiguration(_ architecture: GANArchitecture, seed: UInt64 = 1) -> GANTrainingConfiguration {
        let widths = architecture == .mlp ? [16, 16] : [4]
        var configuration = GANTrainingConfiguration(
            model: GANModelConfiguration(
                architecture: architecture, latentSize: 8, generatorWidths: widths, discriminatorWidths: widths))
        configuration.batchSize = 8
        configuration.seed = seed
        return configuration
    }

    static func realBatch(_ count: Int, seed: UInt64 = 9) -> Tensor {
        Tensor.uniform([count, 1, 28, 28], low: -1, high: 1, generator: RandomGenerator(seed: seed))
    }

    static func copies(_ module: Module) -> [[Float]] { module.parameters().map(\.scalars) }

    @Test(arguments: GANArchitecture.allCases)
    func discriminatorStepLeavesTheGeneratorAlone(architecture: GANArchitecture) {
        let trainer = GANTrainer(Self.smallConfiguration(architecture))
        let generatorBefore = Self.copies(trainer.generator), discriminatorBefore = Self.copies(trainer.discriminator)
        let statistics = trainer.discriminatorStep(real: Self.realBatch(8), labels: nil)
        #expect(statistics.isFinite && statistics.discriminatorGradientNorm > 0)
        #expect(Self.copies(trainer.generator) == generatorBefore)
        #expect(Self.copies(trainer.discriminator) != discriminatorBefore)
        #expect(trainer.generator.parameters().allSatisfy { $0.gradient == nil })
    }

    @Test(arguments: GANArchitecture.allCases)
    func generatorStepFlowsThroughTheDiscriminatorWithoutChangingIt(architecture: GANArchitecture) {
        let trainer = GANTrainer(Self.smallConfiguration(architecture))
        let generatorBefore = Self.copies(trainer.generator), discriminatorBefore = Self.copies(trainer.discriminator)
        let (loss, norm) = trainer.generatorStep(batchSize: 8)
        #expect(loss.isFinite && norm > 0, "G's gradient must reach it through D")
        #expect(Self.copies(trainer.discriminator) == discriminatorBefore)
        #expect(trainer.discriminator.parameters().allSatisfy { $0.gradient == nil && $0.requiresGradient })
        let after = Self.copies(trainer.generator)
        #expect(zip(after, generatorBefore).allSatisfy { $0 != $1 }, "every G parameter moves")
    }

    @Test(arguments: GANObjective.allCases)
    func everyObjectiveAndRemedyTrainsFinitely(objective: GANObjective) {
        var configuration = Self.smallConfiguration(.mlp)
        configuration.objective = objective
        configuration.labelSmoothing = 0.1
        configuration.instanceNoise = 0.1
        configuration.r1Weight = objective == .wassersteinGP ? 0 : 1
        configuration.discriminatorSteps = 2
        configuration.emaDecay = 0.9
        configuration.model.spectralNormalization = true
        let trainer = GANTrainer(configuration)
        for _ in 0..<3 {
            let statistics = trainer.step(real: Self.realBatch(16), labels: nil)
            #expect(statistics.isFinite, "\(objective): \(statistics)")
        }
        #expect(trainer.step == 3)
        let spectralNorms = trainer.discriminator.spectralNormalization!.spectralNorms
        #expect(spectralNorms.allSatisfy { $0 > 0 && $0.isFinite })
    }

    @Test func movingAverageOfGeneratorWarmsUp() throws {
        var configuration = Self.smallConfiguration(.mlp)
        configuration.emaDecay = 0.999
        let trainer = GANTrainer(configuration)
        let initial = trainer.generator.parameters().map { $0.scalars }
        _ = trainer.step(real: Self.realBatch(16), labels: nil)
        let average = try #require(trainer.averageGenerator)
        let decay: Float = 2.0 / 11.0 // min(0.999, (1 + t) / (10 + t)) at t = 1
        for ((a, c), start) in zip(zip(average.parameters(), trainer.generator.parameters()), initial) {
            let expected = zip(start, c.scalars).map { decay * $0 + (1 - decay) * $1 }
            #expect(zip(a.scalars, expected).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
        }
    }

    @Test func spectralNormalizationDividesByTheLargestSingularValue() {
        let d = MLPDiscriminator(
            sampleShape: [3], hiddenSizes: [4], spectralNormalization: true, generator: RandomGenerator(seed: 2))
        let sn = d.spectralNormalization!
        for _ in 0..<50 { _ = sn.normalized(0, isTraining: true) }
        // σ of W·Wᵀ's square root: the power-iteration estimate converges to the largest singular value.
        let w = d.layers[0].weight
        let gram = w.matmul(w, transposingOther: true).scalars.map(Double.init)
        let largest = SymmetricMatrix.eigen(gram, size: 4).values.max()!.squareRoot()
        #expect(abs(Double(sn.spectralNorms[0]) - largest) < 1e-3 * largest)
        let normalized = sn.normalized(0, isTraining: false)
        let normalizedGram = normalized.matmul(normalized, transposingOther: true).scalars.map(Double.init)
        #expect(abs(SymmetricMatrix.eigen(normalizedGram, size: 4).values.max()! - 1) < 1e-3)
    }

    @Test func conditionalModelsTakeLabels() {
        for architecture in GANArchitecture.allCases {
            var configuration = Self.smallConfiguration(architecture)
            configuration.model.classCount = 10
            let trainer = GANTrainer(configuration)
            let labels = (0..<8).map { $0 % 10 }
            #expect(trainer.step(real: Self.realBatch(8), labels: labels).isFinite)
            let samples = trainer.sample(latents: trainer.latents(4), labels: [0, 1, 2, 3])
            #expect(samples.shape == [4, 1, 28, 28])
        }
    }

    @Test func divergenceIsReportedAndNoUpdateApplied() {
        let trainer = GANTrainer(Self.smallConfiguration(.mlp))
        let poisoned = Self.realBatch(8)
        poisoned.withUnsafeMutableBufferPointer { $0[5] = .nan }
        let before = Self.copies(trainer.discriminator)
        let statistics = trainer.step(real: poisoned, labels: nil)
        #expect(!statistics.isFinite)
        #expect(Self.copies(trainer.discriminator) == before)
        #expect(trainer.step == 0)
    }

    @Test func sameSeedSameSamples() {
        let samples = (0..<2).map { _ in
            let trainer = GANTrainer(Self.smallConfiguration(.dcgan, seed: 4))
            trainer.step(real: Self.realBatch(8), labels: nil)
            return trainer.sample(latents: trainer.latents(4), labels: nil).scalars
        }
        #expect(samples[0] == samples[1])
    }

    @Test(arguments: GANArchitecture.allCases)
    func resumingFromACheckpointContinuesExactly(architecture: GANArchitecture) throws {
        var configuration = Self.smallConfiguration(architecture)
        configuration.emaDecay = 0.9
        configuration.instanceNoise = 0.05
        let batches = (0..<6).map { Self.realBatch(8, seed: UInt64(20 + $0)) }

        let straight = GANTrainer(configuration)
        for batch in batches { straight.step(real: batch, labels: nil) }

        let first = GANTrainer(configuration)
        for batch in batches[0..<3] { first.step(real: batch, labels: nil) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gan-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try first.save(to: url)
        let resumed = try GANTrainer(checkpoint: url)
        #expect(resumed.configuration == configuration && resumed.step == 3)
        for batch in batches[3...] { resumed.step(real: batch, labels: nil) }

        #expect(Self.copies(resumed.generator) == Self.copies(straight.generator))
        #expect(Self.copies(resumed.discriminator) == Self.copies(straight.discriminator))
        #expect(Self.copies(resumed.averageGenerator!) == Self.copies(straight.averageGenerator!))
        #expect(resumed.random.snapshot == straight.random.snapshot)
        let (sampler, _) = try GANTrainer.loadGenerator(from: url)
        #expect(Self.copies(sampler) == Self.copies(first.averageGenerator!))
    }

    @Test func aBrokenCheckpointIsExplained() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gan-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Safetensors.write(["x": Tensor([1])], metadata: ["format": "nerva-gan-1"], to: url)
        #expect(throws: GANCheckpointError.self) { try GANTrainer(checkpoint: url) }
        do { _ = try GANTrainer(checkpoint: url) } catch {
            #expect("\(error)".contains("architecture") && "\(error)".contains(url.path))
        }
    }

    @Test func sizesInACheckpointAreCheckedBeforeAllocating() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gan-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try GANTrainer(Self.smallConfiguration(.mlp)).save(to: url)
        let (tensors, metadata) = try Safetensors.read(from: url)
        for (key, value) in [
            ("generator_widths", "99999999999"), ("generator_widths", "100000,100000"),
            ("discriminator_widths", "-5,-5"), ("latent_size", "0")
        ] {
            var changed = metadata
            changed[key] = value
            try Safetensors.write(tensors, metadata: changed, to: url)
            #expect(throws: GANCheckpointError.self) { try GANTrainer(checkpoint: url) }
            #expect(throws: GANCheckpointError.self) { try GANTrainer.loadGenerator(from: url) }
        }
    }

    /// Found while adding the GAN checkpoint fuzz target (issue #18): a DCGAN's width passed the
    /// neighbouring-size check but its networks hold about 32·w² weights, so a damaged file could
    /// still ask for gigabytes; the exact weight count is now checked against the file.
    @Test func aDCGANWidthBeyondTheFileIsRefused() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gan-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try GANTrainer(Self.smallConfiguration(.dcgan)).save(to: url)
        let (tensors, metadata) = try Safetensors.read(from: url)
        let stored = tensors.values.reduce(0) { $0 + $1.scalarCount }
        var changed = metadata
        changed["latent_size"] = "1"
        changed["generator_widths"] = "\(stored)"
        let damaged = try Safetensors.encode(tensors, metadata: changed)
        #expect(throws: GANCheckpointError.self) { try GANTrainer(checkpoint: damaged) }
        do { _ = try GANTrainer.loadGenerator(checkpoint: damaged) } catch {
            #expect("\(error)".contains("weights; the file holds \(stored) values"), "\(error)")
        }
    }

    @Test func nonFiniteWeightsAndRatesAreProblems() {
        var configuration = Self.smallConfiguration(.mlp)
        configuration.r1Weight = .nan
        #expect(configuration.problem?.contains("R1") == true)
        configuration = Self.smallConfiguration(.mlp)
        configuration.generatorLearningRate = .infinity
        #expect(configuration.problem?.contains("generator learning rate") == true)
        configuration = Self.smallConfiguration(.mlp)
        configuration.instanceNoise = .infinity
        #expect(configuration.problem != nil)
    }
}
