import Foundation
import Testing

/// `nerva fed recommend` run as a user would: planted data and a tiny MovieLens folder, bad flags.
@Suite struct FedRecommendCLITests {
    @Test func plantedRunWritesCurvesComparisonAndTraffic() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("run")
        let result = try NervaCLI.run([
            "fed", "recommend", "--data", "planted", "--users", "60", "--items", "80", "--model", "gmf",
            "--rounds", "3", "--fraction", "0.5", "--centralised-epochs", "2", "--clip-norm", "1",
            "--dp-sweep", "0.5,2", "--out", out.path
        ])
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("federated gmf HR@10"))
        #expect(result.text.contains("centralised gmf (2 epochs) HR@10"))
        #expect(result.text.contains("popularity HR@10"))
        #expect(result.text.contains("sent per user"))
        #expect(result.text.contains("DP sweep: z = 2 → ε = "))
        let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let lines = metrics.split(separator: "\n")
        #expect(lines.filter { $0.contains("\"part\":\"fedrec\"") && $0.contains("\"round\"") }.count == 3)
        #expect(
            lines.contains {
                $0.contains("\"final\":true") && $0.contains("federated_over_centralised") && $0.contains("dp_epsilon")
            })
        #expect(lines.filter { $0.contains("\"part\":\"dp-sweep\"") }.count == 2)
        for file in [
            "index.html", "fedrec-curve.svg", "fedrec-curve.png", "dp-sweep.svg", "fedrec-shared-gmf.safetensors"
        ] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "missing \(file)")
        }
        let report = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(report.contains("What leaves a device") && report.contains("Federated vs centralised"))
    }

    @Test func movieLensFolderTrainsNeuMF() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try RecCLITests().writeTinyMovieLens(in: folder)
        let result = try NervaCLI.run([
            "fed", "recommend", "--data", folder.path, "--rounds", "2", "--layers", "16,8",
            "--centralised-epochs", "0", "--out", folder.appendingPathComponent("run").path
        ])
        #expect(result.status == 0, "\(result.text)")
        #expect(result.text.contains("30 users, 40 items"))
        #expect(result.text.contains("federated neumf HR@10") && !result.text.contains("centralised neumf"))
    }

    /// `fed recommend` on the tiny MovieLens folder in `folder` (half the users per round, no
    /// centralised baseline) with `flags`, into a run folder named after them; expects success.
    static func runTinyMovieLens(in folder: URL, rounds: Int, flags: [String]) throws -> (
        output: NervaCLI.Output, out: URL
    ) {
        let out = folder.appendingPathComponent("run" + flags.joined())
        let result = try NervaCLI.run(
            [
                "fed", "recommend", "--data", folder.path, "--rounds", "\(rounds)", "--fraction", "0.5",
                "--layers", "16,8", "--centralised-epochs", "0", "--out", out.path
            ] + flags)
        #expect(result.status == 0, "\(result.text)")
        return (result, out)
    }

    @Test func overHTTPGivesTheSimulationsResults() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try RecCLITests().writeTinyMovieLens(in: folder)
        var curves: [[String]] = []
        for http in [false, true] {
            let (result, out) = try Self.runTinyMovieLens(in: folder, rounds: 3, flags: http ? ["--over-http"] : [])
            #expect(result.text.contains("over HTTP on 127.0.0.1") == http)
            // Each round's HR/NDCG and upload size (the seconds differ).
            let lines = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(
                separator: "\n")
            curves.append(
                lines.filter { $0.contains("\"round\"") }.map { line in
                    String(
                        line.split(separator: ",").filter {
                            $0.contains("hit_rate") || $0.contains("ndcg") || $0.contains("upload")
                        }
                        .joined(separator: ","))
                })
        }
        #expect(curves[0].count == 3 && curves[0] == curves[1], "\(curves)")
    }

    @Test func badFlagsAreRejectedClearly() throws {
        let fraction = try NervaCLI.run(["fed", "recommend", "--fraction", "0"])
        #expect(fraction.status != 0 && fraction.text.contains("--fraction must be in (0, 1]"))
        let data = try NervaCLI.run(["fed", "recommend", "--data", "/no/such/folder"])
        #expect(data.status != 0 && data.text.contains("is not a folder"))
        let layers = try NervaCLI.run(["fed", "recommend", "--layers", "63,8"])
        #expect(layers.status != 0 && layers.text.contains("--layers must be"))
        let noise = try NervaCLI.run(["fed", "recommend", "--noise-multiplier", "1"])
        #expect(noise.status != 0 && noise.text.contains("--noise-multiplier needs --clip-norm"))
        let model = try NervaCLI.run(["fed", "recommend", "--model", "transformer"])
        #expect(model.status != 0 && model.text.contains("transformer"))
        let refit = try NervaCLI.run(["fed", "recommend", "--refit-epochs=-1"])
        #expect(refit.status != 0 && refit.text.contains("--refit-epochs must be non-negative"))
    }

    /// In process and over HTTP (one task per step of the protocol), secure aggregation ends
    /// with the plain run's ranking.
    @Test func secureAggregationGivesThePlainRunsRanking() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try RecCLITests().writeTinyMovieLens(in: folder)
        var finals: [String] = []
        for (secure, http) in [(false, false), (true, false), (true, true)] {
            let (result, out) = try Self.runTinyMovieLens(
                in: folder, rounds: 2,
                flags: (secure ? ["--secure-aggregation"] : []) + (http ? ["--over-http"] : []))
            #expect(result.text.contains("under secure aggregation") == secure)
            finals.append(
                String(
                    result.text.split(separator: "\n").first { $0.hasPrefix("federated neumf HR@10") }?.prefix(48) ?? ""
                ))
            let report = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
            #expect(report.contains("This run used secure aggregation") == secure)
        }
        #expect(!finals[0].isEmpty && finals.allSatisfy { $0 == finals[0] }, "\(finals)")
    }
}
