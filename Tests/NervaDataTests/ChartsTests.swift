import Foundation
import NervaData
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// An SVG document parsed with Foundation's XMLParser: its texts and elements.
final class ParsedSVG: NSObject, XMLParserDelegate {
    private(set) var texts: [String] = []
    private(set) var elements: [(name: String, attributes: [String: String])] = []
    private var current = ""
    private(set) var wellFormed = false
    private(set) var parseError: String?

    init(_ document: String) {
        super.init()
        let parser = XMLParser(data: Data(document.utf8))
        parser.delegate = self
        wellFormed = parser.parse()
        if !wellFormed { parseError = parser.parserError.map { "\($0)" } ?? "unknown" }
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        elements.append((name, attributes))
        current = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { texts.append(current) }
        current = ""
    }

    func count(of name: String) -> Int { elements.filter { $0.name == name }.count }
}

@Suite struct ChartsTests {
    // MARK: - Ticks

    @Test func ticksUseOneTwoFiveSteps() {
        let ticks = AxisTicks(covering: 0.03...0.91, targetCount: 5)
        #expect(ticks.step == 0.2)
        #expect(ticks.labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(AxisTicks(covering: 1...20, targetCount: 4).values == [0, 5, 10, 15, 20])
        #expect(AxisTicks(covering: 0...1000, targetCount: 5).labels == ["0", "200", "400", "600", "800", "1000"])
        #expect(
            AxisTicks(covering: 1e-4...3e-4, targetCount: 4).labels == [
                "1.0e-4", "1.5e-4", "2.0e-4", "2.5e-4", "3.0e-4"
            ])
        #expect(AxisTicks(covering: -3...7, targetCount: 5).values == [-4, -2, 0, 2, 4, 6, 8])
        #expect(AxisTicks(covering: 1...4, targetCount: 8, minimumStep: 1).labels == ["1", "2", "3", "4"])
        for range in [0.0...0.0, 5.0...5.0, -2.0...(-2.0)] {
            let flat = AxisTicks(covering: range)
            #expect(flat.lower < range.lowerBound && flat.upper > range.upperBound, "a flat range is widened")
        }
        for target in 2...9 {
            let ticks = AxisTicks(covering: 0.37...81.2, targetCount: target)
            let mantissa = ticks.step / pow(10, log10(ticks.step).rounded(.down))
            #expect([1, 2, 5].contains { abs(mantissa - $0) < 1e-9 })
            #expect(ticks.lower <= 0.37 && ticks.upper >= 81.2)
        }
    }

    // MARK: - Line chart

    @Test func lineChartIsWellFormedWithTitleLegendAndTicks() {
        let chart = LineChart(
            title: "Loss <train & test>", xLabel: "epoch", yLabel: "loss",
            series: [
                .init(name: "train", values: [2.0, 1.2, 0.8, 0.6]),
                .init(name: "validation \"held out\"", values: [2.1, 1.4, .nan, 0.9])
            ])
        let document = chart.svg()
        let svg = ParsedSVG(document)
        #expect(svg.wellFormed, "\(svg.parseError ?? "")")
        #expect(svg.texts.contains("Loss <train & test>"))
        #expect(svg.texts.contains("train") && svg.texts.contains("validation \"held out\""))
        #expect(svg.texts.contains("epoch") && svg.texts.contains("loss"))
        for tick in ["0.5", "1.0", "1.5", "2.0"] { #expect(svg.texts.contains(tick), "y tick \(tick)") }
        for tick in ["1", "2", "3", "4"] { #expect(svg.texts.contains(tick), "x tick \(tick)") }
        // The NaN splits the second line: one polyline for train, one plus a lone marker for validation.
        #expect(svg.count(of: "polyline") == 2)
        #expect(!document.lowercased().contains("nan"))
        let strokes = Set(svg.elements.filter { $0.name == "polyline" }.compactMap { $0.attributes["stroke"] })
        #expect(strokes.count == 2, "each series has its own colour")
    }

    @Test func legendSitsInAFreeCornerOrBesideThePlot() {
        func legendIsBoxed(_ series: [LineChart.Series]) -> Bool {
            let svg = ParsedSVG(LineChart(title: "t", series: series).svg())
            return svg.elements.contains { $0.name == "rect" && $0.attributes["stroke"] == "#cccccc" }
        }
        // A falling curve leaves the top right free.
        #expect(legendIsBoxed([.init(name: "loss", values: [4, 2, 1, 0.5, 0.25])]))
        // A zigzag between the extremes crosses every corner: the legend moves out of the plot.
        #expect(!legendIsBoxed([.init(name: "zigzag", values: (0..<200).map { Double($0 % 2) })]))
    }

    @Test func lineChartSurvivesEmptyAndDegenerateData() {
        for series in [
            [], [LineChart.Series(name: "flat", values: [3, 3, 3])],
            [LineChart.Series(name: "nothing", values: [.nan, .infinity])]
        ] {
            let svg = ParsedSVG(LineChart(title: "t", series: series).svg(width: 300, height: 200))
            #expect(svg.wellFormed)
        }
    }

    // MARK: - Bar chart

    @Test func barChartRotatesOnlyLongLabels() {
        let short = BarChart(title: "Short", labels: ["a", "b", "c"], values: [1, 2, 3]).svg()
        #expect(ParsedSVG(short).wellFormed)
        #expect(!short.contains("rotate(-40"))
        let long = BarChart(
            title: "Accuracy per class", yLabel: "accuracy", labels: FashionMNIST.classNames,
            values: [0.85, 0.97, 0.81, 0.88, 0.83, 0.96, 0.62, 0.95, 0.97, 0.96]
        ).svg()
        let svg = ParsedSVG(long)
        #expect(svg.wellFormed)
        #expect(long.contains("rotate(-40"))
        #expect(svg.texts.contains("T-shirt/top") && svg.texts.contains("Ankle boot"))
        #expect(svg.texts.contains("0.62"), "bars carry their values")
        #expect(svg.count(of: "rect") == 1 + 10, "background and one bar per class")
    }

    // MARK: - Heat map

    @Test func viridisGetsLighterMonotonically() {
        let lightness = stride(from: 0.0, through: 1.0, by: 0.01).map { ColorMap.viridis($0).luminance }
        #expect(zip(lightness, lightness.dropFirst()).allSatisfy { $0 < $1 })
        #expect(ColorMap.viridis(0).hex == "#440154" && ColorMap.viridis(1).hex == "#fde725")
        #expect(ColorMap.viridis(-3) == ColorMap.viridis(0) && ColorMap.viridis(7) == ColorMap.viridis(1))
    }

    @Test func heatMapColoursFollowTheValues() {
        let map = HeatMap(
            title: "Confusion & more", rowLabels: ["a", "b"], columnLabels: ["x", "y", "z"],
            values: [[0, 5, 10], [2, .nan, 7]], xLabel: "predicted", yLabel: "true")
        let values = [0.0, 2, 5, 7, 10]
        let lightness = values.map { map.color(of: $0).luminance }
        #expect(zip(lightness, lightness.dropFirst()).allSatisfy { $0 < $1 })
        let svg = ParsedSVG(map.svg())
        #expect(svg.wellFormed, "\(svg.parseError ?? "")")
        #expect(svg.texts.contains("Confusion & more"))
        for label in ["a", "b", "x", "y", "z", "predicted", "true", "10", "7"] { #expect(svg.texts.contains(label)) }
        #expect(svg.count(of: "linearGradient") == 1, "a colour bar")
        let fills = svg.elements.filter { $0.name == "rect" }.compactMap { $0.attributes["fill"] }
        #expect(fills.contains(ColorMap.viridis(0).hex) && fills.contains(ColorMap.viridis(1).hex))
    }

    @Test func heatMapImage() {
        let map = HeatMap(
            title: "", rowLabels: ["a", "b"], columnLabels: ["x", "y", "z"], values: [[0, 5, 10], [2, .nan, 7]])
        let image = map.pngImage(cellSize: 4)
        #expect(image.shape == [3, 8, 12])
        let pixels = image.scalars
        func rgb(_ y: Int, _ x: Int) -> [Float] { (0..<3).map { pixels[($0 * 8 + y) * 12 + x] } }
        let low = ColorMap.viridis(0), high = ColorMap.viridis(1)
        #expect(rgb(3, 3) == [Float(low.red), Float(low.green), Float(low.blue)])
        #expect(rgb(0, 11) == [Float(high.red), Float(high.green), Float(high.blue)])
        #expect(rgb(5, 5) == [0.8, 0.8, 0.8], "NaN is grey")
    }

    // MARK: - SVG builder

    @Test func escaping() {
        #expect(SVG.escape(#"a<b>&"c"'d"#) == "a&lt;b&gt;&amp;&quot;c&quot;&apos;d")
        #expect(SVG.escape("bell\u{7}") == "bell")
        var svg = SVG(width: 10, height: 10)
        svg.text("x < y", x: 1, y: 2)
        #expect(ParsedSVG(svg.document).texts == ["x < y"])
    }
}
