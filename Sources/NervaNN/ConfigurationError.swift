/// A setting outside its allowed range, named with its value and the range: the one error every
/// configuration type throws from `validate()`, so the message always reads the same way.
///
/// ```swift
/// try ConfigurationError.check("factors", factors, atLeast: 1)
/// try ConfigurationError.check("learning rate", learningRate, positive: true)
/// ```
public struct ConfigurationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The setting, as its owner names it ("factors", "batch size").
    public var field: String
    /// The offending value, as text.
    public var value: String
    /// The allowed values, as a phrase ("at least 1", "in [0, 1)", "finite and positive").
    public var allowed: String

    public init(field: String, value: String, allowed: String) {
        self.field = field
        self.value = value
        self.allowed = allowed
    }

    public var description: String { "\(field) must be \(allowed), got \(value)" }

    /// Throws unless `isValid`.
    public static func require(_ isValid: Bool, _ field: String, _ value: Any, allowed: String) throws {
        if !isValid { throw ConfigurationError(field: field, value: "\(value)", allowed: allowed) }
    }

    /// Throws unless `value ≥ minimum`.
    public static func check(_ field: String, _ value: Int, atLeast minimum: Int) throws {
        try require(value >= minimum, field, value, allowed: "at least \(minimum)")
    }

    /// Throws unless `value` lies in `range`.
    public static func check(_ field: String, _ value: Int, in range: ClosedRange<Int>) throws {
        try require(range.contains(value), field, value, allowed: "in \(range.lowerBound)…\(range.upperBound)")
    }

    /// Throws unless `value` is finite and positive (NaN and infinities never pass).
    public static func check<T: BinaryFloatingPoint>(_ field: String, _ value: T, positive: Bool) throws {
        if positive {
            try require(value.isFinite && value > 0, field, value, allowed: "finite and positive")
        } else {
            try require(value.isFinite && value >= 0, field, value, allowed: "finite and non-negative")
        }
    }

    /// Throws unless `value` lies in `range` (NaN never does).
    public static func check<T: BinaryFloatingPoint>(_ field: String, _ value: T, in range: ClosedRange<T>) throws {
        try require(range.contains(value), field, value, allowed: "in [\(range.lowerBound), \(range.upperBound)]")
    }

    /// Throws unless `value` lies in `range` (NaN never does).
    public static func check<T: BinaryFloatingPoint>(_ field: String, _ value: T, in range: Range<T>) throws {
        try require(range.contains(value), field, value, allowed: "in [\(range.lowerBound), \(range.upperBound))")
    }
}
