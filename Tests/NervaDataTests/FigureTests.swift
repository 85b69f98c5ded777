import Foundation
import NervaData
import Testing

@Suite struct FigureTests {
    @Test func writesSVGAndPNGWhenRSVGConvertExists() throws {
        let directory = try DataTestDirectory()
        defer { directory.remove() }
        let chart = LineChart(
            title: "Loss", xLabel: "epoch", yLabel: "loss",
            series: [.init(name: "train", values: [1, 0.5, 0.25])])
        let url = directory.file("loss.svg")
        let files = try Figure.write(svg: chart.svg(), to: url)
        #expect(files.first == url)
        #expect(try String(contentsOf: url, encoding: .utf8) == chart.svg())
        let png = directory.file("loss.png")
        if Figure.rasterizer != nil {
            #expect(files == [url, png])
            let bytes = [UInt8](try Data(contentsOf: png))
            #expect(Array(bytes.prefix(8)) == PNG.signature)
            // rsvg-convert renders at twice the SVG's 640×400.
            #expect(pngChunks(bytes).first.map { Array($0.data.prefix(8)) } == [0, 0, 0x05, 0x00, 0, 0, 0x03, 0x20])
        } else {
            #expect(files == [url])
            #expect(!FileManager.default.fileExists(atPath: png.path))
        }
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory.url.path).sorted()
                == files.map(\.lastPathComponent).sorted(), "no temporary files are left behind")
    }

    @Test func unwritableFolderNamesTheFile() {
        let url = URL(fileURLWithPath: "/nonexistent-nerva-folder/chart.svg")
        let error = #expect(throws: DataError.self) { try Figure.write(svg: "<svg/>", to: url) }
        #expect(error?.description.hasPrefix(url.path) == true)
    }
}
