import Foundation
import Testing

/// `nerva bench`: the JSON lines of DESIGN.md, with the machine on every line, and PyTorch's
/// figures beside Nerva's with `--compare-pytorch`.
@Suite struct BenchCLITests {
    private func objects(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").filter { $0.hasPrefix("{") }.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    private func imports(_ module: String, with python: URL) -> Bool {
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", "import \(module)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test func jsonLinesNameTheMachineAndTheISA() throws {
        let result = try NervaCLI.run(["bench", "rl", "--json", "--quick", "--only", "env_steps"])
        #expect(result.status == 0, "\(result.text)")
        let lines = try objects(result.text)
        let names = lines.compactMap { $0["name"] as? String }
        #expect(names.prefix(2) == ["env_steps", "env_steps"] && names.last == "peak_rss", "\(result.text)")
        for line in lines {
            #expect(line["suite"] as? String == "rl")
            #expect((line["value"] as? Double).map { $0 > 0 } == true)
            #expect(["steps/s", "MB"].contains(line["unit"] as? String ?? ""))
            #expect(["baseline", "avx2", "avx512"].contains(line["isa"] as? String ?? ""), "\(line)")
            #expect(line["cpu"] is String)
            #if os(Linux)
                #expect((line["backend"] as? String)?.hasPrefix("oneDNN ") == true, "\(line)")
            #endif
        }
    }

    /// PyTorch from the .venv measures the same workload in the same run (needs torch: CI sets
    /// NERVA_REQUIRE_TORCH=1, so there the test cannot be skipped).
    @Test func comparePyTorchAddsItsFigureAndTheRatio() throws {
        let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".venv/bin/python3")
        let hasTorch = FileManager.default.isExecutableFile(atPath: python.path) && imports("torch", with: python)
        if !hasTorch {
            #expect(ProcessInfo.processInfo.environment["NERVA_REQUIRE_TORCH"] == nil, "PyTorch is required here")
            return
        }
        let result = try NervaCLI.run([
            "bench", "engine", "--json", "--quick", "--only", "mlp_train", "--compare-pytorch"
        ])
        #expect(result.status == 0, "\(result.text)")
        let training = try objects(result.text).filter { $0["name"] as? String == "mlp_train" }
        #expect(training.count == 2, "\(result.text)")
        for line in training {
            let nerva = try #require(line["value"] as? Double), pytorch = try #require(line["pytorch"] as? Double)
            let ratio = try #require(line["ratio"] as? Double)
            #expect(pytorch > 0)
            #expect(Swift.abs(ratio - nerva / pytorch) <= 0.01 * ratio + 0.001, "\(line)")
        }
    }

    /// With `--rounds`, each line gives the medians of the rounds and the range of the ratios
    /// (needs torch, as above).
    @Test func roundsGiveMediansAndTheRangeOfTheRatios() throws {
        let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".venv/bin/python3")
        guard FileManager.default.isExecutableFile(atPath: python.path) && imports("torch", with: python) else {
            #expect(ProcessInfo.processInfo.environment["NERVA_REQUIRE_TORCH"] == nil, "PyTorch is required here")
            return
        }
        let result = try NervaCLI.run([
            "bench", "engine", "--json", "--quick", "--only", "mlp_train", "--compare-pytorch", "--rounds", "2"
        ])
        #expect(result.status == 0, "\(result.text)")
        let training = try objects(result.text).filter { $0["name"] as? String == "mlp_train" }
        #expect(training.count == 2, "\(result.text)")
        for line in training {
            let low = try #require(line["ratio_min"] as? Double), high = try #require(line["ratio_max"] as? Double)
            let ratio = try #require(line["ratio"] as? Double)
            #expect(line["rounds"] as? Int == 2 && low <= ratio && ratio <= high, "\(line)")
        }
    }

    @Test func aRoundCountOutsideItsRangeIsAnError() throws {
        let result = try NervaCLI.run(["bench", "rl", "--only", "env_steps", "--rounds", "0"])
        #expect(result.status != 0 && result.text.contains("--rounds"), "\(result.text)")
    }
}
