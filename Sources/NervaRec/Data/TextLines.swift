import Foundation

/// The text encodings the published data sets use.
public enum TextEncoding: Sendable {
    /// UTF-8 (ml-latest, ml-25m, most CSV files).
    case utf8
    /// ISO-8859-1: every byte is one character (ml-100k's `u.item`, ml-1m's `movies.dat`).
    case latin1
    /// UTF-8 where valid, Latin-1 for a line that is not.
    case utf8OrLatin1
}

/// The lines of a text file, decoded, with 1-based line numbers; `\r\n` endings are accepted,
/// blank lines skipped, and a UTF-8 byte-order mark at the start of the file (as spreadsheet
/// programs write) is not part of the first line.
struct TextLines {
    let file: String
    let bytes: [UInt8]
    let encoding: TextEncoding

    init(url: URL, encoding: TextEncoding) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw RecDataError.unreadable(
                file: url.path, problem: exists ? "permission denied or not a file" : "no such file")
        }
        self.init(bytes: [UInt8](data), file: url.path, encoding: encoding)
    }

    /// The lines of a file's bytes; `file` names it in errors.
    init(bytes: [UInt8], file: String, encoding: TextEncoding) {
        self.file = file
        self.encoding = encoding
        let utf8ByteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        self.bytes = bytes.starts(with: utf8ByteOrderMark) ? Array(bytes.dropFirst(3)) : bytes
    }

    /// Calls `body` with each non-blank line and its number.
    func forEach(_ body: (_ line: String, _ number: Int) throws -> Void) rethrows {
        try bytes.withUnsafeBufferPointer { buffer in
            var start = 0, number = 0
            while start < buffer.count {
                var end = start
                while end < buffer.count && buffer[end] != 10 { end += 1 }
                number += 1
                var last = end
                if last > start && buffer[last - 1] == 13 { last -= 1 }
                if last > start {
                    try body(decode(UnsafeBufferPointer(rebasing: buffer[start..<last])), number)
                }
                start = end + 1
            }
        }
    }

    private func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        switch encoding {
        case .latin1: return Self.latin1(bytes)
        case .utf8: return String(decoding: bytes, as: UTF8.self)
        case .utf8OrLatin1: return String(validating: bytes, as: UTF8.self) ?? Self.latin1(bytes)
        }
    }

    private static func latin1(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
        return String(scalars)
    }
}

/// Splits one line into fields: by a separator string, or as CSV with double-quoted fields
/// (`"Shawshank Redemption, The (1994)"`, `""` for a quote inside).
enum FieldSplitter {
    case separator(String)
    case csv(Character)
    /// Runs of spaces (and tabs) separate fields; leading and trailing ones are ignored.
    case whitespace

    /// The splitter a line's separators suggest: a tab, then `::` (ml-1m), a comma, a semicolon,
    /// a bar, and otherwise runs of spaces.
    static func detect(_ line: String) -> FieldSplitter {
        if line.contains("\t") { return .csv("\t") }
        if line.contains("::") { return .separator("::") }
        for delimiter: Character in [",", ";", "|"] where line.contains(delimiter) { return .csv(delimiter) }
        return .whitespace
    }

    func split(_ line: String) -> [String] {
        switch self {
        case .whitespace:
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        case .separator(let separator):
            if separator.count == 1 {
                return line.split(separator: separator.first!, omittingEmptySubsequences: false).map(String.init)
            }
            return line.components(separatedBy: separator)
        case .csv(let delimiter):
            guard line.contains("\"") else {
                return line.split(separator: delimiter, omittingEmptySubsequences: false).map(String.init)
            }
            var fields: [String] = [], field = "", quoted = false
            var iterator = line.makeIterator()
            var pending: Character? = nil
            while let character = pending ?? iterator.next() {
                pending = nil
                if quoted {
                    if character == "\"" {
                        if let next = iterator.next() {
                            if next == "\"" {
                                field.append("\"")
                            } else {
                                quoted = false
                                pending = next
                            }
                        } else {
                            quoted = false
                        }
                    } else {
                        field.append(character)
                    }
                } else if character == "\"" && field.isEmpty {
                    quoted = true
                } else if character == delimiter {
                    fields.append(field)
                    field = ""
                } else {
                    field.append(character)
                }
            }
            fields.append(field)
            return fields
        }
    }
}

/// Parses lines one by one and applies a `MalformedLinePolicy`.
struct LineParser {
    let policy: MalformedLinePolicy
    var report = ReadReport()

    /// Runs `parse` on every line of `lines` (after `skipHeader` lines); a thrown
    /// `LineProblem` becomes a `RecDataError.malformedLine` that is thrown or recorded.
    mutating func parse(_ lines: TextLines, skipHeader: Int = 0, _ parse: (_ line: String) throws -> Void) throws {
        var policyReport = report
        try lines.forEach { line, number in
            guard number > skipHeader else { return }
            do {
                try parse(line)
                policyReport.linesRead += 1
            } catch let problem as LineProblem {
                let error = RecDataError.malformedLine(file: lines.file, line: number, problem: problem.message)
                if policy == .fail { throw error }
                policyReport.skipped.append(error)
            }
        }
        report = policyReport
    }
}

/// Why a line cannot be parsed.
struct LineProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }

    /// The fields of `line`, or a problem when there are fewer than `count`.
    static func fields(_ line: String, _ splitter: FieldSplitter, atLeast count: Int, exactly: Bool = false) throws
        -> [String]
    {
        let fields = splitter.split(line)
        if fields.count < count || (exactly && fields.count != count) {
            throw LineProblem("expected \(exactly ? "" : "at least ")\(count) fields, found \(fields.count)")
        }
        return fields
    }

    static func integer(_ text: String, _ name: String) throws -> Int64 {
        guard let value = Int64(text.trimmingCharacters(in: .whitespaces)) else {
            throw LineProblem("\(name) '\(text)' is not an integer")
        }
        return value
    }

    static func number(_ text: String, _ name: String) throws -> Float {
        guard let value = Float(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            throw LineProblem("\(name) '\(text)' is not a number")
        }
        return value
    }

    /// An id that must be an integer, as in every MovieLens file.
    static func integerIdentifier(_ text: String, _ name: String) throws -> String {
        let id = try identifier(text, name)
        if Int64(id) == nil { throw LineProblem("\(name) '\(id)' is not an integer id (text ids need --string-ids)") }
        return id
    }

    static func identifier(_ text: String, _ name: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { throw LineProblem("empty \(name)") }
        return trimmed
    }
}
