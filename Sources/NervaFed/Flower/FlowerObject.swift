import Crypto
import Foundation

/// One of Flower's content-addressed objects (flwr ≥ 1.19): the records of a message travel as
/// separate objects fetched and pushed by id, each `"<Type> <child ids> <body length>" + NUL +
/// body`, its id the SHA-256 of those bytes in lowercase hex.
struct FlowerObject: Equatable {
    /// The object types a message is made of.
    enum Kind: String, CaseIterable {
        case message = "Message"
        case recordDict = "RecordDict"
        case arrayRecord = "ArrayRecord"
        case array = "Array"
        case arrayChunk = "ArrayChunk"
        case configRecord = "ConfigRecord"
        case metricRecord = "MetricRecord"
    }

    let kind: Kind
    /// The ids of the objects this one refers to (unique, in the order of first use).
    let children: [String]
    let body: [UInt8]

    init(kind: Kind, children: [String] = [], body: [UInt8]) {
        self.kind = kind
        self.children = children
        self.body = body
    }

    /// The bytes that travel: head, NUL, body.
    var bytes: [UInt8] {
        Array("\(kind.rawValue) \(children.joined(separator: ",")) \(body.count)".utf8) + [0] + body
    }

    /// SHA-256 of `bytes`, 64 lowercase hexadecimal digits.
    var id: String { Self.id(of: bytes) }

    static func id(of bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) { hex += [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]] }
        return String(decoding: hex, as: UTF8.self) // String(format:) per byte dominated reading a message
    }

    /// Parses `bytes` pulled under `expectedID`, checking the hash and the head.
    init(bytes: [UInt8], expectedID: String) throws(FlowerProtocolError) {
        guard Self.id(of: bytes) == expectedID else {
            throw .badObject(id: expectedID, problem: "its SHA-256 is \(Self.id(of: bytes))")
        }
        guard let divider = bytes.firstIndex(of: 0) else { throw .badObject(id: expectedID, problem: "it has no head") }
        let head = String(decoding: bytes[..<divider], as: UTF8.self).split(
            separator: " ", omittingEmptySubsequences: false)
        guard head.count == 3, let kind = Kind(rawValue: String(head[0])) else {
            throw .badObject(
                id: expectedID,
                problem: "its head \"\(head.joined(separator: " "))\" is not \"<Type> <children> <length>\"")
        }
        let body = Array(bytes[(divider + 1)...])
        guard Int(head[2]) == body.count else {
            throw .badObject(id: expectedID, problem: "its head announces \(head[2]) body bytes, \(body.count) follow")
        }
        let children = head[1].isEmpty ? [] : head[1].split(separator: ",").map(String.init)
        guard children.allSatisfy(Self.isObjectID) else {
            throw .badObject(id: expectedID, problem: "a child id is not 64 hexadecimal digits")
        }
        self.init(kind: kind, children: children, body: body)
    }

    static func isObjectID(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// What went wrong talking to a Flower SuperLink, in words that name the culprit.
public enum FlowerProtocolError: Error, CustomStringConvertible, Equatable {
    /// An object's bytes do not match its id or the object format.
    case badObject(id: String, problem: String)
    /// A message's records are not what the participant can use.
    case badContent(String)

    public var description: String {
        switch self {
        case let .badObject(id, problem): "Flower object \(id.prefix(12))…: \(problem)."
        case let .badContent(problem): "Flower message: \(problem)."
        }
    }
}
