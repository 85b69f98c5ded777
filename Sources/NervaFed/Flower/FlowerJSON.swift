import Foundation

/// The small JSON bodies of Flower's objects, written exactly as Python's `json.dumps` writes them
/// (separators `", "` and `": "`, non-ASCII as `\uXXXX`), so that Nerva's object ids equal
/// Flower's for the same content, and read with the order of keys kept (an `ArrayRecord`'s order
/// is the order of a model's parameters).
enum FlowerJSON {
    enum Value { case string(String), integers([Int]) }

    struct ArrayMetadata {
        let dtype: String, shape: [Int], stype: String, chunkIndices: [Int]
    }

    struct ParseError: Error {}

    static func object(_ members: [(String, Value)]) -> String {
        let body = members.map { key, value in
            let text =
                switch value {
                case let .string(string): quoted(string)
                case let .integers(numbers): "[" + numbers.map(String.init).joined(separator: ", ") + "]"
                }
            return quoted(key) + ": " + text
        }
        return "{" + body.joined(separator: ", ") + "}"
    }

    static func quoted(_ string: String) -> String {
        var result = "\""
        for unit in string.utf16 {
            switch unit {
            case 0x22: result += "\\\""
            case 0x5C: result += "\\\\"
            case 0x0A: result += "\\n"
            case 0x0D: result += "\\r"
            case 0x09: result += "\\t"
            case 0x08: result += "\\b"
            case 0x0C: result += "\\f"
            case 0x20..<0x7F: result.unicodeScalars.append(Unicode.Scalar(unit)!)
            default: result += String(format: "\\u%04x", unit)
            }
        }
        return result + "\""
    }

    /// `{"name": "id", …}` with its order kept.
    static func parseStringMap(_ bytes: [UInt8]) throws -> [(String, String)] {
        var scanner = Scanner(bytes: bytes)
        var members: [(String, String)] = []
        try scanner.expect(UInt8(ascii: "{"))
        if !scanner.consume(UInt8(ascii: "}")) {
            repeat {
                let key = try scanner.string()
                try scanner.expect(UInt8(ascii: ":"))
                members.append((key, try scanner.string()))
            } while scanner.consume(UInt8(ascii: ","))
            try scanner.expect(UInt8(ascii: "}"))
        }
        guard scanner.isAtEnd else { throw ParseError() }
        return members
    }

    /// An `Array` object's body: `{"dtype", "shape", "stype", "arraychunk_ids"}`.
    static func parseArrayMetadata(_ bytes: [UInt8]) throws -> ArrayMetadata {
        guard let map = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let dtype = map["dtype"] as? String, let stype = map["stype"] as? String,
            let shape = map["shape"] as? [Int], let chunks = map["arraychunk_ids"] as? [Int]
        else { throw ParseError() }
        return ArrayMetadata(dtype: dtype, shape: shape, stype: stype, chunkIndices: chunks)
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        var isAtEnd: Bool {
            mutating get {
                skipSpace()
                return position == bytes.count
            }
        }

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            skipSpace()
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        mutating func expect(_ byte: UInt8) throws { guard consume(byte) else { throw ParseError() } }

        mutating func string() throws -> String {
            try expect(UInt8(ascii: "\""))
            var units: [UInt16] = []
            var raw: [UInt8] = []
            func flushRaw() {
                units += String(decoding: raw, as: UTF8.self).utf16
                raw.removeAll()
            }
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    flushRaw()
                    return String(decoding: units, as: UTF16.self)
                case UInt8(ascii: "\\"):
                    flushRaw()
                    guard position < bytes.count else { throw ParseError() }
                    let escape = bytes[position]
                    position += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): units.append(UInt16(escape))
                    case UInt8(ascii: "n"): units.append(0x0A)
                    case UInt8(ascii: "r"): units.append(0x0D)
                    case UInt8(ascii: "t"): units.append(0x09)
                    case UInt8(ascii: "b"): units.append(0x08)
                    case UInt8(ascii: "f"): units.append(0x0C)
                    case UInt8(ascii: "u"):
                        guard position + 4 <= bytes.count,
                            let unit = UInt16(
                                String(decoding: bytes[position..<(position + 4)], as: UTF8.self), radix: 16)
                        else { throw ParseError() }
                        units.append(unit)
                        position += 4
                    default: throw ParseError()
                    }
                case 0..<0x20: throw ParseError()
                default: raw.append(byte)
                }
            }
            throw ParseError()
        }
    }
}
