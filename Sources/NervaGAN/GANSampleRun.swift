import Foundation
import NervaData
import NervaNN
import NervaTensor

/// Draws images from a trained generator into a run folder (what `nerva gan sample` does): a PNG
/// grid of the first images and, with ``individual``, every image as its own PNG, written batch by
/// batch so that exporting tens of thousands of samples (e.g. for FID in another tool) holds one
/// batch in memory.
public struct GANSampleRun {
    /// The most images one run draws (with ``individual``).
    public static let maximumCount = GANEvaluationRun.maximumSamples
    /// The most images the grid shows (10,000 images of 28 × 28 make a 2,800 × 2,800 grid); a run
    /// without ``individual`` draws at most this many.
    public static let maximumGridImages = 10_000

    /// How many images.
    public var count: Int
    /// The class to draw (conditional generators only), or `nil` for labels cycling over the classes.
    public var label: Int?
    /// Whether every image is also written as `samples/NNNNN.png`.
    public var individual: Bool
    /// Images per row of the grid.
    public var columns: Int
    /// The seed of the latent vectors (image `i`'s latent vector is the same for any ``count``).
    public var seed: UInt64

    /// A run with these settings; ``run(checkpoint:folder:)`` validates them.
    public init(count: Int = 64, label: Int? = nil, individual: Bool = false, columns: Int = 8, seed: UInt64 = 0) {
        self.count = count
        self.label = label
        self.individual = individual
        self.columns = columns
        self.seed = seed
    }

    /// Throws a `ConfigurationError` naming the first setting out of range.
    public func validate() throws {
        try ConfigurationError.require(
            (1...(individual ? Self.maximumCount : Self.maximumGridImages)).contains(count), "count", count,
            allowed: individual
                ? "in 1…\(Self.maximumCount)"
                : "in 1…\(Self.maximumGridImages) (the grid's limit; up to \(Self.maximumCount) when each image is also written individually)"
        )
        try ConfigurationError.check("columns", columns, in: 1...Self.maximumGridImages)
        if let label { try ConfigurationError.check("class", label, in: 0...9) }
    }

    /// What a run wrote.
    public struct Result {
        /// The PNG grid of the first `min(count, maximumGridImages)` images.
        public let grid: URL
        /// The folder of the individual PNGs, when written.
        public let individualFolder: URL?
    }

    /// Loads the generator of `checkpoint` (a `nerva gan train` checkpoint) and writes the images
    /// and the report into `folder`.
    ///
    /// - Throws: a `ConfigurationError` for bad settings (also a class for an unconditional
    ///   generator), what loading the checkpoint throws, or a file error.
    public func run(checkpoint: URL, folder: RunFolder) throws -> Result {
        try validate()
        let (generator, configuration) = try GANTrainer.loadGenerator(from: checkpoint)
        if let label, generator.classCount == nil {
            throw ConfigurationError(
                field: "class", value: "\(label)",
                allowed:
                    "unset for an unconditional generator (\(checkpoint.lastPathComponent) was trained without --conditional)"
            )
        }
        let gridCount = min(count, Self.maximumGridImages)
        var gridImages: [Tensor] = []
        let individualFolder = individual ? folder.file("samples") : nil
        try GANEvaluationRun.generate(
            generator, count: count, latentDistribution: configuration.latentDistribution, seed: seed, label: label
        ) { images, first in
            if first < gridCount { gridImages.append(images[0..<min(images.shape[0], gridCount - first)]) }
            guard individual else { return }
            for offset in 0..<images.shape[0] {
                try PNG.write(images[offset], to: folder.file(String(format: "samples/%05d.png", first + offset)))
            }
        }
        let grid = folder.file("samples.png")
        try PNG.write(ImageGrid.tiled(Tensor.concatenated(gridImages), columns: columns), to: grid)
        let shown = gridCount < count ? "the first \(gridCount) of \(count) samples" : "\(count) samples"
        folder.addFigure(title: "Samples", files: [grid], caption: "\(shown) from \(checkpoint.path)")
        try folder.writeReport()
        return Result(grid: grid, individualFolder: individualFolder)
    }
}
