import Foundation
import Testing

/// `nerva fed simulate`, run as a user would, on a tiny Fashion-MNIST-format data set.
@Suite struct FedCLITests {
    @Test func simulateRunsRoundsAndWritesItsRunFolder() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try NervaCLI.writeTinyDataset(in: folder)
        let out = folder.appendingPathComponent("run")
        let result = try NervaCLI.run([
            "fed", "simulate", "--clients", "4", "--rounds", "3", "--local-epochs", "2", "--batch-size", "8",
            "--learning-rate", "0.1", "--partition", "dirichlet", "--beta", "0.5", "--strategy", "fedprox",
            "--wire", "--data", folder.path, "--out", out.path, "--seed", "2"
        ])
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("test accuracy after 3 rounds"))
        for name in [
            "metrics.jsonl", "index.html", "fed-partition.svg", "fed-accuracy.svg", "fed-global-mlp.safetensors"
        ] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "missing \(name)")
        }
        let lines = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(
            separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.last?.contains("\"round\":3") == true && lines.last?.contains("\"test_accuracy\"") == true)
        let accuracy =
            lines.last.flatMap { line -> Double? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    return nil
                }
                return object["test_accuracy"] as? Double
            } ?? 0
        #expect(accuracy > 0.5, "the tiny data set is easy: accuracy \(accuracy)")
    }

    @Test func secureAggregationGivesThePlainResult() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try NervaCLI.writeTinyDataset(in: folder)
        var finals: [String] = []
        for secure in [false, true] {
            let result = try NervaCLI.run(
                [
                    "fed", "simulate", "--clients", "4", "--rounds", "2", "--batch-size", "8", "--learning-rate", "0.1",
                    "--data", folder.path, "--out", folder.appendingPathComponent("run-\(secure)").path
                ]
                    + (secure ? ["--secure-aggregation"] : []))
            #expect(result.status == 0, "\(result.text)")
            #expect(result.text.contains("under secure aggregation") == secure)
            finals.append(
                try #require(
                    result.text.split(separator: "\n").last { $0.contains("test accuracy after") }.map(String.init)))
        }
        // The same accuracy: the masks cancel and only fixed-point rounding (2⁻²⁴) differs.
        #expect(finals[0].prefix(40) == finals[1].prefix(40), "\(finals)")
        let median = try NervaCLI.run(["fed", "simulate", "--secure-aggregation", "--strategy", "median"])
        #expect(median.status != 0 && median.text.contains("needs each of them"), "\(median.text)")
    }

    @Test func badFlagsAreRejectedWithTheirName() throws {
        let fraction = try NervaCLI.run(["fed", "simulate", "--fraction", "1.5"])
        #expect(fraction.status != 0 && fraction.text.contains("--fraction must be in (0, 1]"), "\(fraction.text)")
        let strategy = try NervaCLI.run(["fed", "simulate", "--strategy", "fedmagic"])
        #expect(strategy.status != 0 && strategy.text.contains("fedmagic"), "\(strategy.text)")
        let krum = try NervaCLI.run(["fed", "simulate", "--strategy", "krum", "--clients", "3"])
        #expect(krum.status != 0 && krum.text.contains("more than 4 clients per round"), "\(krum.text)")
        let noise = try NervaCLI.run(["fed", "simulate", "--noise-multiplier", "1"])
        #expect(noise.status != 0 && noise.text.contains("--noise-multiplier needs --clip-norm"), "\(noise.text)")
        let missing = try NervaCLI.run([
            "fed", "simulate", "--data", "/nonexistent/fmnist", "--out", NSTemporaryDirectory() + "nerva-fed-missing"
        ])
        #expect(missing.status != 0 && missing.text.contains("Fashion-MNIST"), "\(missing.text)")
    }
}
