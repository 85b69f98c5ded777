import Foundation
import NervaData

/// `nerva tour`, the main job: a short run of each part of Nerva on built-in or real data, all
/// written into one run folder whose report closes with the summary table.
public enum Tour {
    /// The parts of the tour, in order; the GAN part uses the classifier the vision part saves.
    /// - Parameters:
    ///   - seed: The seed of every part.
    ///   - folder: The tour's folder.
    ///   - dataDirectory: The Fashion-MNIST folder (`nil`: the default one; the parts that need it
    ///     are skipped when it is not there).
    public static func parts(seed: UInt64, folder: RunFolder, dataDirectory: URL?) -> [any TourPart] {
        [
            EngineTour(seed: seed, folder: folder),
            VisionTour(seed: seed, folder: folder, dataDirectory: dataDirectory),
            GANTour(seed: seed, folder: folder, dataDirectory: dataDirectory),
            RLTour(seed: seed, folder: folder),
            RecommenderTour(seed: seed, folder: folder),
            FederatedTour(seed: seed, folder: folder, dataDirectory: dataDirectory)
        ]
    }

    /// Runs every part into `folder`, adds the summary table and writes the report (`index.html`).
    /// - Parameters:
    ///   - seed: The seed of every part.
    ///   - folder: The tour's folder.
    ///   - dataDirectory: The Fashion-MNIST folder (`nil`: the default one).
    /// - Returns: Each part's result and time.
    public static func run(seed: UInt64, folder: RunFolder, dataDirectory: URL?) throws -> TourSummary {
        var summary = TourSummary()
        for part in parts(seed: seed, folder: folder, dataDirectory: dataDirectory) { try summary.run(part) }
        summary.addTable(to: folder)
        try folder.writeReport()
        return summary
    }
}
