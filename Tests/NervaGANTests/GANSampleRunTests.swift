import Foundation
import NervaData
import NervaGAN
import NervaNN
import NervaTestSupport
import Testing

/// `nerva gan sample` in the library: the grid, the individual PNGs written batch by batch, the limits.
@Suite struct GANSampleRunTests {
    private func checkpoint() throws -> URL {
        let configuration = GANTrainerTests.smallConfiguration(.mlp)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gan-\(UUID().uuidString).safetensors")
        try GANTrainer(configuration).save(to: url)
        return url
    }

    private func folder() throws -> RunFolder {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gan-sample-\(UUID().uuidString)")
        return try RunFolder(command: "gan-sample", out: path.path)
    }

    @Test func individualImagesAreWrittenBatchByBatchAndTheGridShowsTheFirst() throws {
        let url = try checkpoint()
        defer { try? FileManager.default.removeItem(at: url) }
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder.url) }
        // 1,203 images: three batches of the generator (500 each), all written, none held together.
        let result = try GANSampleRun(count: 1_203, individual: true, columns: 40, seed: 5)
            .run(checkpoint: url, folder: folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: try #require(result.individualFolder).path)
        #expect(names.count == 1_203 && names.contains("01202.png") && names.contains("00000.png"))
        #expect(FileManager.default.fileExists(atPath: result.grid.path))
        // Image i's latent vector does not depend on how many are drawn: the 1,203 include the 3 of
        // a smaller run (up to rounding: a batch of 3 and one of 500 take other GEMM kernels).
        let (generator, configuration) = try GANTrainer.loadGenerator(from: url)
        let three = GANEvaluationRun.generate(
            generator, count: 3, latentDistribution: configuration.latentDistribution, seed: 5)
        var firstBatch: Tensor?
        GANEvaluationRun.generate(
            generator, count: 1_203, latentDistribution: configuration.latentDistribution, seed: 5
        ) { images, first in if first == 0 { firstBatch = images } }
        let difference = zip(try #require(firstBatch)[0..<3].scalars, three.scalars).map { Swift.abs($0 - $1) }
        #expect(difference.count == 3 * 28 * 28 && difference.max()! < 1e-5, "\(difference.max()!)")
    }

    @Test func settingsOutsideTheirRangesAreNamed() throws {
        let tooManyForAGrid = GANSampleRun(count: GANSampleRun.maximumGridImages + 1)
        #expect(throws: ConfigurationError.self) { try tooManyForAGrid.validate() }
        #expect(throws: Never.self) {
            try GANSampleRun(count: GANSampleRun.maximumGridImages + 1, individual: true).validate()
        }
        for run in [
            GANSampleRun(count: 0), GANSampleRun(count: GANSampleRun.maximumCount + 1, individual: true),
            GANSampleRun(columns: 0), GANSampleRun(label: 10)
        ] {
            #expect(throws: ConfigurationError.self) { try run.validate() }
        }
        let url = try checkpoint()
        defer { try? FileManager.default.removeItem(at: url) }
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder.url) }
        do {
            _ = try GANSampleRun(count: 2, label: 3).run(checkpoint: url, folder: folder)
            Issue.record("a class was drawn from an unconditional generator")
        } catch let error as ConfigurationError {
            #expect(error.field == "class" && error.allowed.contains("unconditional"))
        }
    }
}
