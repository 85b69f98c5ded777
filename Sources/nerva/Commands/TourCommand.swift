import ArgumentParser
import Foundation
import NervaNN
import NervaOptim
import NervaTensor

/// `nerva tour`: the main job. Today it tours the engine: trains an MLP to separate two
/// interleaved spirals, saves the model as safetensors, reloads it and checks it predicts the same.
struct TourCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tour",
        abstract: "Run a short tour of Nerva on built-in data and write the results to --out."
    )

    @Option(help: "Output folder (default ./nerva-out/tour-<timestamp>).")
    var out: String?

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    func run() throws {
        let folder = URL(fileURLWithPath: out ?? "nerva-out/tour-\(Self.timestamp())")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create the output folder \(folder.path): \(error.localizedDescription) Choose another with --out DIR.")
        }
        print("Nerva tour → \(folder.path)")
        try EngineTour(seed: seed, folder: folder).run()
    }

    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: Date())
    }
}
