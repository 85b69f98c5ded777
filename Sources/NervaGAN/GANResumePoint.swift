import Foundation
import NervaNN

/// Where an interrupted GAN run left off, read from its checkpoint (`GANTrainer.save(to:extra:)`
/// with the `epoch`, `limit` and `classes` that `GANTrainingRun` adds): the restored trainer, the
/// next epoch and the images the run trained on, so that a resumed run continues on the same data.
///
/// ```swift
/// let point = try GANResumePoint(checkpoint: url)
/// let run = try GANTrainingRun(trainer: point.trainer, firstEpoch: point.firstEpoch, epochs: 1,
///                              limit: point.limit, classes: point.classes)
/// ```
public struct GANResumePoint {
    /// The trainer with its networks, optimisers, step and random state restored.
    public let trainer: GANTrainer
    /// The epoch after the last one saved.
    public let firstEpoch: Int
    /// The run's image limit, if it had one.
    public let limit: Int?
    /// The run's classes, if it trained on some only.
    public let classes: [Int]?
    /// Temporary files of an interrupted save that were removed beside the checkpoint.
    public let removedLeftovers: [URL]

    /// Removes what an interrupted save left beside `url`, then restores the run.
    ///
    /// - Throws: `GANCheckpointError` naming a malformed `epoch`, `limit` or `classes`, or what
    ///   `GANTrainer(checkpoint:)` throws.
    public init(checkpoint url: URL) throws {
        removedLeftovers = AtomicFile.removeLeftovers(in: url.deletingLastPathComponent())
        let bytes = [UInt8](try Data(contentsOf: url))
        trainer = try GANTrainer(checkpoint: bytes, source: url.path)
        let metadata = try Safetensors.decode(bytes, source: url.path).metadata
        func bad(_ key: String) -> GANCheckpointError { .badSetting(file: url.path, key: key, value: metadata[key]) }
        let epoch =
            try metadata["epoch"].map { text in
                guard let epoch = Int(text), (0..<GANTrainingRun.maximumEpochs).contains(epoch) else {
                    throw bad("epoch")
                }
                return epoch
            } ?? 0
        firstEpoch = epoch + 1
        limit = try metadata["limit"].map { text in
            guard let limit = Int(text), limit >= GANTrainingRun.minimumLimit else { throw bad("limit") }
            return limit
        }
        classes = try metadata["classes"].map { text in
            let classes = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard !classes.isEmpty, classes.allSatisfy({ $0.map { (0..<10).contains($0) } ?? false }) else {
                throw bad("classes")
            }
            return classes.compactMap { $0 }
        }
    }
}
