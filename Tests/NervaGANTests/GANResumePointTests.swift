import Foundation
import NervaGAN
import NervaNN
import Testing

@Suite struct GANResumePointTests {
    private func savedRun(extra: [String: String]) throws -> (folder: URL, checkpoint: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nerva-gan-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let model = GANModelConfiguration(
            architecture: .mlp, latentSize: 2, generatorWidths: [3], discriminatorWidths: [3])
        let checkpoint = folder.appendingPathComponent("gan-checkpoint.safetensors")
        try GANTrainer(GANTrainingConfiguration(model: model)).save(to: checkpoint, extra: extra)
        return (folder, checkpoint)
    }

    @Test func theRunContinuesAfterItsEpochOnItsImages() throws {
        let (folder, checkpoint) = try savedRun(extra: ["epoch": "3", "limit": "64", "classes": "1,7"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let leftover = folder.appendingPathComponent(".gan-checkpoint.safetensors.tmp-5eed")
        FileManager.default.createFile(atPath: leftover.path, contents: Data([0]))

        let point = try GANResumePoint(checkpoint: checkpoint)
        #expect(point.firstEpoch == 4 && point.limit == 64 && point.classes == [1, 7])
        #expect(point.removedLeftovers.map(\.lastPathComponent) == [leftover.lastPathComponent])
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        #expect(point.trainer.configuration.model.latentSize == 2)
    }

    @Test(arguments: [("limit", "1"), ("limit", "many"), ("classes", "3,12"), ("classes", "1,,2"), ("epoch", "-1")])
    func malformedRunSettingsAreNamed(key: String, value: String) throws {
        let (folder, checkpoint) = try savedRun(extra: [key: value])
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: GANCheckpointError.badSetting(file: checkpoint.path, key: key, value: value)) {
            try GANResumePoint(checkpoint: checkpoint)
        }
    }
}
