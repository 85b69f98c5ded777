import Foundation
import NervaData
import NervaTestSupport
import NervaTour
import Testing

/// The tour's parts and the summary table that closes it.
@Suite struct TourTests {
    @Test func theTourHasEveryPartOnceWithTheClassifierBeforeTheGAN() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let folder = try RunFolder(command: "tour", out: out.path)
        let titles = Tour.parts(seed: 0, folder: folder, dataDirectory: nil).map(\.title)
        #expect(titles.count == 6 && Set(titles).count == 6)
        for prefix in ["engine", "vision", "gan", "rl", "recommender", "federated"] {
            #expect(titles.filter { $0.hasPrefix(prefix + ":") }.count == 1, "\(titles)")
        }
        let vision = try #require(titles.firstIndex { $0.hasPrefix("vision") })
        let gan = try #require(titles.firstIndex { $0.hasPrefix("gan") })
        #expect(vision < gan, "the GAN part measures its samples with the vision part's classifier")
    }

    /// The vision and GAN parts on a tiny Fashion-MNIST: each reports its figures in the summary,
    /// printed and in the report; the GAN part says which remedy it used.
    @Test func theSummaryListsEachPartsResultInTheReport() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let tiny = try TinyFashionMNIST(trainCount: 600, testCount: 100)
        defer { tiny.remove() }
        let data = tiny.url
        let folder = try RunFolder(command: "tour", out: out.appendingPathComponent("tour").path)
        var gan = GANTour(seed: 0, folder: folder, dataDirectory: data)
        gan.budget = 5
        var summary = TourSummary()
        try summary.run(VisionTour(seed: 0, folder: folder, dataDirectory: data))
        try summary.run(gan)
        summary.addTable(to: folder)
        try folder.writeReport()

        #expect(summary.rows.map(\.part) == ["vision: LeNet-5 on Fashion-MNIST", "gan: MLP GAN with the R1 remedy"])
        #expect(summary.rows[0].result.hasPrefix("test accuracy "), "\(summary.rows[0].result)")
        #expect(
            summary.rows[1].result.contains("remedy r1") && summary.rows[1].result.contains("/10 classes"),
            "\(summary.rows[1].result)")
        let text = summary.text
        #expect(
            text.contains("vision: LeNet-5 on Fashion-MNIST") && text.contains("gan: MLP GAN with the R1 remedy")
                && text.contains("total"), "\(text)")
        let report = try String(contentsOf: folder.file("index.html"), encoding: .utf8)
        #expect(
            report.contains("Summary of the tour") && report.contains(summary.rows[1].result),
            "\(report.suffix(2000))")
        #expect(report.contains("R1 penalty"))
        let svg = try String(contentsOf: folder.file("learning-curves-cnn.svg"), encoding: .utf8)
        #expect(svg.contains("per step, smoothed"))
    }

    @Test func aPartWithoutDataIsSkippedAndSaysSo() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let folder = try RunFolder(command: "tour", out: out.path)
        var summary = TourSummary()
        try summary.run(GANTour(seed: 0, folder: folder, dataDirectory: out.appendingPathComponent("nowhere")))
        #expect(summary.rows.first?.result == "skipped: no Fashion-MNIST")
    }
}
