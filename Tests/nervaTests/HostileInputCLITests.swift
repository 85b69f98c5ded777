import Foundation
import Testing

/// Hostile and careless input, run through the real binary (issue #18): bad values end with a
/// message naming them and exit status 64, degenerate data and divergence with a message and a
/// non-zero status, never with a trap or a meaningless figure.
@Suite struct HostileInputCLITests {
    /// Asserts that `arguments` is rejected as bad input (status 64) with a message containing `text`.
    func expectRejected(_ arguments: [String], saying text: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        let result = try NervaCLI.run(arguments)
        #expect(
            result.status == 64 && result.text.contains(text),
            "\(arguments.joined(separator: " ")): \(result.status) \(result.text)",
            sourceLocation: sourceLocation)
    }

    @Test func recommenderSettingsAreValidated() throws {
        let base = ["rec", "train", "--data", "synthetic", "--model", "gmf"]
        try expectRejected(base + ["--factors", "0"], saying: "factors must be at least 1, got 0")
        try expectRejected(base + ["--negatives=-1"], saying: "negatives must be at least 1, got -1")
        try expectRejected(base + ["--batch-size", "0"], saying: "batch size must be at least 1, got 0")
        try expectRejected(
            base + ["--learning-rate", "nan"], saying: "learning rate must be finite and positive, got nan")
        try expectRejected(base + ["--epochs", "-1"], saying: "--epochs must be at least 1, got -1")
        try expectRejected(base + ["--neighbors", "5"], saying: "--neighbors does not apply to --model gmf")
        try expectRejected(
            ["rec", "train", "--data", "synthetic", "--model", "svd", "--threshold", "4"], saying: "positive threshold")
        try expectRejected(
            ["rec", "train", "--data", "synthetic", "--model", "popularity", "--epochs", "3"],
            saying: "--epochs does not apply to --model popularity")
        try expectRejected(
            ["rec", "train", "--data", "synthetic", "--columns", "a,b"], saying: "do not apply to --data")
    }

    @Test func servingFlagsAreValidated() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("m.safetensors").path
        try expectRejected(
            ["rec", "evaluate", "--checkpoint", model, "--data", "synthetic", "--cutoff", "0"],
            saying: "cutoff must be at least 1")
        try expectRejected(
            ["rec", "recommend", "--checkpoint", model, "--user", "1", "--count", "-1"],
            saying: "--count must be at least 1")
    }

    @Test func degenerateRatingsAreTooLittleData() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("one.csv")
        try "user,item,rating,timestamp\n1,1,4,100\n".write(to: file, atomically: true, encoding: .utf8)
        for model in ["gmf", "svd"] {
            let result = try NervaCLI.run([
                "rec", "train", "--train", file.path, "--split", "leave-one-out",
                "--model", model,
                "--out", folder.appendingPathComponent(model).path
            ])
            #expect(
                result.status == 1 && result.text.contains("too little data"),
                "\(model): \(result.status) \(result.text)")
        }
    }

    @Test func aByteOrderMarkAndExplicitColumnsAreHonoured() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var rows = ""
        for user in 1...12 {
            for k in 0..<6 { rows += "\(user),\(1 + (user + k * 5) % 30),\(1 + k % 5),\(1000 + k)\n" }
        }
        let bom = folder.appendingPathComponent("bom.csv")
        try Data([0xEF, 0xBB, 0xBF] + Array(("user,item,rating,timestamp\n" + rows).utf8)).write(to: bom)
        let trained = try NervaCLI.run([
            "rec", "train", "--train", bom.path, "--model", "popularity", "--out",
            folder.appendingPathComponent("a").path
        ])
        #expect(trained.status == 0, "\(trained.text)")
        // A file named like a MovieLens one, with its own column names: the flags win over the name.
        let named = folder.appendingPathComponent("ratings.csv")
        try ("who;what;stars;when\n" + rows.replacingOccurrences(of: ",", with: ";")).write(
            to: named, atomically: true, encoding: .utf8)
        let explicit = try NervaCLI.run([
            "rec", "train", "--train", named.path, "--columns", "who,what,stars,when", "--delimiter", ";",
            "--model", "popularity", "--out", folder.appendingPathComponent("b").path
        ])
        #expect(explicit.status == 0, "\(explicit.text)")
    }

    @Test func divergedRecommenderTrainingFailsWithoutACheckpoint() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("run")
        let result = try NervaCLI.run([
            "rec", "train", "--data", "synthetic", "--model", "gmf", "--learning-rate", "1e30",
            "--epochs", "2", "--out", out.path
        ])
        #expect(result.status == 1 && result.text.contains("diverged"), "\(result.text)")
        #expect(!result.text.contains("HR@10 (1 + 99 sampled): 1.0000"))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("rec-gmf.safetensors").path))
    }

    @Test func divergedClassificationFailsAndKeepsNoNaNCheckpoint() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try NervaCLI.writeTinyDataset(in: folder)
        let out = folder.appendingPathComponent("run")
        let result = try NervaCLI.run([
            "classify", "--model", "mlp", "--epochs", "2", "--learning-rate", "inf", "--data", folder.path,
            "--out", out.path
        ])
        #expect(result.status == 1 && result.text.contains("diverged"), "\(result.text)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("classifier-mlp.safetensors").path))
    }

    @Test func reinforcementLearningFlagsThatDoNotApplyAreErrors() throws {
        try expectRejected(
            ["rl", "train", "--random-map", "100000"], saying: "--random-map must be in 2…256, got 100000")
        try expectRejected(
            ["rl", "train", "--env", "CartPole-v1", "--seeds", "1,,3"], saying: "--seeds '1,,3' is not a seed list")
        try expectRejected(
            ["rl", "train", "--env", "FrozenLake-v1", "--seeds", "1-3"], saying: "--seeds is available for DQN")
        try expectRejected(
            ["rl", "train", "--env", "CartPole-v1", "--episodes", "10"], saying: "--episodes applies to tabular methods"
        )
        try expectRejected(
            ["rl", "train", "--env", "Taxi-v3", "--map", "SFFF/FHFH/FFFH/HFFG"], saying: "do not apply to Taxi-v3")
        try expectRejected(
            ["rl", "train", "--env", "FrozenLake-v1", "--learning-starts", "5"],
            saying: "--learning-starts is a DQN option")
        try expectRejected(
            ["rl", "train", "--env", "CartPole-v1", "--learning-starts=-1"],
            saying: "learning starts must be at least 0")
        try expectRejected(
            ["rl", "train", "--env", "CartPole-v1", "--exploration-fraction=-1"],
            saying: "exploration fraction must be in [0, 1]")
    }

    @Test func ganAndTourBoundsAreErrors() throws {
        try expectRejected(
            ["gan", "train", "--r1", "nan"], saying: "R1 weight must be finite and non-negative, got nan")
        try expectRejected(
            ["gan", "sample", "--checkpoint", "/nonexistent", "--count", "2000000000"],
            saying: "--count must be in 1…10000")
        try expectRejected(
            ["tour", "--data", "/nonexistent/fashion"], saying: "--data /nonexistent/fashion: no such folder")
    }

    @Test func ganResumeKeepsItsLimitAndCleansInterruptedSaves() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try NervaCLI.writeTinyDataset(in: folder, trainCount: 128, testCount: 20)
        let run = folder.appendingPathComponent("train")
        let trained = try NervaCLI.run([
            "gan", "train", "--model", "mlp", "--epochs", "1", "--batch-size", "16", "--limit", "64",
            "--data", folder.path, "--out", run.path
        ])
        #expect(trained.status == 0 && trained.text.contains("64 training images"), "\(trained.text)")
        let leftover = run.appendingPathComponent(".gan-checkpoint.safetensors.tmp-5eed")
        FileManager.default.createFile(atPath: leftover.path, contents: Data([0]))
        let resumed = try NervaCLI.run([
            "gan", "train", "--resume", run.appendingPathComponent("gan-checkpoint.safetensors").path,
            "--epochs", "1", "--data", folder.path, "--out", folder.appendingPathComponent("resumed").path
        ])
        #expect(resumed.status == 0 && resumed.text.contains("64 training images"), "\(resumed.text)")
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
    }

    /// Found by reading while adding the fuzz targets (issue #18): a training state whose history
    /// holds a non-integral epoch number trapped converting it to an index.
    @Test func aTrainingStateWithANaNEpochIsRefused() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let metadata =
            #""__metadata__":{"architecture":"mlp","augmentation":"none","epochs":"2","batch_size":"32","#
            + #""learning_rate":"0.01","seed":"1","random_state":"1,2,3,4"}"#
        var header = Array(("{" + metadata + #","history":{"dtype":"F32","shape":[1,4],"data_offsets":[0,16]}}"#).utf8)
        header += Array(repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        let row: [Float] = [.nan, 0.5, 0.8, 100]
        let data = row.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        try Data(withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + data)
            .write(to: folder.appendingPathComponent("training-state.safetensors"))
        let result = try NervaCLI.run(["classify", "--resume", folder.path])
        #expect(
            result.status == 1 && result.text.contains("\"history\" has the unreadable value \"epoch nan in row 0\""),
            "\(result.status) \(result.text)")
    }
}
