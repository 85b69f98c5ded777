import Foundation
import NervaData

/// One part of `nerva tour`: a title for the summary table and a run that returns its result in
/// one line (or why it was skipped).
protocol TourPart {
    /// The part's name in the summary table.
    var title: String { get }
    /// Runs the part into the tour's folder; returns its result in one line.
    func run() throws -> String
}

/// The table that closes the tour: every part, its result and its time, printed and in the report.
struct TourSummary {
    struct Row: Equatable {
        let part: String
        let result: String
        let seconds: Double
    }

    private(set) var rows: [Row] = []

    /// Runs `part`, timing it, and records its result line.
    mutating func run(_ part: any TourPart) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try part.run()
        rows.append(
            Row(
                part: part.title, result: result,
                seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
    }

    /// The table as text, one line per part and a total.
    var text: String {
        let width = max(rows.map(\.part.count).max() ?? 0, 5)
        var lines = [
            "Summary",
            "  " + "part".padding(toLength: width, withPad: " ", startingAt: 0) + "  seconds  result"
        ]
        for row in rows {
            lines.append(
                "  " + row.part.padding(toLength: width, withPad: " ", startingAt: 0)
                    + String(format: "  %7.1f  ", row.seconds) + row.result)
        }
        lines.append(
            "  " + "total".padding(toLength: width, withPad: " ", startingAt: 0)
                + String(format: "  %7.1f", totalSeconds))
        return lines.joined(separator: "\n")
    }

    /// The parts' time together.
    var totalSeconds: Double { rows.reduce(0) { $0 + $1.seconds } }

    /// Adds the table to the report.
    func addTable(to folder: RunFolder) {
        folder.addTable(
            title: "Summary of the tour", header: ["part", "result", "seconds"],
            rows: rows.map { [$0.part, $0.result, String(format: "%.1f", $0.seconds)] }
                + [["total", "", String(format: "%.1f", totalSeconds)]])
    }
}
