import Foundation

/// The rectangle data is drawn in, and the drawing shared by the charts: title, y axis with
/// grid lines, axis labels.
struct PlotFrame {
    var left: Double, top: Double, width: Double, height: Double
    var right: Double { left + width }
    var bottom: Double { top + height }

    static let titleSize = 16.0, labelSize = 13.0, tickSize = 11.0
    static let axisColor = "#444444", gridColor = "#e3e3e3"

    /// Maps `value` in `ticks.lower...ticks.upper` to a y pixel (up is larger).
    func y(_ value: Double, _ ticks: AxisTicks) -> Double {
        bottom - (value - ticks.lower) / (ticks.upper - ticks.lower) * height
    }

    /// Maps `value` in `ticks.lower...ticks.upper` to an x pixel.
    func x(_ value: Double, _ ticks: AxisTicks) -> Double {
        left + (value - ticks.lower) / (ticks.upper - ticks.lower) * width
    }

    /// The space the y tick labels take.
    static func yTickLabelWidth(_ ticks: AxisTicks) -> Double {
        ticks.labels.map { SVG.textWidth($0, size: tickSize) }.max() ?? 0
    }

    /// The chart title, centred at the top; long titles are shortened to fit.
    static func drawTitle(_ title: String, in svg: inout SVG) {
        guard !title.isEmpty else { return }
        let fitting = Int(Double(svg.width - 20) / (titleSize * 0.62))
        svg.text(
            truncated(title, to: fitting), x: Double(svg.width) / 2, y: 26, size: titleSize, anchor: .middle, bold: true
        )
    }

    /// Horizontal grid lines, tick labels, the y axis line and the rotated y-axis label.
    func drawYAxis(_ ticks: AxisTicks, label: String, in svg: inout SVG) {
        for (value, text) in zip(ticks.values, ticks.labels) {
            let y = self.y(value, ticks)
            svg.line(x1: left, y1: y, x2: right, y2: y, stroke: Self.gridColor)
            svg.line(x1: left - 4, y1: y, x2: left, y2: y, stroke: Self.axisColor)
            svg.text(text, x: left - 7, y: y + Self.tickSize * 0.35, size: Self.tickSize, anchor: .end)
        }
        svg.line(x1: left, y1: top, x2: left, y2: bottom, stroke: Self.axisColor)
        if !label.isEmpty {
            let fitting = Int(height / (Self.labelSize * 0.6))
            svg.text(
                truncated(label, to: fitting), x: 18, y: top + height / 2, size: Self.labelSize,
                anchor: .middle, rotation: -90)
        }
    }

    /// The x-axis label, centred under the plot at the bottom of the canvas.
    func drawXLabel(_ label: String, in svg: inout SVG) {
        guard !label.isEmpty else { return }
        let fitting = Int(width / (Self.labelSize * 0.6))
        svg.text(
            truncated(label, to: fitting), x: left + width / 2, y: Double(svg.height) - 12,
            size: Self.labelSize, anchor: .middle)
    }

    /// A legend of coloured swatches and names, one per line, in a box of `size` whose top-left
    /// corner is `origin`; `boxed` gives it a white background and a frame (inside the plot).
    static func drawLegend(
        _ entries: [(name: String, color: String)], origin: (x: Double, y: Double),
        size: (width: Double, height: Double), maximumCharacters: Int, boxed: Bool, in svg: inout SVG
    ) {
        if boxed {
            svg.rect(
                x: origin.x, y: origin.y, width: size.width, height: size.height, fill: "white",
                stroke: "#cccccc", strokeWidth: 1)
        }
        for (i, entry) in entries.enumerated() {
            let rowY = origin.y + 18 + Double(i) * 20
            svg.line(x1: origin.x + 8, y1: rowY - 4, x2: origin.x + 26, y2: rowY - 4, stroke: entry.color, width: 3)
            svg.text(truncated(entry.name, to: maximumCharacters), x: origin.x + 32, y: rowY, size: 12)
        }
    }
}
