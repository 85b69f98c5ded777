import Foundation

/// Round tick positions for an axis: steps of 1, 2 or 5 times a power of ten, covering the data.
///
/// ```swift
/// let ticks = AxisTicks(covering: 0.03...0.91, targetCount: 5)
/// ticks.values      // [0, 0.2, 0.4, 0.6, 0.8, 1]
/// ticks.labels      // ["0", "0.2", "0.4", "0.6", "0.8", "1"]
/// ```
public struct AxisTicks: Sendable, Equatable {
    /// The first and last tick; the axis spans `lower...upper`.
    public let lower: Double, upper: Double
    /// The distance between ticks.
    public let step: Double
    /// The tick positions, `lower`, `lower + step`, …, `upper`.
    public let values: [Double]

    /// Ticks about `targetCount` intervals apart that cover `range`; an empty or non-finite range
    /// is widened around its value. `minimumStep: 1` keeps counts (epochs, steps) on integers.
    public init(covering range: ClosedRange<Double>, targetCount: Int = 5, minimumStep: Double = 0) {
        var low = range.lowerBound, high = range.upperBound
        if !low.isFinite || !high.isFinite { (low, high) = (0, 1) }
        if high - low <= Swift.abs(high) * 1e-12 {
            let pad = low == 0 ? 1 : Swift.abs(low) * 0.1
            (low, high) = (low - pad, high + pad)
        }
        let step = Swift.max(AxisTicks.niceStep((high - low) / Double(Swift.max(targetCount, 1))), minimumStep)
        self.step = step
        // A tiny tolerance keeps 0.30000000000000004 from adding a tick.
        let first = (low / step + 1e-9).rounded(.down), last = (high / step - 1e-9).rounded(.up)
        lower = first * step
        upper = last * step
        values = stride(from: first, through: last, by: 1).map { $0 * step }
    }

    /// The smallest of 1, 2, 5 or 10 times a power of ten that is at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let residual = raw / magnitude
        let factor: Double = residual <= 1 + 1e-9 ? 1 : residual <= 2 + 1e-9 ? 2 : residual <= 5 + 1e-9 ? 5 : 10
        return factor * magnitude
    }

    /// The tick labels, with as many decimals as the step needs and exponents for very large or
    /// very small numbers.
    public var labels: [String] { values.map { AxisTicks.format($0, step: step) } }

    /// `value` written with the precision of `step`.
    public static func format(_ value: Double, step: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "-∞") }
        let value = Swift.abs(value) < step * 1e-6 ? 0 : value // no "-0.0" from rounding noise
        let largest = Swift.max(Swift.abs(value), step)
        if largest >= 1e6 || step < 1e-4 {
            // Enough significant digits to tell neighbouring ticks apart.
            let digits = Swift.max(0, Int(log10(largest).rounded(.down) - (log10(step) + 1e-9).rounded(.down)))
            return compactExponent(String(format: "%.\(Swift.min(digits, 6))e", value))
        }
        let decimals = Swift.max(0, Int((-log10(step) - 1e-9).rounded(.up)))
        return String(format: "%.\(decimals)f", value)
    }

    /// A value for a data label: up to `significant` significant digits.
    public static func format(_ value: Double, significant: Int = 3) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "-∞") }
        if value == value.rounded() && Swift.abs(value) < 1e6 { return String(Int(value)) }
        if Swift.abs(value) >= 1e6 || Swift.abs(value) < 1e-3 {
            return compactExponent(String(format: "%.\(significant - 1)e", value))
        }
        let decimals = Swift.max(0, significant - 1 - Int(log10(Swift.abs(value)).rounded(.down)))
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// `1.50e-04` → `1.50e-4`, `2e+05` → `2e5`.
    private static func compactExponent(_ text: String) -> String {
        guard let e = text.firstIndex(of: "e") else { return text }
        let mantissa = text[..<e]
        var exponent = String(text[text.index(after: e)...])
        let negative = exponent.hasPrefix("-")
        exponent = String(exponent.drop { $0 == "+" || $0 == "-" || $0 == "0" })
        return "\(mantissa)e\(negative ? "-" : "")\(exponent.isEmpty ? "0" : exponent)"
    }
}
