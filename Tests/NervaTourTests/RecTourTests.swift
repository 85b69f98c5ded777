import Foundation
import NervaData
import NervaTour
import Testing

/// The recommender part of the tour runs and writes its table, chart and explanations.
@Suite struct RecTourTests {
    @Test func recommenderTourRuns() throws {
        let out = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: out) }
        let folder = try RunFolder(command: "tour", out: out.path)
        try RecommenderTour(seed: 0, folder: folder).run()
        try folder.writeReport()
        let report = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(report.contains("Recommenders on planted synthetic data") && report.contains("because you liked"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("rec-neumf-curve.svg").path))
    }
}
