/// A problem with an interaction or catalogue file; each case names the file (and line).
public enum RecDataError: Error, CustomStringConvertible, Equatable {
    /// A line that cannot be parsed (wrong number of fields, a number that is not one).
    case malformedLine(file: String, line: Int, problem: String)
    /// A file that is missing or cannot be read.
    case unreadable(file: String, problem: String)
    /// A header without a column the reader was told to use.
    case missingColumn(file: String, column: String, header: [String])
    /// A folder that holds none of the MovieLens layouts.
    case unknownLayout(directory: String)
    /// A file without a single usable interaction.
    case empty(file: String)
    /// Data too small or too degenerate for what was asked of it (training, evaluation).
    case tooLittleData(problem: String)

    public var description: String {
        switch self {
        case let .malformedLine(file, line, problem): return "\(file):\(line): \(problem)"
        case let .unreadable(file, problem): return "\(file): cannot read the file: \(problem)"
        case let .missingColumn(file, column, header):
            return "\(file): no column named '\(column)' in the header (columns: \(header.joined(separator: ", ")))"
        case let .unknownLayout(directory):
            return
                "\(directory): not a MovieLens folder (expected u.data (ml-100k), ratings.dat (ml-1m) or ratings.csv (ml-latest, ml-25m))"
        case let .empty(file): return "\(file): no interactions"
        case let .tooLittleData(problem): return "too little data: \(problem)"
        }
    }
}

/// What to do with a line that cannot be parsed.
public enum MalformedLinePolicy: String, Sendable, CaseIterable {
    /// Stop with an error naming the file and line.
    case fail
    /// Skip the line and record it in the reader's report.
    case skip
}

/// The lines a reader skipped, each with its file, line number and reason.
public struct ReadReport: Sendable {
    /// The skipped lines.
    public var skipped: [RecDataError] = []
    /// The number of lines read as data.
    public var linesRead = 0

    public init() {}
}
