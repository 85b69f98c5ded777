import Foundation

/// A tiny builder for SVG documents: shapes and text appended in drawing order.
///
/// ```swift
/// var svg = SVG(width: 200, height: 100)
/// svg.rect(x: 10, y: 10, width: 50, height: 30, fill: "#1f77b4")
/// svg.text("Loss < 1", x: 100, y: 50, anchor: .middle)
/// let document = svg.document
/// ```
public struct SVG: Sendable {
    /// How text is placed relative to its x coordinate.
    public enum Anchor: String, Sendable { case start, middle, end }

    /// The canvas size in pixels.
    public let width: Int, height: Int
    private var elements: [String] = []

    /// The font stack used for all text (DejaVu Sans is what `rsvg-convert` finds on Debian).
    public static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"

    /// An empty canvas, filled with `background` unless it is `nil`.
    public init(width: Int, height: Int, background: String? = "white") {
        self.width = width
        self.height = height
        if let background { rect(x: 0, y: 0, width: Double(width), height: Double(height), fill: background) }
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` escaped, and control characters that XML forbids
    /// dropped, for element content and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A coordinate or length, with at most two decimals and no trailing zeros.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() && Swift.abs(rounded) < 1e15 { return String(Int(rounded)) }
        return String(format: "%.2f", rounded).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
    }

    /// An estimate of the width of `text` at `size` pixels (DejaVu Sans averages about 0.6 em).
    public static func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.6 }

    // MARK: - Elements

    /// Appends raw SVG markup (already escaped).
    public mutating func raw(_ markup: String) { elements.append(markup) }

    /// A rectangle.
    public mutating func rect(
        x: Double, y: Double, width: Double, height: Double, fill: String,
        stroke: String? = nil, strokeWidth: Double = 1, title: String? = nil
    ) {
        var markup =
            #"<rect x="\#(Self.number(x))" y="\#(Self.number(y))" width="\#(Self.number(width))" "#
            + #"height="\#(Self.number(height))" fill="\#(Self.escape(fill))""#
        if let stroke { markup += #" stroke="\#(Self.escape(stroke))" stroke-width="\#(Self.number(strokeWidth))""# }
        if let title { markup += "><title>\(Self.escape(title))</title></rect>" } else { markup += "/>" }
        elements.append(markup)
    }

    /// A straight line; `dash` is an SVG dash pattern such as `"4 3"`.
    public mutating func line(
        x1: Double, y1: Double, x2: Double, y2: Double, stroke: String,
        width: Double = 1, dash: String? = nil
    ) {
        var markup =
            #"<line x1="\#(Self.number(x1))" y1="\#(Self.number(y1))" x2="\#(Self.number(x2))" "#
            + #"y2="\#(Self.number(y2))" stroke="\#(Self.escape(stroke))" stroke-width="\#(Self.number(width))""#
        if let dash { markup += #" stroke-dasharray="\#(Self.escape(dash))""# }
        elements.append(markup + "/>")
    }

    /// A line through `points`.
    public mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double = 2) {
        let coordinates = points.map { "\(Self.number($0.x)),\(Self.number($0.y))" }.joined(separator: " ")
        elements.append(
            #"<polyline points="\#(coordinates)" fill="none" stroke="\#(Self.escape(stroke))" "#
                + #"stroke-width="\#(Self.number(width))" stroke-linejoin="round" stroke-linecap="round"/>"#)
    }

    /// A filled circle.
    public mutating func circle(x: Double, y: Double, radius: Double, fill: String) {
        elements.append(
            #"<circle cx="\#(Self.number(x))" cy="\#(Self.number(y))" r="\#(Self.number(radius))" "#
                + #"fill="\#(Self.escape(fill))"/>"#)
    }

    /// Text whose baseline starts, is centred or ends at `(x, y)`, optionally rotated by
    /// `rotation` degrees (clockwise) about that point.
    public mutating func text(
        _ text: String, x: Double, y: Double, size: Double = 12, anchor: Anchor = .start,
        bold: Bool = false, fill: String = "#222222", rotation: Double = 0
    ) {
        var markup =
            #"<text x="\#(Self.number(x))" y="\#(Self.number(y))" font-size="\#(Self.number(size))" "#
            + #"font-family="\#(Self.fontFamily)" text-anchor="\#(anchor.rawValue)" fill="\#(Self.escape(fill))""#
        if bold { markup += #" font-weight="bold""# }
        if rotation != 0 {
            markup += #" transform="rotate(\#(Self.number(rotation)) \#(Self.number(x)) \#(Self.number(y)))""#
        }
        elements.append(markup + ">\(Self.escape(text))</text>")
    }

    /// The complete document.
    public var document: String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)">

        """ + elements.joined(separator: "\n") + "\n</svg>\n"
    }
}

/// The colours of successive series: matplotlib's `tab10`, distinct and colour-blind tolerable.
enum Palette {
    static let categorical = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"
    ]

    static func color(_ index: Int) -> String { categorical[index % categorical.count] }
}

/// Shortens `text` to at most `maximum` characters, ending in "…" when cut.
func truncated(_ text: String, to maximum: Int) -> String {
    text.count <= maximum ? text : String(text.prefix(Swift.max(maximum - 1, 1))) + "…"
}
