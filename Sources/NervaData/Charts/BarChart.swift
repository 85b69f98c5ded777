import Foundation

/// A bar chart of one value per label, as SVG: per-class accuracy, time per benchmark.
///
/// Long labels are drawn rotated under their bars; each bar carries its value when there is room.
///
/// ```swift
/// let chart = BarChart(title: "Accuracy per class", yLabel: "accuracy",
///                      labels: FashionMNIST.classNames, values: accuracies)
/// try Figure.write(svg: chart.svg(), to: folder.appendingPathComponent("accuracy.svg"))
/// ```
public struct BarChart: Sendable {
    /// The heading above the plot.
    public var title: String
    /// The label under the bar labels.
    public var xLabel: String
    /// The label beside the value axis.
    public var yLabel: String
    /// The name under each bar.
    public var labels: [String]
    /// The height of each bar; NaN or infinite values draw no bar.
    public var values: [Double]
    /// The bars' SVG colour.
    public var color: String

    /// A chart with one bar per label.
    ///
    /// - Precondition: `labels.count == values.count`.
    public init(
        title: String, xLabel: String = "", yLabel: String = "", labels: [String], values: [Double],
        color: String = "#1f77b4"
    ) {
        precondition(labels.count == values.count, "BarChart: \(labels.count) labels for \(values.count) values.")
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.labels = labels
        self.values = values
        self.color = color
    }

    /// The angle of rotated labels, in degrees counter-clockwise from horizontal.
    static let labelAngle = 40.0
    /// Labels longer than this are shortened with "…".
    static let maximumLabelCharacters = 22

    /// The chart as a standalone SVG document.
    public func svg(width: Int = 640, height: Int = 400) -> String {
        var svg = SVG(width: width, height: height)
        PlotFrame.drawTitle(title, in: &svg)
        let finite = values.filter(\.isFinite)
        let yTicks = AxisTicks(
            covering: Swift.min(0, finite.min() ?? 0)...Swift.max(0, finite.max() ?? 1),
            targetCount: Swift.max(2, height / 70))
        let shownLabels = labels.map { truncated($0, to: Self.maximumLabelCharacters) }
        let labelWidth = shownLabels.map { SVG.textWidth($0, size: PlotFrame.tickSize) }.max() ?? 0

        let left = 34 + PlotFrame.yTickLabelWidth(yTicks) + 10
        let plotWidth = Swift.max(Double(width) - left - 20, 40)
        let slot = plotWidth / Double(Swift.max(values.count, 1))
        let rotates = labelWidth > slot - 6
        let radians = Self.labelAngle * .pi / 180
        // Rotated labels hang below the axis by their width times sin(angle), plus their height.
        let labelDepth =
            rotates ? labelWidth * sin(radians) + PlotFrame.tickSize * cos(radians) + 4 : PlotFrame.tickSize
        let top = title.isEmpty ? 20.0 : 44.0
        let bottom = 14 + labelDepth + (xLabel.isEmpty ? 8 : 28)
        // When rotated, the first label extends left of its bar: keep it on the canvas.
        let overhang = rotates ? Swift.max(0, labelWidth * cos(radians) - slot / 2 - left + 6) : 0
        let frame = PlotFrame(
            left: left + overhang, top: top, width: Swift.max(plotWidth - overhang, 40),
            height: Swift.max(Double(height) - top - bottom, 40))
        let barSlot = frame.width / Double(Swift.max(values.count, 1))

        frame.drawYAxis(yTicks, label: yLabel, in: &svg)
        let zeroY = frame.y(0, yTicks)
        let showsValues = barSlot >= SVG.textWidth("0.000", size: 10)
        for (index, value) in values.enumerated() {
            let centre = frame.left + (Double(index) + 0.5) * barSlot
            if value.isFinite {
                let y = frame.y(value, yTicks)
                let barWidth = barSlot * 0.7
                svg.rect(
                    x: centre - barWidth / 2, y: Swift.min(y, zeroY), width: barWidth, height: Swift.abs(zeroY - y),
                    fill: color, title: "\(labels[index]): \(AxisTicks.format(value))")
                if showsValues {
                    let textY = value >= 0 ? y - 4 : y + 12
                    svg.text(AxisTicks.format(value), x: centre, y: textY, size: 10, anchor: .middle, fill: "#333333")
                }
            }
            let labelY = frame.bottom + 16
            if rotates {
                svg.text(
                    shownLabels[index], x: centre + 4, y: labelY - 4, size: PlotFrame.tickSize, anchor: .end,
                    rotation: -Self.labelAngle)
            } else {
                svg.text(shownLabels[index], x: centre, y: labelY, size: PlotFrame.tickSize, anchor: .middle)
            }
        }
        svg.line(x1: frame.left, y1: zeroY, x2: frame.right, y2: zeroY, stroke: PlotFrame.axisColor)
        frame.drawXLabel(xLabel, in: &svg)
        return svg.document
    }
}
