import ArgumentParser
import Foundation
import NervaData
import NervaTensor
import NervaTour

/// `nerva tour`: the main job. A short run of each part of Nerva on built-in or real data, all
/// written into one output folder with an HTML report.
struct TourCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tour",
        abstract: "Run a short tour of Nerva on built-in and real data; write metrics, figures and a report to --out."
    )

    @Option(help: "The Fashion-MNIST folder (default \(FashionMNIST.defaultDirectory.path)).")
    var data: String?

    @Option(help: "Output folder (default ./nerva-out/tour-<timestamp>).")
    var out: String?

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = 0

    func validate() throws {
        // Without --data the parts that need Fashion-MNIST are skipped when it is not installed;
        // a folder the user names must exist.
        var isDirectory: ObjCBool = false
        if let data, !(FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory) && isDirectory.boolValue)
        {
            throw ValidationError("--data \(data): no such folder.")
        }
    }

    func run() throws {
        let folder = try RunFolder(
            command: "tour", out: out,
            settings: [
                ("seed", "\(seed)"),
                ("data", data ?? FashionMNIST.defaultDirectory.path)
            ])
        print("Nerva tour → \(folder.url.path)")
        let summary = try Tour.run(seed: seed, folder: folder, dataDirectory: data.map { URL(fileURLWithPath: $0) })
        print(summary.text)
        print("Report: \(folder.file("index.html").path)")
    }
}
