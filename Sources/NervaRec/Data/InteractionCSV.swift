import Foundation

/// A reader for any delimited interaction file with a header naming its columns:
///
/// ```swift
/// let columns = InteractionCSV.Columns(user: "customer", item: "sku", rating: "stars", timestamp: nil)
/// let (data, report) = try InteractionCSV.read(URL(fileURLWithPath: "orders.csv"), columns: columns)
/// ```
/// Quoted fields are accepted. Without a rating column the data is implicit; without a
/// timestamp column, rows keep file order.
public enum InteractionCSV {
    /// The header names of the columns to read.
    public struct Columns: Sendable, Equatable {
        public var user: String
        public var item: String
        public var rating: String?
        public var timestamp: String?

        public init(user: String = "user", item: String = "item", rating: String? = "rating", timestamp: String? = "timestamp") {
            self.user = user
            self.item = item
            self.rating = rating
            self.timestamp = timestamp
        }
    }

    /// Reads `url`. A column named in `columns` but absent from the header is an error, except
    /// `rating` and `timestamp` when `optionalColumns` is true (then the data has none).
    public static func read(_ url: URL, columns: Columns = Columns(), delimiter: Character = ",",
                            malformed: MalformedLinePolicy = .fail,
                            optionalColumns: Bool = true) throws -> (InteractionDataset, ReadReport) {
        try read(TextLines(url: url, encoding: .utf8OrLatin1), columns: columns, delimiter: delimiter, malformed: malformed,
                 optionalColumns: optionalColumns)
    }

    /// Reads the bytes of a file, as `read(_:columns:…)`; `source` names it in errors.
    public static func read(bytes: [UInt8], source: String = "<memory>", columns: Columns = Columns(), delimiter: Character = ",",
                            malformed: MalformedLinePolicy = .fail,
                            optionalColumns: Bool = true) throws -> (InteractionDataset, ReadReport) {
        try read(TextLines(bytes: bytes, file: source, encoding: .utf8OrLatin1), columns: columns, delimiter: delimiter,
                 malformed: malformed, optionalColumns: optionalColumns)
    }

    private static func read(_ lines: TextLines, columns: Columns, delimiter: Character, malformed: MalformedLinePolicy,
                             optionalColumns: Bool) throws -> (InteractionDataset, ReadReport) {
        let splitter = FieldSplitter.csv(delimiter)
        var header: [String]?
        lines.forEach { line, _ in if header == nil { header = splitter.split(line).map { $0.trimmingCharacters(in: .whitespaces) } } }
        guard let header else { throw RecDataError.empty(file: lines.file) }
        func position(_ name: String?, required: Bool) throws -> Int? {
            guard let name else { return nil }
            if let index = header.firstIndex(of: name) { return index }
            if required { throw RecDataError.missingColumn(file: lines.file, column: name, header: header) }
            return nil
        }
        let userColumn = try position(columns.user, required: true)!
        let itemColumn = try position(columns.item, required: true)!
        let ratingColumn = try position(columns.rating, required: !optionalColumns)
        let timeColumn = try position(columns.timestamp, required: !optionalColumns)
        let needed = [userColumn, itemColumn, ratingColumn ?? 0, timeColumn ?? 0].max()! + 1

        var parser = LineParser(policy: malformed)
        var builder = InteractionDatasetBuilder()
        try parser.parse(lines, skipHeader: 1) { line in
            let fields = try LineProblem.fields(line, splitter, atLeast: needed)
            let rating = try ratingColumn.map { try LineProblem.number(fields[$0], header[$0]) } ?? 1
            let time = try timeColumn.map { try LineProblem.integer(fields[$0], header[$0]) } ?? 0
            builder.append(user: try LineProblem.identifier(fields[userColumn], header[userColumn]),
                           item: try LineProblem.identifier(fields[itemColumn], header[itemColumn]),
                           rating: rating, timestamp: time)
        }
        if parser.report.linesRead == 0 { throw RecDataError.empty(file: lines.file) }
        return (builder.build(hasRatings: ratingColumn != nil, hasTimestamps: timeColumn != nil), parser.report)
    }
}

extension MovieLens {
    /// Writes `dataset` as an ml-100k folder (`u.data`, and `u.item` with the 19 genre flags
    /// when the catalogue's genres are among ml-100k's), so every tool that reads MovieLens
    /// reads it.
    public static func write100K(_ dataset: InteractionDataset, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var data = ""
        data.reserveCapacity(dataset.count * 24)
        for row in 0..<dataset.count {
            let rating = dataset.hasRatings ? String(Int(dataset.ratings[row].rounded())) : "1"
            data += "\(dataset.users[Int(dataset.userIndices[row])])\t\(dataset.items[Int(dataset.itemIndices[row])])\t\(rating)\t\(dataset.timestamps[row])\n"
        }
        try write(data, to: directory.appendingPathComponent("u.data"))
        guard let catalog = dataset.catalog else { return }
        var items = ""
        for index in 0..<dataset.itemCount {
            let names = Set(catalog.genres[index].map { catalog.genreNames[$0] })
            let flags = genres100K.map { names.contains($0) ? "1" : "0" }.joined(separator: "|")
            let year = catalog.numericFeatures.first { $0.name == "year" }.map { $0.values[index] } ?? .nan
            let date = year.isNaN ? "" : "01-Jan-\(Int(year))"
            items += "\(dataset.items[index])|\(catalog.titles[index])|\(date)||http://example.org/\(index)|\(flags)\n"
        }
        try write(items, to: directory.appendingPathComponent("u.item"))
    }

    private static func write(_ text: String, to url: URL) throws {
        do { try AtomicFile.write(Array(text.utf8), to: url) } catch {
            throw RecDataError.unreadable(file: url.path, problem: "cannot write: \(error)")
        }
    }
}
