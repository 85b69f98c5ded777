import Foundation

/// A reader for any delimited interaction file, whatever its name:
///
/// ```swift
/// let columns = InteractionCSV.Columns(user: "customer", item: "sku", rating: "stars", timestamp: nil)
/// let (data, report) = try InteractionCSV.read(URL(fileURLWithPath: "orders.csv"), columns: columns)
/// let format = InteractionCSV.Format(delimiter: "\t", hasHeader: false)   // user, item, rating, time by position
/// let (more, _) = try InteractionCSV.read(URL(fileURLWithPath: "train.tsv"), format: format)
/// ```
/// Quoted fields are accepted. Without a rating column the data is implicit; without a
/// timestamp column, rows keep file order.
public enum InteractionCSV {
    /// The header names of the columns to read; in a file without a header, their 1-based
    /// positions ("1", "2", …).
    public struct Columns: Sendable, Equatable {
        public var user: String
        public var item: String
        public var rating: String?
        public var timestamp: String?

        public init(
            user: String = "user", item: String = "item", rating: String? = "rating", timestamp: String? = "timestamp"
        ) {
            self.user = user
            self.item = item
            self.rating = rating
            self.timestamp = timestamp
        }

        /// Columns from a list `user,item[,rating[,timestamp]]` of names (or positions).
        ///
        /// - Throws: `ConfigurationError` unless the list has two to four non-empty names.
        public init(list: String) throws {
            let names = list.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            try ConfigurationError.require(
                (2...4).contains(names.count) && names.allSatisfy { !$0.isEmpty }, "columns", list,
                allowed: "user,item[,rating[,timestamp]]: two to four column names or positions")
            self.init(
                user: names[0], item: names[1], rating: names.count > 2 ? names[2] : nil,
                timestamp: names.count > 3 ? names[3] : nil)
        }

        var names: [String] { [user, item] + [rating, timestamp].compactMap { $0 } }
    }

    /// How a file is laid out; `nil` fields are detected from its first line.
    public struct Format: Sendable, Equatable {
        /// The field delimiter; `nil`: a tab, `::`, a comma, a semicolon or a bar, whichever the
        /// first line has, else runs of spaces.
        public var delimiter: Character?
        /// Whether the first line names the columns; `nil`: it does unless every field of it is a number.
        public var hasHeader: Bool?
        /// The columns to read; other columns are then ignored. `nil`: `user`, `item`, `rating`,
        /// `timestamp` by name (the last two optional), or the first two to four fields in that
        /// order without a header, and any other column is an error.
        public var columns: Columns?
        /// Whether user and item ids may be any text; otherwise they must be integers (as in
        /// every MovieLens file), and a line with another id is an error naming it.
        public var allowsTextIDs: Bool

        public init(
            delimiter: Character? = nil, hasHeader: Bool? = nil, columns: Columns? = nil, allowsTextIDs: Bool = false
        ) {
            self.delimiter = delimiter
            self.hasHeader = hasHeader
            self.columns = columns
            self.allowsTextIDs = allowsTextIDs
        }
    }

    /// Reads `url` with a header naming its columns. A column named in `columns` but absent
    /// from the header is an error, except `rating` and `timestamp` when `optionalColumns` is
    /// true (then the data has none). Ids may be any text.
    public static func read(
        _ url: URL, columns: Columns = Columns(), delimiter: Character = ",",
        malformed: MalformedLinePolicy = .fail,
        optionalColumns: Bool = true
    ) throws -> (InteractionDataset, ReadReport) {
        try read(
            TextLines(url: url, encoding: .utf8OrLatin1),
            format: Format(
                delimiter: delimiter, hasHeader: true, columns: columns,
                allowsTextIDs: true),
            malformed: malformed, optionalColumns: optionalColumns)
    }

    /// Reads `url` laid out as `format` says; columns chosen in `format` must exist.
    ///
    /// - Throws: `RecDataError.unreadable`, `.empty`, `.missingColumn`, or `.malformedLine` naming
    ///   the line (unused columns, extra fields, a number or id that is not one) unless `malformed` is `.skip`.
    public static func read(
        _ url: URL, format: Format, malformed: MalformedLinePolicy = .fail
    ) throws -> (InteractionDataset, ReadReport) {
        try read(
            TextLines(url: url, encoding: .utf8OrLatin1), format: format, malformed: malformed,
            optionalColumns: format.columns == nil)
    }

