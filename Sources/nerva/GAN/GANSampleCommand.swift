import ArgumentParser
import Foundation
import NervaData
import NervaGAN
import NervaNN

/// `nerva gan sample`: draws images from a trained generator.
struct GANSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw images from a trained GAN: a PNG grid and, with --individual, one PNG per image."
    )

    @Option(help: "The checkpoint of `nerva gan train` (gan-checkpoint.safetensors).") var checkpoint: String
    @Option(
        parsing: .unconditional,
        help:
            "How many images (at most \(GANSampleRun.maximumGridImages) for the grid alone, \(GANSampleRun.maximumCount) with --individual; the grid shows the first \(GANSampleRun.maximumGridImages))."
    )
    var count: Int = 64
    @Option(parsing: .unconditional, help: "The class to draw (conditional GANs only), 0…9, e.g. 7 for sneakers.")
    var `class`: Int?
    @Flag(help: "Also write every image as its own PNG.") var individual = false
    @Option(parsing: .unconditional, help: "Images per row of the grid.") var columns: Int = 8
    @Option(parsing: .unconditional, help: "Random seed of the latent vectors.") var seed: UInt64 = 0
    @OptionGroup var common: GANCommonOptions

    private var sampling: GANSampleRun {
        GANSampleRun(count: count, label: `class`, individual: individual, columns: columns, seed: seed)
    }

    func validate() throws {
        do { try sampling.validate() } catch let error as ConfigurationError { throw error.asFlagError }
        try requireFile(checkpoint, option: "--checkpoint")
    }

    func run() throws {
        let folder = try RunFolder(
            command: "gan-sample", out: common.out,
            settings: [
                ("checkpoint", checkpoint), ("count", "\(count)"),
                ("class", `class`.map { "\($0) (\(FashionMNIST.classNames[$0]))" } ?? "any"),
                ("seed", "\(seed)")
            ])
        let result: GANSampleRun.Result
        do {
            result = try sampling.run(checkpoint: URL(fileURLWithPath: checkpoint), folder: folder)
        } catch let error as ConfigurationError { throw error.asFlagError }
        print(
            "\(count) samples → \(result.grid.path)\(result.individualFolder.map { " and \($0.path)/" } ?? "")")
    }
}
