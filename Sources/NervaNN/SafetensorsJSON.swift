// A strict JSON reader for safetensors headers: it rejects duplicate keys, keeps integers apart
// from booleans and floats, and limits nesting, which Foundation's JSONSerialization does not.

/// A parsed JSON value; objects keep their members in order, duplicates included.
enum JSON {
    case object([(String, JSON)])
    case array([JSON])
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case null
}

/// A strict RFC 8259 reader that tells integers from other numbers and bounds the nesting depth.
struct JSONReader {
    struct Failure: Error { let message: String }
    static let escapes: [UInt8: UInt8] = [
        0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 0x08, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09
    ]
    let bytes: [UInt8]
    var index = 0, depth = 0

    static func parse(_ bytes: [UInt8]) throws -> JSON {
        var reader = JSONReader(bytes: bytes)
        let value = try reader.value()
        guard reader.next() == nil else { throw reader.failure("unexpected data after the value") }
        return value
    }

    func failure(_ message: String) -> Failure { Failure(message: "\(message) at byte \(index)") }
    /// The next byte that is not whitespace, not consumed.
    mutating func next() -> UInt8? {
        while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        return index < bytes.count ? bytes[index] : nil
    }
    mutating func consume(_ character: Unicode.Scalar) -> Bool {
        guard next() == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }
    mutating func expect(_ character: Unicode.Scalar) throws {
        guard consume(character) else { throw failure("expected '\(character)'") }
    }

    mutating func value() throws -> JSON {
        switch next() {
        case nil: throw failure("unexpected end")
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let isObject = consume("{"), close: Unicode.Scalar = isObject ? "}" : "]"
            if !isObject { index += 1 }
            depth += 1
            defer { depth -= 1 }
            guard depth <= 64 else { throw failure("nesting deeper than 64 levels") }
            var members: [(String, JSON)] = [], items: [JSON] = []
            if !consume(close) {
                repeat {
                    guard isObject else {
                        items.append(try value())
                        continue
                    }
                    guard next() == UInt8(ascii: "\"") else { throw failure("expected a string key") }
                    let key = try string()
                    try expect(":")
                    members.append((key, try value()))
                } while consume(",")
                try expect(close)
            }
            return isObject ? .object(members) : .array(items)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default: return try number()
        }
    }

    mutating func literal(_ word: String) throws {
        guard bytes[index...].starts(with: word.utf8) else { throw failure("invalid literal") }
        index += word.utf8.count
    }

    /// Consumes decimal digits and returns how many there were.
    mutating func digits() -> Int {
        let start = index
        while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
        return index - start
    }

    mutating func number() throws -> JSON {
        let start = index
        _ = consume("-")
        let leadingZero = index < bytes.count && bytes[index] == 0x30, integerDigits = digits()
        guard integerDigits > 0, !(leadingZero && integerDigits > 1) else { throw failure("invalid number") }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            isInteger = false
            guard digits() > 0 else { throw failure("invalid number") }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            isInteger = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digits() > 0 else { throw failure("invalid number") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isInteger, let value = Int(text) { return .integer(value) }
        return .number(Double(text) ?? .nan) // beyond Int: still a number, never an integer
    }

    mutating func string() throws -> String {
        index += 1 // the opening quote
        var utf8: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: utf8, as: UTF8.self)
            case ..<0x20: throw failure("control character in string")
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { throw failure("unterminated string") }
                let escape = bytes[index]
                index += 1
                if let simple = Self.escapes[escape] {
                    utf8.append(simple)
                    continue
                }
                guard escape == UInt8(ascii: "u") else { throw failure("invalid escape") }
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code), bytes[index...].starts(with: "\\u".utf8) {
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
                    code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw failure("unpaired surrogate") }
                utf8 += String(scalar).utf8
            default: utf8.append(byte)
            }
        }
        throw failure("unterminated string")
    }

    mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("invalid \\u escape") }
        var value: UInt32 = 0
        for byte in bytes[index..<index + 4] {
            guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { throw failure("invalid \\u escape") }
            value = value << 4 | UInt32(digit)
        }
        index += 4
        return value
    }
}
