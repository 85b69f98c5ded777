import Foundation
import NervaData
import NervaRec
import Testing

/// A recommender's training run written into a run folder: per-epoch and final records, the curve, the model.
@Suite struct RecTrainingRunTests {
    @Test func aGMFRunWritesItsCurveItsModelAndItsRecords() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("nerva-rec-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let folder = try RunFolder(command: "rec-train", out: out.path)
        let split = SplitRule.leaveOneOut.split(
            SyntheticInteractions(users: 40, items: 70, meanInteractions: 20, seed: 4).dataset)
        var training = RecommenderTraining(kind: .gmf, seed: 2)
        training.ncf.epochs = 2
        training.ncf.validation = false
        var run = RecTrainingRun(training: training, cutoff: 10, seed: 2)
        run.verbose = false
        let (result, checkpoint) = try run.run(train: split.train, test: split.test, folder: folder, part: "rec")
        let evaluation = try #require(result.evaluation)
        #expect(evaluation.hitRate >= 0 && evaluation.hitRate <= 1)
        #expect(checkpoint == folder.file("rec-gmf.safetensors"))
        #expect(FileManager.default.fileExists(atPath: checkpoint.path))
        #expect(FileManager.default.fileExists(atPath: folder.file("rec-gmf-curve.svg").path))
        let lines = try String(contentsOf: folder.file("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3, "two epochs and the final record: \(lines)")
        #expect(lines.last?.contains("\"final\":true") == true && lines.last?.contains("\"hit_rate@10\"") == true)
    }
}
