import Foundation

/// A line chart of one or more series, as SVG: training curves, rewards per episode.
///
/// ```swift
/// let chart = LineChart(title: "Loss", xLabel: "epoch", yLabel: "cross-entropy", series: [
///     .init(name: "train", values: trainLosses),
///     .init(name: "validation", values: validationLosses),
/// ])
/// try Figure.write(svg: chart.svg(), to: folder.appendingPathComponent("loss.svg"))
/// ```
public struct LineChart: Sendable {
    /// One named line.
    public struct Series: Sendable {
        /// The name shown in the legend.
        public var name: String
        /// The points in drawing order; points with a NaN or infinite coordinate are skipped,
        /// leaving a gap in the line.
        public var points: [(x: Double, y: Double)]
        /// An SVG colour; `nil` takes the next colour of the palette.
        public var color: String?

        /// A series of explicit points.
        public init(name: String, points: [(x: Double, y: Double)], color: String? = nil) {
            self.name = name
            self.points = points
            self.color = color
        }

        /// A series of `values` at x = `firstX`, `firstX + 1`, … (e.g. per epoch from 1).
        public init(name: String, values: [Double], firstX: Double = 1, color: String? = nil) {
            self.init(
                name: name, points: values.enumerated().map { (firstX + Double($0.offset), $0.element) }, color: color)
        }
    }

    /// The heading above the plot.
    public var title: String
    /// The label under the x axis.
    public var xLabel: String
    /// The label beside the y axis.
    public var yLabel: String
    /// The lines drawn, in order; each gets a legend entry.
    public var series: [Series]

