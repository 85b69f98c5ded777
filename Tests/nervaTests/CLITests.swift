import Foundation
import Testing

/// Runs the real `nerva` executable, built beside the test bundle, as a newcomer would.
enum NervaCLI {
    /// The `nerva` binary in the build products folder.
    static let executable: URL = {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return products.appendingPathComponent("nerva")
    }()

    struct Output {
        let status: Int32
        let text: String
    }

    /// Runs `nerva arguments…` with stdout and stderr merged. With `killWhenPrinted`, the process
    /// is killed (SIGKILL, as a crash would end it) as soon as its output contains that text.
    static func run(_ arguments: [String], killWhenPrinted marker: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        var data = Data()
        let reader = pipe.fileHandleForReading
        while case let chunk = reader.availableData, !chunk.isEmpty {
            data.append(chunk)
            if let marker, String(decoding: data, as: UTF8.self).contains(marker) {
                kill(process.processIdentifier, SIGKILL)
                data.append(reader.readDataToEndOfFile())
                break
            }
        }
        process.waitUntilExit()
        return Output(status: process.terminationStatus, text: String(decoding: data, as: UTF8.self))
    }

    /// A temporary folder, removed by the caller.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nerva-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes a tiny Fashion-MNIST-format dataset (gzip'd IDX files) of noisy images in which
    /// class `k` lights rows `3k…3k+2`, so a classifier can learn it in seconds.
    static func writeTinyDataset(in folder: URL, trainCount: Int = 240, testCount: Int = 60) throws {
        var generator = SystemRandomNumberGenerator()
        for (prefix, count) in [("train", trainCount), ("t10k", testCount)] {
            let labels = (0..<count).map { _ in UInt8.random(in: 0..<10, using: &generator) }
            let pixels = labels.flatMap { label in
                (0..<784).map { i in i / 28 / 3 == Int(label) ? 255 : UInt8.random(in: 0..<60, using: &generator) }
            }
            try gzip(
                idx(type: 0x08, shape: [count, 28, 28], payload: pixels),
                to: folder.appendingPathComponent("\(prefix)-images-idx3-ubyte.gz"))
            try gzip(
                idx(type: 0x08, shape: [count], payload: labels),
                to: folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte.gz"))
        }
    }

    private static func idx(type: UInt8, shape: [Int], payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, type, UInt8(shape.count)]
        for dimension in shape { bytes += withUnsafeBytes(of: UInt32(dimension).bigEndian, Array.init) }
        return bytes + payload
    }

    private static func gzip(_ bytes: [UInt8], to url: URL) throws {
        let plain = url.deletingPathExtension()
        try Data(bytes).write(to: plain)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-f", plain.path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "gzip failed for \(plain.path)")
    }
}

@Suite struct CLITests {
    @Test func classifyTrainsEvaluatesAndWritesItsRunFolder() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try NervaCLI.writeTinyDataset(in: folder)
        let out = folder.appendingPathComponent("run")
        let result = try NervaCLI.run([
            "classify", "--model", "mlp", "--epochs", "8", "--batch-size", "32",
            "--data", folder.path, "--out", out.path, "--seed", "3"
        ])
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("test accuracy"))
        for name in [
            "metrics.jsonl", "index.html", "classifier-mlp.safetensors", "confusion-mlp.svg", "learning-curves-mlp.svg"
        ] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "missing \(name)")
        }
        let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let last = try #require(metrics.split(separator: "\n").last)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let accuracy = try #require(record["test_accuracy"] as? Double)
        #expect(accuracy > 0.5, "a lit band encodes the class; got \(accuracy)")

        // The saved model evaluates to the same accuracy without training.
        let again = try NervaCLI.run([
            "classify", "--model", "mlp", "--epochs", "0", "--data", folder.path,
            "--checkpoint", out.appendingPathComponent("classifier-mlp.safetensors").path,
            "--out", folder.appendingPathComponent("eval").path
        ])
        #expect(again.status == 0, "\(again.text)")
        #expect(again.text.contains(String(format: "test accuracy %.4f", accuracy)), "\(again.text)")
    }

    @Test func runKilledMidwayResumesExactlyAsTheUninterruptedOne() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try NervaCLI.writeTinyDataset(in: folder, trainCount: 6_000)
        let settings = ["classify", "--data", folder.path, "--model", "mlp", "--epochs", "4", "--seed", "5"]
        let whole = try NervaCLI.run(settings + ["--out", folder.appendingPathComponent("whole").path])
        #expect(whole.status == 0, "\(whole.text)")

        // The same run, killed as soon as its second epoch is saved, then resumed.
        let interrupted = folder.appendingPathComponent("interrupted")
        let killed = try NervaCLI.run(settings + ["--out", interrupted.path], killWhenPrinted: "epoch 2  loss")
        #expect(killed.status != 0 && !killed.text.contains("epoch 3  loss"), "\(killed.text)")
        let resumed = try NervaCLI.run(["classify", "--data", folder.path, "--resume", interrupted.path])
        #expect(resumed.status == 0, "\(resumed.text)")
        #expect(resumed.text.contains("resuming after epoch 2 of 4"), "\(resumed.text)")

        func finalLines(_ text: String) -> [String] {
            text.split(separator: "\n").filter { $0.hasPrefix("epoch 4  ") || $0.hasPrefix("test accuracy") }
                .map {
                    $0.replacingOccurrences(
                        of: #"\s+\d+ samples/s|; report: .*"#, with: "", options: .regularExpression)
                }
        }
        #expect(finalLines(whole.text).count == 2, "\(whole.text)")
        #expect(finalLines(resumed.text) == finalLines(whole.text))
        let metrics = try String(contentsOf: interrupted.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect((1...4).allSatisfy { metrics.contains("\"epoch\":\($0),") }, "\(metrics)")
    }

    @Test func missingDataSaysHowToInstallIt() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try NervaCLI.run([
            "classify", "--data", folder.appendingPathComponent("nowhere").path,
            "--out", folder.appendingPathComponent("run").path
        ])
        #expect(result.status != 0)
        #expect(result.text.contains("apt-get install dataset-fashion-mnist"), "\(result.text)")
    }

    @Test(arguments: [
        (["bench", "nonsense"], "Please provide one of"),
        (["bench", "rl", "--only", "nomatch"], "no measurement of the rl suite"),
        (["classify", "--epochs=-1"], "--epochs must be in 0…1000000, got -1"),
        (["classify", "--epochs", "0"], "--checkpoint"),
        (["classify", "--model", "resnet"], "mlp"),
        (["classify", "--resume", "somewhere", "--model", "cnn"], "drop --model"),
        (["classify", "--resume", "/nonexistent"], "no training-state.safetensors there"),
        (["classify", "--augment", "rotate"], "flip"),
        (["tour", "--seed", "abc"], "--seed")
    ])
    func badFlagsAreRejectedWithAnExplanation(arguments: [String], expected: String) throws {
        let result = try NervaCLI.run(arguments)
        #expect(result.status == 64, "\(result.text)")
        #expect(result.text.contains(expected), "\(result.text)")
    }
}
