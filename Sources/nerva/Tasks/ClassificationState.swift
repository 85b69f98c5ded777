import Foundation
import NervaNN
import NervaTensor

/// Everything a `nerva classify` run needs to continue after an interruption, written atomically to
/// `training-state.safetensors` in the run folder after every epoch: the model's and the
/// optimiser's tensors (`model.*`, `optimizer.*`), the settings that must not change, the
/// measurements of the epochs done, and the random generator's state. Resuming from it gives
/// exactly the run that was not interrupted.
struct ClassificationState {
    static let fileName = "training-state.safetensors"

    /// The settings of the interrupted run; a resumed run uses these, not the command line's.
    struct Settings: Equatable {
        var architecture: ImageClassification.Architecture
        var augmentation: ImageClassification.Augmentation
        var epochs: Int
        var batchSize: Int
        var learningRate: Float
        var limit: Int?
        var seed: UInt64
    }

    let settings: Settings
    let history: [ImageClassification.EpochResult]
    let randomState: [UInt64]
    let tensors: [String: Tensor]

    /// Captures `training` after the epochs of `history`.
    init(settings: Settings, history: [ImageClassification.EpochResult], training: ImageClassification) {
        self.settings = settings
        self.history = history
        randomState = training.generator.snapshot
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in training.model.stateDictionary() { tensors["model." + name] = tensor }
        for (name, tensor) in training.optimizer.stateDictionary() { tensors["optimizer." + name] = tensor }
        let rows: [[Float]] = history.map { epoch in
            [Float(epoch.epoch), Float(epoch.trainLoss), Float(epoch.validationAccuracy), Float(epoch.samplesPerSecond)]
        }
        tensors["history"] = Tensor(rows.flatMap { $0 }, shape: [history.count, 4])
        self.tensors = tensors
    }

    /// Writes the state atomically (a crash leaves the previous state intact).
    func write(to url: URL) throws {
        var metadata = ["architecture": settings.architecture.rawValue, "augmentation": settings.augmentation.rawValue,
                        "epochs": "\(settings.epochs)", "batch_size": "\(settings.batchSize)",
                        "learning_rate": "\(settings.learningRate)", "seed": "\(settings.seed)",
                        "random_state": randomState.map { String($0) }.joined(separator: ",")]
        if let limit = settings.limit { metadata["limit"] = "\(limit)" }
        try Safetensors.write(tensors, metadata: metadata, to: url)
    }

    /// Reads a state written by `write(to:)`; errors name the file and what is wrong with it.
    init(contentsOf url: URL) throws {
        let (tensors, metadata) = try Safetensors.read(from: url)
        func value(_ key: String) throws -> String {
            guard let value = metadata[key] else { throw ClassificationStateError.missing(file: url.path, key: key) }
            return value
        }
        func parse<T>(_ key: String, _ convert: (String) -> T?) throws -> T {
            let text = try value(key)
            guard let parsed = convert(text) else { throw ClassificationStateError.invalid(file: url.path, key: key, value: text) }
            return parsed
        }
        settings = Settings(architecture: try parse("architecture", ImageClassification.Architecture.init(rawValue:)),
                            augmentation: try parse("augmentation", ImageClassification.Augmentation.init(rawValue:)),
                            epochs: try parse("epochs") { Int($0) }, batchSize: try parse("batch_size") { Int($0) },
                            learningRate: try parse("learning_rate") { Float($0) },
                            limit: try metadata["limit"].map { _ in try parse("limit") { Int($0) } },
                            seed: try parse("seed") { UInt64($0) })
        randomState = try parse("random_state") { text in
            let words = text.split(separator: ",").compactMap { UInt64($0) }
            return words.count == 4 && words.contains { $0 != 0 } ? words : nil
        }
        guard let history = tensors["history"], history.rank == 2, history.shape[1] == 4 else {
            throw ClassificationStateError.missing(file: url.path, key: "history")
        }
        self.history = try (0..<history.shape[0]).map { row in
            let v = history[row].scalars
            // The epoch number becomes an index: a whole number within the run's epochs.
            guard v[0] == v[0].rounded(), v[0] >= 0, v[0] <= 1e9 else {
                throw ClassificationStateError.invalid(file: url.path, key: "history", value: "epoch \(v[0]) in row \(row)")
            }
            return ImageClassification.EpochResult(epoch: Int(v[0]), trainLoss: Double(v[1]),
                                                   validationAccuracy: Double(v[2]), samplesPerSecond: Double(v[3]))
        }
        self.tensors = tensors
    }

    /// Puts the saved model, optimiser and random state into `training` (made with the same settings).
    func restore(into training: ImageClassification) throws {
        func group(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: tensors.compactMap { name, tensor in
                name.hasPrefix(prefix) ? (String(name.dropFirst(prefix.count)), tensor) : nil
            })
        }
        try training.model.load(stateDictionary: group("model."))
        try training.optimizer.load(stateDictionary: group("optimizer."))
        training.generator.restore(randomState)
    }
}

/// A training-state file that lacks something or holds a value that cannot be read.
enum ClassificationStateError: Error, CustomStringConvertible {
    case missing(file: String, key: String)
    case invalid(file: String, key: String, value: String)

    var description: String {
        switch self {
        case let .missing(file, key): "\(file): not a training state of `nerva classify` (no \"\(key)\")."
        case let .invalid(file, key, value): "\(file): \"\(key)\" has the unreadable value \"\(value)\"."
        }
    }
}