    /// A chart of `series`.
    public init(title: String, xLabel: String = "", yLabel: String = "", series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// The chart as a standalone SVG document.
    public func svg(width: Int = 640, height: Int = 400) -> String {
        var svg = SVG(width: width, height: height)
        PlotFrame.drawTitle(title, in: &svg)
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xRange = (finite.map(\.x).min() ?? 0)...(finite.map(\.x).max() ?? 1)
        let xIntegral = finite.allSatisfy { $0.x == $0.x.rounded() } // epochs, steps: no tick at 2.5
        let yTicks = AxisTicks(
            covering: (finite.map(\.y).min() ?? 0)...(finite.map(\.y).max() ?? 1),
            targetCount: Swift.max(2, height / 70))

        let legendCharacters = 28
        let legendText = series.map { SVG.textWidth(truncated($0.name, to: legendCharacters), size: 12) }.max() ?? 0
        let legendSize = (width: 24 + legendText + 16, height: Double(series.count) * 20 + 8)
        let left = 34 + PlotFrame.yTickLabelWidth(yTicks) + 10
        let top = title.isEmpty ? 20.0 : 44.0
        let bottom = xLabel.isEmpty ? 34.0 : 54.0
        // The last x tick label is centred on the right edge: leave room for its half.
        let lastXLabel =
            Self.xTicks(covering: xRange, integral: xIntegral, width: Double(width) - left - 20).labels.last ?? ""
        let right = Swift.max(20, SVG.textWidth(lastXLabel, size: PlotFrame.tickSize) / 2 + 6)
        func makeFrame(reservingRight reserved: Double) -> PlotFrame {
            PlotFrame(
                left: left, top: top, width: Swift.max(Double(width) - left - right - reserved, 40),
                height: Swift.max(Double(height) - top - bottom, 40))
        }

        // The legend goes inside the plot, in a corner no line crosses; failing that, beside it.
        var frame = makeFrame(reservingRight: 0)
        var xTicks = Self.xTicks(covering: xRange, integral: xIntegral, width: frame.width)
        var legendOrigin: (x: Double, y: Double)?
        var legendInside = true
        if !series.isEmpty {
            legendOrigin = Self.freeCorner(
                size: legendSize, in: frame, avoiding: Array(pixelLines(frame, xTicks, yTicks).joined()))
            if legendOrigin == nil {
                frame = makeFrame(reservingRight: legendSize.width)
                xTicks = Self.xTicks(covering: xRange, integral: xIntegral, width: frame.width)
                legendOrigin = (frame.right + 8, frame.top)
                legendInside = false
            }
        }

        frame.drawYAxis(yTicks, label: yLabel, in: &svg)
        for (value, text) in zip(xTicks.values, xTicks.labels) {
            let x = frame.x(value, xTicks)
            svg.line(x1: x, y1: frame.top, x2: x, y2: frame.bottom, stroke: PlotFrame.gridColor)
            svg.line(x1: x, y1: frame.bottom, x2: x, y2: frame.bottom + 4, stroke: PlotFrame.axisColor)
            svg.text(text, x: x, y: frame.bottom + 17, size: PlotFrame.tickSize, anchor: .middle)
        }
        svg.line(x1: frame.left, y1: frame.bottom, x2: frame.right, y2: frame.bottom, stroke: PlotFrame.axisColor)
        frame.drawXLabel(xLabel, in: &svg)

        let colors = series.indices.map { series[$0].color ?? Palette.color($0) }
        for (index, segments) in pixelLines(frame, xTicks, yTicks).enumerated() {
            let showsMarkers = series[index].points.count * series.count <= 60 // dots only where they stay legible
            for segment in segments {
                if segment.count > 1 { svg.polyline(segment, stroke: colors[index]) }
                if showsMarkers || segment.count == 1 {
                    for point in segment { svg.circle(x: point.x, y: point.y, radius: 2.5, fill: colors[index]) }
                }
            }
        }
        if let legendOrigin {
            PlotFrame.drawLegend(
                zip(series.map(\.name), colors).map { ($0, $1) }, origin: legendOrigin, size: legendSize,
                maximumCharacters: legendCharacters, boxed: legendInside, in: &svg)
        }
        return svg.document
    }

    /// Each series' runs of finite points, in pixels.
    private func pixelLines(_ frame: PlotFrame, _ xTicks: AxisTicks, _ yTicks: AxisTicks) -> [[[(
        x: Double, y: Double
    )]]] {
        series.map { line in
            Self.segments(of: line.points).map { segment in
                segment.map { (x: frame.x($0.x, xTicks), y: frame.y($0.y, yTicks)) }
            }
        }
    }

    /// The top-left point of the first corner of `frame` (top right, top left, bottom right,
    /// bottom left) where a box of `size` touches none of the `lines`, or `nil`.
    static func freeCorner(
        size: (width: Double, height: Double), in frame: PlotFrame,
        avoiding lines: [[(x: Double, y: Double)]]
    ) -> (x: Double, y: Double)? {
        let inset = 8.0, margin = 6.0
        guard size.width + 2 * inset < frame.width && size.height + 2 * inset < frame.height else { return nil }
        let corners = [
            (frame.right - inset - size.width, frame.top + inset), (frame.left + inset, frame.top + inset),
            (frame.right - inset - size.width, frame.bottom - inset - size.height),
            (frame.left + inset, frame.bottom - inset - size.height)
        ]
        var free = [Bool](repeating: true, count: corners.count)
        func visit(_ x: Double, _ y: Double) {
            for (i, corner) in corners.enumerated() where free[i] {
                if x >= corner.0 - margin && x <= corner.0 + size.width + margin
                    && y >= corner.1 - margin && y <= corner.1 + size.height + margin
                {
                    free[i] = false
                }
            }
        }
        for line in lines {
            for (a, b) in zip(line, line.dropFirst()) {
                // Sample every few pixels along the segment, so that lines crossing the box count.
                let steps = Swift.max(1, Int((Swift.abs(b.x - a.x) + Swift.abs(b.y - a.y)) / 4))
                for k in 0..<steps {
                    let t = Double(k) / Double(steps)
                    visit(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t)
                }
            }
            if let last = line.last { visit(last.x, last.y) }
        }
        return free.firstIndex(of: true).map { (corners[$0].0, corners[$0].1) }
    }

    /// X ticks whose labels fit side by side in `width` pixels; at integers only if `integral`.
    static func xTicks(covering range: ClosedRange<Double>, integral: Bool, width: Double) -> AxisTicks {
        var target = Swift.max(2, Int(width / 70))
        while true {
            let ticks = AxisTicks(covering: range, targetCount: target, minimumStep: integral ? 1 : 0)
            let widest = ticks.labels.map { SVG.textWidth($0, size: PlotFrame.tickSize) }.max() ?? 0
            let spacing = width / Double(Swift.max(ticks.values.count - 1, 1))
            if widest + 12 <= spacing || target <= 2 { return ticks }
            target -= 1
        }
    }

    /// The runs of consecutive finite points.
    static func segments(of points: [(x: Double, y: Double)]) -> [[(x: Double, y: Double)]] {
        var runs: [[(x: Double, y: Double)]] = [[]]
        for point in points {
            if point.x.isFinite && point.y.isFinite {
                runs[runs.count - 1].append(point)
            } else if !runs[runs.count - 1].isEmpty {
                runs.append([])
            }
        }
        return runs.filter { !$0.isEmpty }
    }
}
