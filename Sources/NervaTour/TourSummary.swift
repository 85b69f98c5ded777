import Foundation
import NervaData

/// One part of `nerva tour`: a title for the summary table and a run that returns its result in
/// one line (or why it was skipped).
public protocol TourPart {
    /// The part's name in the summary table.
    var title: String { get }
    /// Runs the part into the tour's folder; returns its result in one line.
    func run() throws -> String
}

/// The table that closes the tour: every part, its result and its time, printed and in the report.
public struct TourSummary: Sendable {
    /// One part's line.
    public struct Row: Equatable, Sendable {
        /// The part's title.
        public let part: String
        /// Its result in one line.
        public let result: String
        /// How long it ran.
        public let seconds: Double
    }

    /// The parts run so far, in order.
    public private(set) var rows: [Row] = []

    /// An empty summary.
    public init() {}

    /// Runs `part`, timing it, and records its result line.
    /// - Parameter part: The part to run.
    public mutating func run(_ part: any TourPart) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try part.run()
        rows.append(
            Row(
                part: part.title, result: result,
                seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
    }

    /// The table as text, one line per part and a total.
    public var text: String {
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
    public var totalSeconds: Double { rows.reduce(0) { $0 + $1.seconds } }

    /// Adds the table to the report.
    /// - Parameter folder: The tour's folder.
    public func addTable(to folder: RunFolder) {
        folder.addTable(
            title: "Summary of the tour", header: ["part", "result", "seconds"],
            rows: rows.map { [$0.part, $0.result, String(format: "%.1f", $0.seconds)] }
                + [["total", "", String(format: "%.1f", totalSeconds)]])
    }
}
