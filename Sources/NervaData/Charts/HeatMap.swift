import Foundation
import NervaTensor

/// A matrix drawn as coloured cells (viridis) with row and column labels and a colour bar:
/// confusion matrices, attention or similarity maps.
///
/// ```swift
/// let map = HeatMap(title: "Confusion matrix", rowLabels: FashionMNIST.classNames,
///                   columnLabels: FashionMNIST.classNames, values: counts,
///                   xLabel: "predicted", yLabel: "true")
/// try Figure.write(svg: map.svg(), to: folder.appendingPathComponent("confusion.svg"))
/// ```
public struct HeatMap: Sendable {
    /// The heading above the map.
    public var title: String
    /// The label of each row, left of the map.
    public var rowLabels: [String]
    /// The label of each column, under the map.
    public var columnLabels: [String]
    /// `values[row][column]`; NaN cells are drawn grey.
    public var values: [[Double]]
    /// Whether each cell shows its value (when it fits).
    public var showsValues: Bool
    /// The label under the column labels.
    public var xLabel: String
    /// The label beside the row labels.
    public var yLabel: String
    /// Text drawn in each cell above its value, `cellLabels[row][column]` (a grid world's tile and
    /// greedy action, such as `S →`); `nil` for none.
    public var cellLabels: [[String]]?

