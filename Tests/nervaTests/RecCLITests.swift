import Foundation
import Testing

/// `nerva rec …` run as a user would: tiny MovieLens files, a bad flag, a malformed line.
@Suite struct RecCLITests {
    /// A tiny ml-100k folder: 30 users, 40 items in two taste groups, a catalogue with genres.
    func writeTinyMovieLens(in folder: URL, malformedLine: Bool = false) throws {
        var data = ""
        for user in 1...30 {
            let group = user % 2
            for k in 0..<10 {
                let item = 1 + group * 20 + (user * 3 + k * 7) % 20
                data += "\(user)\t\(item)\t\(3 + (k % 3))\t\(880_000_000 + user * 100 + k)\n"
            }
        }
        if malformedLine { data += "31\t5\tfive\t880000000\n" }
        try data.write(to: folder.appendingPathComponent("u.data"), atomically: true, encoding: .utf8)
        var items = Data()
        for item in 1...40 {
            let flags = (0..<19).map { $0 == (item <= 20 ? 1 : 5) ? "1" : "0" }.joined(separator: "|")
            items.append(Data("\(item)|Movie \(item) (199\(item % 10))|01-Jan-1995||http://x|\(flags)\n".utf8))
        }
        try items.write(to: folder.appendingPathComponent("u.item"))
    }

    @Test func trainRecommendSimilarScoreAndEvaluate() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeTinyMovieLens(in: folder)
        let out = folder.appendingPathComponent("run")
        let trained = try NervaCLI.run(["rec", "train", "--data", folder.path, "--model", "neumf", "--epochs", "2", "--out", out.path])
        #expect(trained.status == 0, "\(trained.text)")
        #expect(trained.text.contains("HR@10 (1 + 99 sampled)"))
        let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 3)   // two epochs and the final record
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("rec-neumf-curve.svg").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("index.html").path))
        let checkpoint = out.appendingPathComponent("rec-neumf.safetensors").path

        let recommended = try NervaCLI.run(["rec", "recommend", "--checkpoint", checkpoint, "--user", "3", "--count", "5"])
        #expect(recommended.status == 0 && recommended.text.contains("top 5 for user 3"), "\(recommended.text)")
        let cold = try NervaCLI.run(["rec", "recommend", "--checkpoint", checkpoint, "--user", "999"])
        #expect(cold.text.contains("cold start"))
        let similar = try NervaCLI.run(["rec", "similar", "--checkpoint", checkpoint, "--item", "4", "--count", "3"])
        #expect(similar.status == 0 && similar.text.contains("Movie"), "\(similar.text)")

        let pairs = folder.appendingPathComponent("pairs.csv"), scores = folder.appendingPathComponent("scores.csv")
        try "user,item\n3,5\n4,25\n999,5\n".write(to: pairs, atomically: true, encoding: .utf8)
        let scored = try NervaCLI.run(["rec", "score", "--checkpoint", checkpoint, "--pairs", pairs.path, "--output", scores.path])
        #expect(scored.status == 0, "\(scored.text)")
        let lines = try String(contentsOf: scores, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4 && lines[0] == "user,item,score" && lines[1].hasPrefix("3,5,"))

        let evaluated = try NervaCLI.run(["rec", "evaluate", "--checkpoint", checkpoint, "--data", folder.path])
        #expect(evaluated.status == 0 && evaluated.text.contains("HR@10"), "\(evaluated.text)")
    }

    @Test func itemKNNExplainsAndMalformedLinesAreNamed() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeTinyMovieLens(in: folder, malformedLine: true)
        let failed = try NervaCLI.run(["rec", "train", "--data", folder.path, "--model", "item-knn", "--out", folder.appendingPathComponent("a").path])
        #expect(failed.status != 0)
        #expect(failed.text.contains("u.data:301: rating 'five' is not a number"), "\(failed.text)")
        let out = folder.appendingPathComponent("b")
        let trained = try NervaCLI.run(["rec", "train", "--data", folder.path, "--model", "item-knn", "--malformed", "skip", "--out", out.path])
        #expect(trained.status == 0 && trained.text.contains("skipped 1 malformed line"), "\(trained.text)")
        let recommended = try NervaCLI.run(["rec", "recommend", "--checkpoint", out.appendingPathComponent("rec-item-knn.safetensors").path,
                                            "--user", "2"])
        #expect(recommended.text.contains("because you liked"), "\(recommended.text)")
    }

    @Test func badFlagsAreRejectedClearly() throws {
        let badModel = try NervaCLI.run(["rec", "train", "--data", "synthetic", "--model", "deep-magic"])
        #expect(badModel.status != 0 && badModel.text.contains("deep-magic"))
        let badSplit = try NervaCLI.run(["rec", "train", "--data", "synthetic", "--split", "half"])
        #expect(badSplit.status != 0 && badSplit.text.contains("--split must be"))
        let noData = try NervaCLI.run(["rec", "train"])
        #expect(noData.status != 0 && noData.text.contains("--data"))
    }
}
