import ArgumentParser
import Foundation
import NervaData
import NervaGAN

/// `nerva gan sample`: draws images from a trained generator.
struct GANSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw images from a trained GAN: a PNG grid and, with --individual, one PNG per image."
    )

    @Option(help: "The checkpoint of `nerva gan train` (gan-checkpoint.safetensors).") var checkpoint: String
    @Option(parsing: .unconditional, help: "How many images.") var count: Int = 64
    @Option(parsing: .unconditional, help: "The class to draw (conditional GANs only), 0…9, e.g. 7 for sneakers.")
    var `class`: Int?
    @Flag(help: "Also write every image as its own PNG.") var individual = false
    @Option(parsing: .unconditional, help: "Images per row of the grid.") var columns: Int = 8
    @Option(parsing: .unconditional, help: "Random seed of the latent vectors.") var seed: UInt64 = 0
    @OptionGroup var common: GANCommonOptions

    /// The most images one call draws: 10,000 images of 28 × 28 make a 2,800 × 2,800 grid.
    static let maximumCount = 10_000

    func validate() throws {
        guard (1...Self.maximumCount).contains(count) else {
            throw ValidationError(
                "--count must be in 1…\(Self.maximumCount) (all images are held in memory for the grid), got \(count).")
        }
        guard (1...Self.maximumCount).contains(columns) else {
            throw ValidationError("--columns must be in 1…\(Self.maximumCount), got \(columns).")
        }
        if let label = `class`, !(0..<10).contains(label) {
            throw ValidationError("--class must be in 0…9, got \(label).")
        }
        try requireFile(checkpoint, option: "--checkpoint")
    }

    func run() throws {
        let (generator, configuration) = try GANTrainer.loadGenerator(from: URL(fileURLWithPath: checkpoint))
        if `class` != nil && generator.classCount == nil {
            throw ValidationError(
                "--class needs a conditional GAN (trained with --conditional); \(checkpoint) is unconditional.")
        }
        let folder = try RunFolder(
            command: "gan-sample", out: common.out,
            settings: [
                ("checkpoint", checkpoint), ("count", "\(count)"),
                ("class", `class`.map { "\($0) (\(FashionMNIST.classNames[$0]))" } ?? "any"),
                ("seed", "\(seed)")
            ])
        let images = GANEvaluationRun.generate(
            generator, count: count, latentDistribution: configuration.latentDistribution,
            seed: seed, label: `class`)
        let grid = folder.file("samples.png")
        try PNG.write(ImageGrid.tiled(images, columns: columns), to: grid)
        if individual {
            for index in 0..<count {
                try PNG.write(images[index], to: folder.file(String(format: "samples/%05d.png", index)))
            }
        }
        folder.addFigure(title: "Samples", files: [grid], caption: "\(count) samples from \(checkpoint)")
        try folder.writeReport()
        print("\(count) samples → \(grid.path)\(individual ? " and \(folder.file("samples").path)/" : "")")
    }
}