    /// A heat map of `values`, one row per row label and one column per column label.
    ///
    /// - Precondition: `values` has `rowLabels.count` rows of `columnLabels.count` values.
    public init(
        title: String, rowLabels: [String], columnLabels: [String], values: [[Double]],
        showsValues: Bool = true, xLabel: String = "", yLabel: String = "", cellLabels: [[String]]? = nil
    ) {
        precondition(
            values.count == rowLabels.count && values.allSatisfy { $0.count == columnLabels.count },
            "HeatMap: values must have \(rowLabels.count) rows of \(columnLabels.count) columns.")
        let labelsFit = cellLabels.map { labels in
            labels.count == values.count && zip(labels, values).allSatisfy { $0.count == $1.count }
        }
        precondition(
            labelsFit ?? true,
            "HeatMap: cellLabels must have the shape of values.")
        self.cellLabels = cellLabels
        self.title = title
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.values = values
        self.showsValues = showsValues
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// The smallest and largest finite value (widened when they are equal).
    public var valueRange: ClosedRange<Double> {
        let finite = values.joined().filter(\.isFinite)
        let low = finite.min() ?? 0, high = finite.max() ?? 1
        return high > low ? low...high : (low - 0.5)...(low + 0.5)
    }

    /// The colour of `value` on this map's scale.
    public func color(of value: Double) -> ColorMap.Color {
        let range = valueRange
        return ColorMap.viridis((value - range.lowerBound) / (range.upperBound - range.lowerBound))
    }

    /// The map as an RGB image `[3, rows · cellSize, columns · cellSize]` in `[0, 1]`, without
    /// labels (for `PNG.write`); NaN cells are grey.
    public func pngImage(cellSize: Int = 16) -> Tensor {
        precondition(cellSize > 0, "HeatMap.pngImage: the cell size must be positive, got \(cellSize).")
        let rows = values.count, columns = columnLabels.count
        let height = rows * cellSize, width = columns * cellSize
        let image = Tensor.zeros([3, height, width])
        image.withUnsafeMutableBufferPointer { pixels in
            for (row, rowValues) in values.enumerated() {
                for (column, value) in rowValues.enumerated() {
                    let c = value.isFinite ? color(of: value) : Self.missingColor
                    for (channel, level) in [c.red, c.green, c.blue].enumerated() {
                        for y in row * cellSize..<(row + 1) * cellSize {
                            let start = (channel * height + y) * width + column * cellSize
                            for x in start..<start + cellSize { pixels[x] = Float(level) }
                        }
                    }
                }
            }
        }
        return image
    }

    static let missingColor = ColorMap.Color(red: 0.8, green: 0.8, blue: 0.8)
    static let labelCharacters = 22

    /// The map as a standalone SVG document, sized to its cells and labels.
    public func svg() -> String {
        let rows = values.count, columns = columnLabels.count
        let cell = Double(Swift.min(56, Swift.max(14, 440 / Swift.max(rows, columns, 1))))
        let tickSize = PlotFrame.tickSize
        let rowNames = rowLabels.map { truncated($0, to: Self.labelCharacters) }
        let columnNames = columnLabels.map { truncated($0, to: Self.labelCharacters) }
        let rowLabelWidth = rowNames.map { SVG.textWidth($0, size: tickSize) }.max() ?? 0
        let columnLabelWidth = columnNames.map { SVG.textWidth($0, size: tickSize) }.max() ?? 0
        let rotates = columnLabelWidth > cell - 4
        let angle = 45.0, radians = angle * .pi / 180
        let columnDepth = rotates ? columnLabelWidth * sin(radians) + tickSize : tickSize

        let range = valueRange
        // About one colour-bar label per 30 pixels of map height, so that they never overlap.
        let barTicks = AxisTicks(covering: range, targetCount: Swift.max(1, Swift.min(5, rows * Int(cell) / 30)))
        let shownTicks = zip(barTicks.values, barTicks.labels).filter {
            $0.0 >= range.lowerBound - 1e-9 * Swift.abs(range.lowerBound)
                && $0.0 <= range.upperBound + 1e-9 * Swift.abs(range.upperBound)
        }
        let barLabelWidth = shownTicks.map { SVG.textWidth($0.1, size: tickSize) }.max() ?? 0

        let left = 10 + (yLabel.isEmpty ? 0 : 24) + rowLabelWidth + 8
        let top = title.isEmpty ? 16.0 : 48.0
        let gridWidth = Double(columns) * cell, gridHeight = Double(rows) * cell
        let barX = left + gridWidth + 18
        // Rotated column labels reach left of the first column; the canvas must hold them.
        let overhang = rotates ? Swift.max(0, columnLabelWidth * cos(radians) - cell / 2 - left + 6) : 0
        let titleWidth = SVG.textWidth(title, size: PlotFrame.titleSize) + 30
        let width = Int(Swift.max(overhang + barX + 14 + 8 + barLabelWidth + 14, titleWidth).rounded(.up))
        let height = Int((top + gridHeight + 10 + columnDepth + (xLabel.isEmpty ? 10 : 34)).rounded(.up))
        var svg = SVG(width: width, height: height)
        PlotFrame.drawTitle(title, in: &svg)
        let x0 = left + overhang

        let textSize = Self.valueTextSize(cell: cell, texts: values.joined().map(format))
        for (row, rowValues) in values.enumerated() {
            for (column, value) in rowValues.enumerated() {
                let c = value.isFinite ? color(of: value) : Self.missingColor
                let x = x0 + Double(column) * cell, y = top + Double(row) * cell
                svg.rect(
                    x: x, y: y, width: cell, height: cell, fill: c.hex,
                    title: "\(rowLabels[row]) / \(columnLabels[column]): \(format(value))")
                let ink = value.isFinite && c.luminance < 0.5 ? "#ffffff" : "#111111"
                // With a cell label the label takes the upper half of the cell and the value the lower.
                let label = cellLabels?[row][column]
                if let label, let labelSize = Self.valueTextSize(cell: cell, texts: [label]) {
                    svg.text(
                        label, x: x + cell / 2, y: y + cell * (showsValues ? 0.38 : 0.5) + labelSize * 0.35,
                        size: labelSize, anchor: .middle, fill: ink)
                }
                if showsValues, let textSize, value.isFinite {
                    let size = label == nil ? textSize : Swift.min(textSize, cell * 0.25)
                    svg.text(
                        format(value), x: x + cell / 2, y: y + cell * (label == nil ? 0.5 : 0.75) + size * 0.35,
                        size: size, anchor: .middle, fill: ink)
                }
            }
        }
        for (row, name) in rowNames.enumerated() {
            svg.text(
                name, x: x0 - 6, y: top + (Double(row) + 0.5) * cell + tickSize * 0.35, size: tickSize, anchor: .end)
        }
        for (column, name) in columnNames.enumerated() {
            let centre = x0 + (Double(column) + 0.5) * cell
            if rotates {
                svg.text(name, x: centre + 3, y: top + gridHeight + 12, size: tickSize, anchor: .end, rotation: -angle)
            } else {
                svg.text(name, x: centre, y: top + gridHeight + 15, size: tickSize, anchor: .middle)
            }
        }
        if !yLabel.isEmpty {
            svg.text(
                yLabel, x: overhang + 18, y: top + gridHeight / 2, size: PlotFrame.labelSize, anchor: .middle,
                rotation: -90)
        }
        if !xLabel.isEmpty {
            svg.text(xLabel, x: x0 + gridWidth / 2, y: Double(height) - 12, size: PlotFrame.labelSize, anchor: .middle)
        }
        drawColorBar(x: x0 + gridWidth + 18, top: top, height: gridHeight, ticks: shownTicks, in: &svg)
        return svg.document
    }

    /// A vertical gradient from the lowest (bottom) to the highest value (top), with tick labels.
    private func drawColorBar(x: Double, top: Double, height: Double, ticks: [(Double, String)], in svg: inout SVG) {
        let stops = (0...10).map { i -> String in
            let t = Double(i) / 10
            return #"<stop offset="\#(SVG.number(t))" stop-color="\#(ColorMap.viridis(t).hex)"/>"#
        }
        svg.raw(
            #"<defs><linearGradient id="colorbar" x1="0" y1="1" x2="0" y2="0">"# + stops.joined()
                + "</linearGradient></defs>")
        svg.raw(
            #"<rect x="\#(SVG.number(x))" y="\#(SVG.number(top))" width="14" height="\#(SVG.number(height))" "#
                + ##"fill="url(#colorbar)" stroke="#444444" stroke-width="0.5"/>"##)
        let range = valueRange
        for (value, label) in ticks {
            let y = top + height - (value - range.lowerBound) / (range.upperBound - range.lowerBound) * height
            svg.line(x1: x + 14, y1: y, x2: x + 18, y2: y, stroke: PlotFrame.axisColor)
            svg.text(label, x: x + 21, y: y + PlotFrame.tickSize * 0.35, size: PlotFrame.tickSize)
        }
    }

    /// Integers as integers, other numbers with three significant digits.
    private func format(_ value: Double) -> String {
        guard value.isFinite else { return "" }
        return AxisTicks.format(value, significant: 3)
    }

    /// The largest font size (at most 12) at which every value fits its cell; `nil` below 7 px.
    private static func valueTextSize(cell: Double, texts: [String]) -> Double? {
        let longest = Double(texts.map(\.count).max() ?? 1)
        let size = Swift.min(12, cell * 0.45, (cell - 4) / (0.6 * Swift.max(longest, 1)))
        return size >= 7 ? size : nil
    }
}
