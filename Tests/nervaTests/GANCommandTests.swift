import Foundation
import Testing

/// `nerva gan train | sample | evaluate` run as a user would, on a tiny data set and budget.
@Suite struct GANCommandTests {
    @Test func trainResumeSampleAndEvaluateEndToEnd() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try NervaCLI.writeTinyDataset(in: folder, trainCount: 128, testCount: 60)
        let run = folder.appendingPathComponent("train")
        let trained = try NervaCLI.run([
            "gan", "train", "--model", "mlp", "--epochs", "2", "--batch-size", "32",
            "--ema", "0.9", "--label-smoothing", "0.1", "--data", folder.path,
            "--out", run.path, "--seed", "5"
        ])
        #expect(trained.status == 0, "\(trained.text)")
        for name in [
            "metrics.jsonl", "index.html", "gan-checkpoint.safetensors", "samples-epoch-001.png",
            "samples-epoch-002.png", "gan-losses.svg", "gan-d-outputs.svg"
        ] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(name).path), "missing \(name)")
        }
        let metrics = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let last = try #require(metrics.split(separator: "\n").last)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(record["epoch"] as? Int == 2 && record["step"] as? Int == 8, "\(record)")
        #expect((record["d_real"] as? Double).map { $0 > 0 && $0 < 1 } == true)

        // Resuming continues at epoch 3 from step 8.
        let checkpoint = run.appendingPathComponent("gan-checkpoint.safetensors")
        let resumed = try NervaCLI.run([
            "gan", "train", "--resume", checkpoint.path, "--epochs", "1", "--data", folder.path,
            "--out", folder.appendingPathComponent("resumed").path
        ])
        #expect(resumed.status == 0, "\(resumed.text)")
        #expect(resumed.text.contains("epoch 3 "), "\(resumed.text)")

        let sampled = try NervaCLI.run([
            "gan", "sample", "--checkpoint", checkpoint.path, "--count", "10", "--individual",
            "--out", folder.appendingPathComponent("samples").path
        ])
        #expect(sampled.status == 0, "\(sampled.text)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("samples/samples.png").path))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("samples/samples/00009.png").path))

        // A classifier to evaluate with, then FID, the floor and mode coverage.
        let classifierRun = folder.appendingPathComponent("classifier")
        let classified = try NervaCLI.run([
            "classify", "--model", "cnn", "--epochs", "1", "--data", folder.path,
            "--out", classifierRun.path
        ])
        #expect(classified.status == 0, "\(classified.text)")
        let evaluated = try NervaCLI.run([
            "gan", "evaluate", "--checkpoint", checkpoint.path, "--classifier",
            classifierRun.appendingPathComponent("classifier-cnn.safetensors").path,
            "--count", "100", "--data", folder.path, "--out", folder.appendingPathComponent("eval").path
        ])
        #expect(evaluated.status == 0, "\(evaluated.text)")
        #expect(
            evaluated.text.contains("FID") && evaluated.text.contains("real-data floor")
                && evaluated.text.contains("classes covered"),
            "\(evaluated.text)")
        #expect(
            FileManager.default.fileExists(
                atPath: folder.appendingPathComponent("eval/class-histogram-generated.svg").path))
    }

    @Test func remediesCompareRunsOnOneClassifier() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try NervaCLI.writeTinyDataset(in: folder, trainCount: 128, testCount: 60)
        let out = folder.appendingPathComponent("remedies")
        let result = try NervaCLI.run([
            "gan", "remedies", "--remedies", "r1,least-squares", "--limit", "64",
            "--evaluation-samples", "50", "--data", folder.path, "--out", out.path
        ])
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("real-data floor") && result.text.contains("best FID"), "\(result.text)")
        for name in [
            "index.html", "classifier-cnn.safetensors", "remedies-fid.svg", "samples-baseline.png", "samples-r1.png",
            "samples-least-squares.png", "r1/gan-checkpoint.safetensors", "least-squares/index.html"
        ] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "missing \(name)")
        }
        let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").filter { $0.contains("\"remedy\"") }.count == 3, "\(metrics)")
        let report = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(report.contains("Remedies against the baseline") && report.contains("R1 penalty"))
    }

    @Test(arguments: [
        (["gan", "remedies", "--remedies", "magic"], "unknown remedy \"magic\""),
        (["gan", "train", "--epochs", "0"], "--epochs must be in 1…1000000, got 0"),
        (["gan", "train", "--objective", "wasserstein"], "non-saturating"),
        (["gan", "train", "--optimizer", "adam(2,0.9)"], "--optimizer"),
        (["gan", "train", "--classes", "3,12"], "--classes"),
        (["gan", "train", "--label-smoothing", "1.5"], "label smoothing"),
        (["gan", "train", "--resume", "/nonexistent/gan.safetensors"], "no such file"),
        (["gan", "sample", "--checkpoint", "/nonexistent/gan.safetensors"], "no such file"),
        (["gan", "evaluate", "--checkpoint", "x"], "--classifier")
    ])
    func badFlagsAreRejectedWithAnExplanation(arguments: [String], expected: String) throws {
        let result = try NervaCLI.run(arguments)
        #expect(result.status == 64, "\(result.text)")
        #expect(result.text.contains(expected), "\(result.text)")
    }

    @Test func aFileThatIsNotACheckpointIsExplained() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bogus = folder.appendingPathComponent("bogus.safetensors")
        try Data("not a checkpoint".utf8).write(to: bogus)
        let result = try NervaCLI.run([
            "gan", "sample", "--checkpoint", bogus.path, "--out", folder.appendingPathComponent("s").path
        ])
        #expect(result.status != 0)
        #expect(result.text.contains(bogus.path), "\(result.text)")
    }
}
