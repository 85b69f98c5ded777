import Foundation

/// A value a metric record can hold: a number, a string or a Boolean.
///
/// `Int`, `Double`, `Float`, `String` and `Bool` conform, so records are written as literals of
/// plain variables: `["part": "gan", "epoch": epoch, "loss": loss]`.
public protocol MetricValue: Sendable {
    /// The value as one of the kinds a JSON line can hold.
    var metricScalar: MetricRecord.Scalar { get }
}

/// One line of `metrics.jsonl`: keys and values in the order they were added.
///
/// ```swift
/// folder.log(["part": "engine", "epoch": epoch, "loss": loss, "accuracy": accuracy])
/// // {"part":"engine","epoch":3,"loss":0.4321,"accuracy":0.87}
/// ```
/// Adding a key that is already present replaces its value in place. Non-finite numbers
/// (NaN, ±infinity) are written as `null`, since JSON has no spelling for them.
public struct MetricRecord: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// A value of a record, as JSON holds it.
    public enum Scalar: Sendable, Equatable {
        /// An integer, written without a fractional part.
        case integer(Int)
        /// A floating-point number; written as `null` when not finite.
        case number(Double)
        /// A string.
        case string(String)
        /// A Boolean.
        case bool(Bool)
    }

    /// The keys and values, in insertion order.
    public private(set) var fields: [(key: String, value: Scalar)] = []

    /// An empty record.
    public init() {}

    /// A record with `fields` in the given order.
    public init(_ fields: [(String, any MetricValue)]) {
        for (key, value) in fields { self[key] = value.metricScalar }
    }

    /// A record written as a dictionary literal; the literal's order is kept.
    public init(dictionaryLiteral elements: (String, any MetricValue)...) {
        self.init(elements)
    }

    /// The value for `key`; setting appends a new key at the end or replaces an existing value
    /// in place, and setting `nil` removes the key.
    public subscript(key: String) -> Scalar? {
        get { fields.first { $0.key == key }?.value }
        set {
            let index = fields.firstIndex { $0.key == key }
            switch (index, newValue) {
            case let (index?, value?): fields[index].value = value
            case let (nil, value?): fields.append((key, value))
            case let (index?, nil): fields.remove(at: index)
            case (nil, nil): break
            }
        }
    }

    /// The record as one line of JSON, without the trailing newline.
    public var json: String {
        "{" + fields.map { "\(Self.quoted($0.key)):\(Self.encoded($0.value))" }.joined(separator: ",") + "}"
    }

    public static func == (lhs: MetricRecord, rhs: MetricRecord) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.key == $1.key && $0.value == $1.value }
    }

    private static func encoded(_ value: Scalar) -> String {
        switch value {
        case let .integer(integer): return String(integer)
        case let .number(number):
            guard number.isFinite else { return "null" }
            if number == number.rounded(), Swift.abs(number) < 1e15 { return String(Int64(number)) }
            return "\(number)" // shortest round-trip form; `1e-05` and `1e+20` are valid JSON
        case let .string(string): return quoted(string)
        case let .bool(bool): return bool ? "true" : "false"
        }
    }

    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{2028}" || scalar == "\u{2029}":
                result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

extension Int: MetricValue {
    public var metricScalar: MetricRecord.Scalar { .integer(self) }
}

extension Double: MetricValue {
    public var metricScalar: MetricRecord.Scalar { .number(self) }
}

extension Float: MetricValue {
    /// The number with the digits a `Float` shows (`0.1`, not `0.10000000149011612`).
    public var metricScalar: MetricRecord.Scalar {
        .number(isFinite ? Double("\(self)") ?? Double(self) : Double(self))
    }
}

extension String: MetricValue {
    public var metricScalar: MetricRecord.Scalar { .string(self) }
}

extension Bool: MetricValue {
    public var metricScalar: MetricRecord.Scalar { .bool(self) }
}

extension MetricRecord.Scalar: MetricValue {
    public var metricScalar: MetricRecord.Scalar { self }
}
