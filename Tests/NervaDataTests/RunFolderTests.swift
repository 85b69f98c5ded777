import Foundation
import Testing

@testable import NervaData

/// A fresh directory under the system temporary directory, removed by `remove()`.
private struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("nerva-run-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

@Suite struct RunFolderTests {
    // MARK: - The folder

    @Test func defaultFolderIsNamedAfterCommandAndLocalTime() throws {
        let base = try TemporaryDirectory()
        defer { base.remove() }
        let date = try #require(
            Calendar.current.date(
                from: DateComponents(
                    year: 2025, month: 3, day: 7, hour: 14, minute: 5, second: 9)))
        let first = try RunFolder(command: "gan train", out: nil, settings: [], baseDirectory: base.url, date: date)
        #expect(first.url.lastPathComponent == "gan-train-20250307-140509")
        #expect(first.url.deletingLastPathComponent().lastPathComponent == "nerva-out")
        #expect(first.url.path.hasPrefix(base.url.standardizedFileURL.path + "/nerva-out/"))
        // A second run in the same second gets a folder of its own.
        let second = try RunFolder(command: "gan train", out: nil, settings: [], baseDirectory: base.url, date: date)
        #expect(second.url.lastPathComponent == "gan-train-20250307-140509-2")

        let now = try RunFolder(command: "tour", out: nil, settings: [], baseDirectory: base.url, date: Date())
        #expect(now.url.lastPathComponent.wholeMatch(of: /tour-\d{8}-\d{6}/) != nil)
        var isDirectory: ObjCBool = false
        #expect(
            FileManager.default.fileExists(atPath: now.url.path, isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    @Test func outFolderIsCreatedWithParentsAndReused() throws {
        let base = try TemporaryDirectory()
        defer { base.remove() }
        let folder = try RunFolder(
            command: "tour", out: "runs/a/b", settings: [], baseDirectory: base.url, date: Date())
        #expect(folder.url.path == base.url.standardizedFileURL.appendingPathComponent("runs/a/b").path)
        let again = try RunFolder(
            command: "tour", out: folder.url.path, settings: [], baseDirectory: base.url, date: Date())
        #expect(again.url == folder.url)
        #expect(folder.file("samples/epoch-1.png").path == folder.url.path + "/samples/epoch-1.png")
        #expect(FileManager.default.fileExists(atPath: folder.url.path + "/samples"))
    }

    @Test func folderBlockedByAFileIsANamedError() throws {
        let base = try TemporaryDirectory()
        defer { base.remove() }
        let file = base.url.appendingPathComponent("taken")
        try Data("x".utf8).write(to: file)

        let exact = #expect(throws: RunFolderError.self) {
            try RunFolder(command: "tour", out: file.path, settings: [], baseDirectory: base.url, date: Date())
        }
        #expect(exact == .notAFolder(folder: file.path, file: file.path))
        #expect(
            exact?.description
                == "the output folder \(file.path) is a file, not a folder. Choose another folder with --out DIR.")

        let below = #expect(throws: RunFolderError.self) {
            try RunFolder(
                command: "tour", out: file.path + "/deeper/run", settings: [], baseDirectory: base.url, date: Date())
        }
        #expect(below == .notAFolder(folder: file.path + "/deeper/run", file: file.path))
        #expect(below?.description.contains("--out") == true)
    }

    @Test func uncreatableFolderNamesTheFolderAndTheReason() throws {
        let error = #expect(throws: RunFolderError.self) {
            try RunFolder(
                command: "tour", out: "/proc/nerva-cannot-be-here", settings: [],
                baseDirectory: URL(fileURLWithPath: "/"), date: Date())
        }
        guard case let .cannotCreate(folder, problem)? = error else {
            Issue.record("expected cannotCreate, got \(String(describing: error))")
            return
        }
        #expect(folder == "/proc/nerva-cannot-be-here")
        #expect(!problem.isEmpty)
        #expect(error!.description.hasPrefix("cannot create the output folder /proc/nerva-cannot-be-here: "))
        #expect(error!.description.hasSuffix("Choose another folder with --out DIR."))
    }

    // MARK: - Metrics

    @Test func metricsAreJSONLinesWithKeysInOrder() throws {
        let base = try TemporaryDirectory()
        defer { base.remove() }
        let folder = try RunFolder(
            command: "tour", out: base.url.path, settings: [], baseDirectory: base.url, date: Date())
        let loss: Float = 0.1
        folder.log(["part": "engine", "epoch": 1, "loss": loss, "accuracy": 0.875, "done": false])
        folder.log(["zeta": 1, "alpha": 2.5, "mid": "say \"hi\"\n\\ \u{1}"])
        folder.log(["loss": Double.nan, "up": Double.infinity, "down": -Float.infinity, "tiny": 1e-7])

        let text = try String(contentsOf: folder.url.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4 && lines.last == "")
        #expect(lines[0] == #"{"part":"engine","epoch":1,"loss":0.1,"accuracy":0.875,"done":false}"#)
        #expect(lines[1].hasPrefix(#"{"zeta":1,"alpha":2.5,"mid":"#))
        #expect(lines[2] == #"{"loss":null,"up":null,"down":null,"tiny":1e-07}"#)

        for line in lines.dropLast() {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
        }
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["mid"] as? String == "say \"hi\"\n\\ \u{1}")
        let third = try #require(try JSONSerialization.jsonObject(with: Data(lines[2].utf8)) as? [String: Any])
        #expect(third["loss"] is NSNull && third["up"] is NSNull && third["down"] is NSNull)
    }

    @Test func recordReplacesAnExistingKeyInPlace() {
        var record: MetricRecord = ["epoch": 1, "loss": 2.0]
        record["epoch"] = .integer(2)
        record["accuracy"] = .number(0.5)
        record["loss"] = nil
        #expect(record.json == #"{"epoch":2,"accuracy":0.5}"#)
    }

    @Test func newRunReplacesOldMetrics() throws {
        let base = try TemporaryDirectory()
        defer { base.remove() }
        let first = try RunFolder(
            command: "tour", out: base.url.path, settings: [], baseDirectory: base.url, date: Date())
        first.log(["run": 1])
        let second = try RunFolder(
            command: "tour", out: base.url.path, settings: [], baseDirectory: base.url, date: Date())
        second.log(["run": 2])
        let text = try String(contentsOf: base.url.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(text == "{\"run\":2}\n")
    }

    @Test func continuingRunAppendsToEarlierMetrics() throws {
        let base = try TemporaryDirectory()
        defer { base.remove() }
        let first = try RunFolder(
            command: "tour", out: base.url.path, settings: [], baseDirectory: base.url, date: Date())
        first.log(["run": 1])
        let resumed = try RunFolder(
            command: "tour", out: base.url.path, settings: [], baseDirectory: base.url,
            date: Date(), continuing: true)
        resumed.log(["run": 2])
        let text = try String(contentsOf: base.url.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        #expect(text == "{\"run\":1}\n{\"run\":2}\n")
    }

    // MARK: - The report

    @Test func reportShowsSettingsSectionsInOrderAndFiles() throws {
        let base = try TemporaryDirectory()
        defer { base.remove() }
        let folder = try RunFolder(
            command: "gan train", out: base.url.path,
            settings: [("epochs", "20"), ("data", "/data/<fashion> & \"mnist\"")],
            baseDirectory: base.url, date: Date())
        folder.log(["epoch": 1, "loss": 0.5])
        try Data("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8).write(to: folder.file("loss.svg"))
        try Data(count: 2048).write(to: folder.file("loss.png"))
        try Data(count: 10).write(to: folder.file("samples/epoch 1.png"))
        try Data(count: 3).write(to: folder.file(".hidden"))

        folder.addFigure(title: "Loss", files: [folder.file("loss.svg")], caption: "Generator <and> discriminator")
        folder.addTable(title: "Scores", header: ["model", "FID"], rows: [["<b>GAN</b>", "12.5"], ["DCGAN", "9.75"]])
        folder.addFigure(title: "Samples", files: [folder.file("samples/epoch 1.png")], caption: nil)
        folder.addText(title: "Notes", text: "first <script>alert('x')</script>\n\nsecond & last")
        try folder.writeReport()

        let html = try String(contentsOf: folder.url.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<h1>nerva gan train</h1>"))
        #expect(html.contains("<th scope=\"row\">epochs</th><td>20</td>"))
        #expect(html.contains("/data/&lt;fashion&gt; &amp; &quot;mnist&quot;"))
        #expect(html.contains("first &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(html.contains("<p>second &amp; last</p>"))
        #expect(html.contains("<td>&lt;b&gt;GAN&lt;/b&gt;</td><td class=\"num\">12.5</td>"))
        #expect(html.contains("Generator &lt;and&gt; discriminator"))
        // Figures: the SVG is shown, the PNG beside it linked; a PNG alone is shown.
        #expect(html.contains("<img src=\"loss.svg\""))
        #expect(html.contains("<a href=\"loss.svg\">loss.svg</a> · <a href=\"loss.png\">loss.png</a></p>"))
        #expect(html.contains("<img src=\"samples/epoch%201.png\""))
        // Sections in the order added, between the settings and the file list.
        let order = [
            "<h2>Settings</h2>", "<h2>Loss</h2>", "<h2>Scores</h2>", "<h2>Samples</h2>", "<h2>Notes</h2>",
            "<h2>Files</h2>"
        ]
        let positions = order.compactMap { html.range(of: $0)?.lowerBound }
        #expect(positions.count == order.count && positions == positions.sorted())
        // Files with sizes; hidden files and the page itself are not listed.
        #expect(html.contains("<a href=\"loss.png\">loss.png</a></td><td class=\"num\">2.0 KB</td>"))
        #expect(html.contains("<a href=\"metrics.jsonl\">metrics.jsonl</a></td><td class=\"num\">"))
        #expect(html.contains(">samples/epoch 1.png</a></td><td class=\"num\">10 B</td>"))
        #expect(!html.contains(".hidden") && !html.contains(">index.html<"))
        // Self-contained: no scripts and nothing fetched from elsewhere.
        #expect(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("<link"))
    }

    @Test func everyRegisteredFigureIsReferenced() throws {
        let base = try TemporaryDirectory()
        defer { base.remove() }
        let folder = try RunFolder(
            command: "rl", out: base.url.path, settings: [], baseDirectory: base.url, date: Date())
        let names = ["reward.svg", "reward.png", "epsilon.svg", "grid.png", "q-values.svg"]
        for name in names { try Data("x".utf8).write(to: folder.file(name)) }
        folder.addFigure(title: "Reward", files: [folder.file("reward.svg"), folder.file("reward.png")], caption: nil)
        folder.addFigure(title: "Exploration", files: [folder.file("epsilon.svg")], caption: "ε")
        folder.addFigure(title: "Agent", files: [folder.file("grid.png"), folder.file("q-values.svg")], caption: nil)
        try folder.writeReport()
        try folder.writeReport() // rewriting replaces the page and leaves no temporary behind

        let html = try String(contentsOf: folder.url.appendingPathComponent("index.html"), encoding: .utf8)
        for name in ["reward.svg", "epsilon.svg", "grid.png", "q-values.svg"] {
            #expect(html.contains("<img src=\"\(name)\""), "\(name) not shown")
        }
        #expect(!html.contains("<img src=\"reward.png\""))
        #expect(html.contains("· <a href=\"reward.png\">reward.png</a></p>"), "the PNG beside the SVG is linked")
        let contents = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted()
        #expect(contents == (names + ["index.html"]).sorted())
    }

    @Test func byteCountsReadNaturally() {
        #expect(ReportPage.byteCount(0) == "0 B")
        #expect(ReportPage.byteCount(1023) == "1023 B")
        #expect(ReportPage.byteCount(1536) == "1.5 KB")
        #expect(ReportPage.byteCount(300 * 1024) == "300 KB")
        #expect(ReportPage.byteCount(5 * 1024 * 1024) == "5.0 MB")
    }
}
