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
        let trained = try NervaCLI.run([
            "rec", "train", "--data", folder.path, "--model", "neumf", "--epochs", "2", "--out", out.path
        ])
        #expect(trained.status == 0, "\(trained.text)")
        #expect(trained.text.contains("HR@10 (1 + 99 sampled)"))
        let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        // Two epochs choosing on validation items, the refit on all training rows, the final record.
        #expect(metrics.contains("validation_ndcg@10") && metrics.contains("refit-neumf"), "\(metrics)")
        #expect((4...5).contains(metrics.split(separator: "\n").count))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("rec-neumf-curve.svg").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("index.html").path))
        let checkpoint = out.appendingPathComponent("rec-neumf.safetensors").path

        let recommended = try NervaCLI.run([
            "rec", "recommend", "--checkpoint", checkpoint, "--user", "3", "--count", "5"
        ])
        #expect(recommended.status == 0 && recommended.text.contains("top 5 for user 3"), "\(recommended.text)")
        let cold = try NervaCLI.run(["rec", "recommend", "--checkpoint", checkpoint, "--user", "999"])
        #expect(cold.text.contains("cold start"))
        let similar = try NervaCLI.run(["rec", "similar", "--checkpoint", checkpoint, "--item", "4", "--count", "3"])
        #expect(similar.status == 0 && similar.text.contains("Movie"), "\(similar.text)")

        let pairs = folder.appendingPathComponent("pairs.csv")
        let scores = folder.appendingPathComponent("scores.csv")
        try "user,item\n3,5\n4,25\n999,5\n".write(to: pairs, atomically: true, encoding: .utf8)
        let scored = try NervaCLI.run([
            "rec", "score", "--checkpoint", checkpoint, "--pairs", pairs.path, "--output", scores.path
        ])
        #expect(scored.status == 0, "\(scored.text)")
        let lines = try String(contentsOf: scores, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 4 && lines[0] == "user,item,score" && lines[1].hasPrefix("3,5,"))

        let evaluated = try NervaCLI.run(["rec", "evaluate", "--checkpoint", checkpoint, "--data", folder.path])
        #expect(evaluated.status == 0 && evaluated.text.contains("HR@10"), "\(evaluated.text)")
    }

    @Test func svdScoresAreRatingsInTheDataRange() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeTinyMovieLens(in: folder)
        let out = folder.appendingPathComponent("run")
        let trained = try NervaCLI.run([
            "rec", "train", "--data", folder.path, "--model", "svd", "--epochs", "3", "--out", out.path
        ])
        #expect(trained.status == 0, "\(trained.text)")
        let pairs = folder.appendingPathComponent("pairs.csv")
        let scores = folder.appendingPathComponent("scores.csv")
        try "user,item\n1,1\n2,3\n3,5\n4,25\n".write(to: pairs, atomically: true, encoding: .utf8)
        let scored = try NervaCLI.run([
            "rec", "score", "--checkpoint", out.appendingPathComponent("rec-svd.safetensors").path,
            "--pairs", pairs.path, "--output", scores.path
        ])
        #expect(scored.status == 0, "\(scored.text)")
        let values = try String(contentsOf: scores, encoding: .utf8).split(separator: "\n").dropFirst()
            .compactMap { $0.split(separator: ",").last.flatMap { Float($0) } }
        #expect(values.count == 4 && values.allSatisfy { (3...5).contains($0) }, "\(values)")
    }

    /// The rows of the tiny ml-100k folder as tab-separated text, for `--train` files.
    func tinyRows() -> String {
        var rows = ""
        for user in 1...30 {
            for k in 0..<10 {
                let item = 1 + (user % 2) * 20 + (user * 3 + k * 7) % 20
                rows += "\(user)\t\(item)\t\(3 + (k % 3))\t\(880_000_000 + user * 100 + k)\n"
            }
        }
        return rows
    }

    @Test func aTrainingFileAloneTrainsOnEveryRowAndEvaluatesNothing() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("train.tsv")
        try tinyRows().write(to: file, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("run")
        let trained = try NervaCLI.run([
            "rec", "train", "--train", file.path, "--model", "gmf", "--epochs", "2", "--no-validation",
            "--out", out.path
        ])
        #expect(trained.status == 0, "\(trained.text)")
        #expect(trained.text.contains("300 training and no test interactions (no evaluation)"), "\(trained.text)")
        #expect(
            trained.text.contains("evaluation: none") && !trained.text.contains("test HR")
                && !trained.text.contains("HR@10 (1"),
            "\(trained.text)")
        let metrics = try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(
            !metrics.contains("hit_rate") && metrics.contains("evaluation") && metrics.contains("none"), "\(metrics)")
        // The same file with a held-out split is evaluated.
        let split = try NervaCLI.run([
            "rec", "train", "--train", file.path, "--split", "leave-one-out", "--model", "popularity",
            "--out", folder.appendingPathComponent("split").path
        ])
        #expect(
            split.status == 0 && split.text.contains("270 training and 30 test interactions")
                && split.text.contains("HR@10"),
            "\(split.text)")
    }

    @Test func formatOptionsWorkForAnyFileName() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tsv = folder.appendingPathComponent("train.tsv")
        let named = folder.appendingPathComponent("ratings.csv")
        try tinyRows().write(to: tsv, atomically: true, encoding: .utf8)
        try tinyRows().replacingOccurrences(of: "\t", with: ";").write(to: named, atomically: true, encoding: .utf8)
        for (index, arguments) in [
            ["--train", tsv.path], ["--train", tsv.path, "--no-header", "--delimiter", "tab"],
            ["--train", named.path, "--no-header", "--delimiter", ";", "--columns", "1,2,3"]
        ].enumerated() {
            let trained = try NervaCLI.run(
                ["rec", "train"] + arguments + [
                    "--model", "popularity",
                    "--out", folder.appendingPathComponent("o\(index)").path
                ])
            #expect(
                trained.status == 0 && trained.text.contains("30 users, 40 items, 300 training"),
                "\(arguments): \(trained.text)")
        }
        let extra = folder.appendingPathComponent("extra.csv")
        try "user,item,rating\n1,2,5\n1,3,4,oops\n".write(to: extra, atomically: true, encoding: .utf8)
        let rejected = try NervaCLI.run(["rec", "train", "--train", extra.path, "--model", "popularity"])
        #expect(
            rejected.status != 0 && rejected.text.contains("extra.csv:3: 4 fields, more than the 3 of the header"),
            "\(rejected.text)")
        let words = folder.appendingPathComponent("words.csv")
        try "user,item\nann,1\nbob,2\nann,2\n".write(to: words, atomically: true, encoding: .utf8)
        let text = try NervaCLI.run([
            "rec", "train", "--train", words.path, "--model", "popularity", "--out",
            folder.appendingPathComponent("w").path
        ])
        #expect(
            text.status != 0
                && text.text.contains("words.csv:2: user 'ann' is not an integer id (text ids need --string-ids)"),
            "\(text.text)")
        let allowed = try NervaCLI.run([
            "rec", "train", "--train", words.path, "--string-ids", "--model", "popularity",
            "--out", folder.appendingPathComponent("w2").path
        ])
        #expect(allowed.status == 0, "\(allowed.text)")
    }

    @Test func scorePairsInAnyLayoutWithColdStartBelowKnownItems() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeTinyMovieLens(in: folder)
        let out = folder.appendingPathComponent("run")
        let trained = try NervaCLI.run([
            "rec", "train", "--data", folder.path, "--model", "popularity", "--out", out.path
        ])
        #expect(trained.status == 0, "\(trained.text)")
        let checkpoint = out.appendingPathComponent("rec-popularity.safetensors").path
        let items = (1...40).map(String.init) + ["777"]
        for (name, separator, prefix) in [("p.tsv", "\t", ""), ("p.txt", " ", "\u{FEFF}")] {
            let pairs = folder.appendingPathComponent(name)
            let scores = folder.appendingPathComponent(name + ".out")
            try (prefix + items.map { "3\(separator)\($0)\(separator)4" }.joined(separator: "\n"))
                .write(to: pairs, atomically: true, encoding: .utf8)
            let scored = try NervaCLI.run([
                "rec", "score", "--checkpoint", checkpoint, "--pairs", pairs.path, "--output", scores.path
            ])
            #expect(scored.status == 0, "\(scored.text)")
            #expect(
                scored.text.contains(
                    "1 pair(s) with an item unknown to the model were scored 1 below the user's lowest"),
                "\(scored.text)")
            let values = try String(contentsOf: scores, encoding: .utf8).split(separator: "\n").dropFirst()
                .map { $0.split(separator: ",") }
            #expect(values.count == 41, "\(values)")
            let unknown = try #require(values.last.flatMap { Float($0[2]) })
            #expect(values.dropLast().allSatisfy { Float($0[2])! > unknown })
        }
        let pairs = folder.appendingPathComponent("cold.csv")
        try "user,item\n999,5\n".write(to: pairs, atomically: true, encoding: .utf8)
        let cold = try NervaCLI.run(["rec", "score", "--checkpoint", checkpoint, "--pairs", pairs.path])
        #expect(
            cold.text.contains("1 pair(s) with a user unknown to the model were scored by the item's popularity"),
            "\(cold.text)")
    }

    @Test func itemKNNExplainsAndMalformedLinesAreNamed() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeTinyMovieLens(in: folder, malformedLine: true)
        let failed = try NervaCLI.run([
            "rec", "train", "--data", folder.path, "--model", "item-knn", "--out",
            folder.appendingPathComponent("a").path
        ])
        #expect(failed.status != 0)
        #expect(failed.text.contains("u.data:301: rating 'five' is not a number"), "\(failed.text)")
        let out = folder.appendingPathComponent("b")
        let trained = try NervaCLI.run([
            "rec", "train", "--data", folder.path, "--model", "item-knn", "--malformed", "skip", "--out", out.path
        ])
        #expect(trained.status == 0 && trained.text.contains("skipped 1 malformed line"), "\(trained.text)")
        let recommended = try NervaCLI.run([
            "rec", "recommend", "--checkpoint", out.appendingPathComponent("rec-item-knn.safetensors").path,
            "--user", "2"
        ])
        #expect(recommended.text.contains("because you liked"), "\(recommended.text)")
    }

    @Test func badFlagsAreRejectedClearly() throws {
        let badModel = try NervaCLI.run(["rec", "train", "--data", "synthetic", "--model", "deep-magic"])
        #expect(badModel.status != 0 && badModel.text.contains("deep-magic"))
        let badSplit = try NervaCLI.run(["rec", "train", "--data", "synthetic", "--split", "half"])
        #expect(badSplit.status != 0 && badSplit.text.contains("--split must be"))
        let noData = try NervaCLI.run(["rec", "train"])
        #expect(noData.status != 0 && noData.text.contains("--data"))
        let cgElsewhere = try NervaCLI.run(["rec", "train", "--data", "synthetic", "--model", "svd", "--cg-steps", "2"])
        #expect(cgElsewhere.status != 0 && cgElsewhere.text.contains("--cg-steps does not apply to --model svd"))
        let noSteps = try NervaCLI.run(["rec", "train", "--data", "synthetic", "--model", "als", "--cg-steps", "0"])
        #expect(
            noSteps.status != 0 && noSteps.text.contains("conjugate-gradient steps must be at least 1"),
            "\(noSteps.text)")
        let both = try NervaCLI.run([
            "rec", "train", "--data", "synthetic", "--model", "als", "--cg-steps", "2", "--exact-solve"
        ])
        #expect(both.status != 0 && both.text.contains("choose different ALS solvers"))
    }

    @Test func contentModelFindsSimilarTitles() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeTinyMovieLens(in: folder)
        let out = folder.appendingPathComponent("content")
        let trained = try NervaCLI.run(["rec", "train", "--data", folder.path, "--model", "content", "--out", out.path])
        #expect(trained.status == 0, "\(trained.text)")
        let checkpoint = out.appendingPathComponent("rec-content.safetensors").path
        let similar = try NervaCLI.run([
            "rec", "similar", "--checkpoint", checkpoint, "--title", "movie 3 (", "--count", "3"
        ])
        #expect(
            similar.status == 0 && similar.text.contains("items similar to Movie 3 (1993) (id 3)"), "\(similar.text)")
        // Items 1…20 share a genre, 21…40 another: the neighbours of item 3 come from the first group.
        let neighbours = similar.text.split(separator: "\n").dropFirst().compactMap { (line: Substring) -> Int? in
            guard let marker = line.range(of: "(id ") else { return nil }
            return Int(String(line[marker.upperBound...].prefix { $0.isNumber }))
        }
        #expect(neighbours.count == 3 && neighbours.allSatisfy { $0 <= 20 }, "\(similar.text)")
        let missing = try NervaCLI.run(["rec", "similar", "--checkpoint", checkpoint, "--title", "no such film"])
        #expect(missing.status != 0 && missing.text.contains("No item title contains 'no such film'"))
        let both = try NervaCLI.run(["rec", "similar", "--checkpoint", checkpoint])
        #expect(both.status != 0 && both.text.contains("--item ID or --title"))
    }

    /// "Similar garments": a LeNet trained briefly by `nerva classify`, its penultimate layer as
    /// the pictures' vectors, exact k-NN, a PNG grid, and neighbours that mostly share the query's
    /// class (raw pixels are measured beside them).
    @Test(
        .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist"), "needs Fashion-MNIST")
    )
    func similarGarmentsFromTheClassifiersEmbeddings() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let classifier = folder.appendingPathComponent("classifier")
        let trained = try NervaCLI.run([
            "classify", "--model", "cnn", "--epochs", "2", "--limit", "3000", "--out", classifier.path
        ])
        #expect(trained.status == 0, "\(trained.text)")
        let out = folder.appendingPathComponent("similar")
        let found = try NervaCLI.run([
            "rec", "similar-images", "--classifier",
            classifier.appendingPathComponent("classifier-cnn.safetensors").path,
            "--limit", "2000", "--query", "0,1", "--count", "5", "--evaluate", "500", "--out", out.path
        ])
        #expect(found.status == 0, "\(found.text)")
        #expect(found.text.contains("test picture 0 (Ankle boot)"), "\(found.text)")
        let png = try Data(contentsOf: out.appendingPathComponent("similar-garments.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let line = try #require(found.text.split(separator: "\n").first { $0.hasPrefix("same-class precision") })
        let numbers = line.split(separator: " ").filter { $0.contains(".") }.compactMap { Double($0) }
        // Chance is 0.1; a briefly trained LeNet's neighbours mostly share the query's class.
        #expect(numbers.count == 2 && numbers[0] > 0.5 && numbers[1] > 0.5, "\(line)")
        let bad = try NervaCLI.run([
            "rec", "similar-images", "--classifier", folder.appendingPathComponent("none.safetensors").path
        ])
        #expect(bad.status != 0 && bad.text.contains("No classifier at"))
    }
}