    /// Reads the bytes of a file, as `read(_:columns:…)`; `source` names it in errors.
    public static func read(
        bytes: [UInt8], source: String = "<memory>", columns: Columns = Columns(), delimiter: Character = ",",
        malformed: MalformedLinePolicy = .fail,
        optionalColumns: Bool = true
    ) throws -> (InteractionDataset, ReadReport) {
        try read(
            TextLines(bytes: bytes, file: source, encoding: .utf8OrLatin1),
            format: Format(delimiter: delimiter, hasHeader: true, columns: columns, allowsTextIDs: true),
            malformed: malformed, optionalColumns: optionalColumns)
    }

    /// Reads the bytes of a file, as `read(_:format:malformed:)`; `source` names it in errors.
    public static func read(
        bytes: [UInt8], source: String = "<memory>", format: Format,
        malformed: MalformedLinePolicy = .fail
    ) throws -> (InteractionDataset, ReadReport) {
        try read(
            TextLines(bytes: bytes, file: source, encoding: .utf8OrLatin1), format: format, malformed: malformed,
            optionalColumns: format.columns == nil)
    }

    private static func read(
        _ lines: TextLines, format: Format, malformed: MalformedLinePolicy,
        optionalColumns: Bool
    ) throws -> (InteractionDataset, ReadReport) {
        var first: String?
        lines.forEach { line, _ in if first == nil { first = line } }
        guard let first else { throw RecDataError.empty(file: lines.file) }
        let splitter = format.delimiter.map { FieldSplitter.csv($0) } ?? FieldSplitter.detect(first)
        let firstFields = splitter.split(first).map { $0.trimmingCharacters(in: .whitespaces) }
        let hasHeader = format.hasHeader ?? !firstFields.allSatisfy { Double($0) != nil }
        let header = hasHeader ? firstFields : firstFields.indices.map { "\($0 + 1)" }
        let columns: Columns
        if let chosen = format.columns {
            columns = chosen
        } else if hasHeader {
            columns = Columns()
            if let extra = header.first(where: { !columns.names.contains($0) }) {
                throw RecDataError.malformedLine(
                    file: lines.file, line: 1,
                    problem: "column '\(extra)' is not one of user, item, "
                        + "rating, timestamp; name the columns to read (--columns) to ignore the others")
            }
        } else {
            guard header.count <= 4 else {
                throw RecDataError.malformedLine(
                    file: lines.file, line: 1,
                    problem: "\(header.count) fields, expected user, item"
                        + "[, rating[, timestamp]]; name the columns to read (--columns) to ignore the others")
            }
            columns = Columns(
                user: "1", item: "2", rating: header.count > 2 ? "3" : nil, timestamp: header.count > 3 ? "4" : nil)
        }
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
        let width = header.count
        let identifier = { (text: String, name: String) throws -> String in
            guard format.allowsTextIDs else { return try LineProblem.integerIdentifier(text, name) }
            return try LineProblem.identifier(text, name)
        }

        var parser = LineParser(policy: malformed)
        var builder = InteractionDatasetBuilder()
        try parser.parse(lines, skipHeader: hasHeader ? 1 : 0) { line in
            let fields = try LineProblem.fields(line, splitter, atLeast: needed)
            if fields.count > width {
                throw LineProblem(
                    "\(fields.count) fields, more than the \(width) of the \(hasHeader ? "header" : "first line")")
            }
            let rating =
                try ratingColumn.map { try LineProblem.number(fields[$0], hasHeader ? header[$0] : "rating") } ?? 1
            let time =
                try timeColumn.map { try LineProblem.integer(fields[$0], hasHeader ? header[$0] : "timestamp") } ?? 0
            builder.append(
                user: try identifier(fields[userColumn], hasHeader ? header[userColumn] : "user"),
                item: try identifier(fields[itemColumn], hasHeader ? header[itemColumn] : "item"),
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
            data +=
                "\(dataset.users[Int(dataset.userIndices[row])])\t\(dataset.items[Int(dataset.itemIndices[row])])\t\(rating)\t\(dataset.timestamps[row])\n"
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
