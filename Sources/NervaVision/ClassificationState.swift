import Foundation
import NervaNN
import NervaTensor

/// Everything a classification run needs to continue after an interruption, written atomically to
/// `training-state.safetensors` in the run folder after every epoch: the model's and the
/// optimiser's tensors (`model.*`, `optimizer.*`), the configuration that must not change, the
/// measurements of the epochs done (`history`, `step_losses`), and the random generator's state.
/// Resuming from it gives exactly the run that was not interrupted.
public struct ClassificationState {
    /// The state's file name in a run folder.
    public static let fileName = "training-state.safetensors"

    /// The configuration of the interrupted run; a resumed run uses it, not the command line's.
    public let configuration: ClassificationConfiguration
    /// The epochs done.
    public let history: [ImageClassification.EpochResult]
    /// The loss of every optimisation step done, in order (empty in states of older versions).
    public let stepLosses: [Double]
    /// The random generator's state after the last epoch.
    public let randomState: [UInt64]
    /// The model's and the optimiser's tensors, and the measurements.
    public let tensors: [String: Tensor]

    /// Captures `training` after the epochs of `history`; `stepLosses` are those of all of them.
    public init(
        configuration: ClassificationConfiguration, history: [ImageClassification.EpochResult],
        stepLosses: [Double], training: ImageClassification
    ) {
        self.configuration = configuration
        self.history = history
        self.stepLosses = stepLosses
        randomState = training.generator.snapshot
        var tensors: [String: Tensor] = [:]
        for (name, tensor) in training.model.stateDictionary() { tensors["model." + name] = tensor }
        for (name, tensor) in training.optimizer.stateDictionary() { tensors["optimizer." + name] = tensor }
        let rows: [[Float]] = history.map { epoch in
            [Float(epoch.epoch), Float(epoch.trainLoss), Float(epoch.validationAccuracy), Float(epoch.samplesPerSecond)]
        }
        tensors["history"] = Tensor(rows.flatMap { $0 }, shape: [history.count, 4])
        tensors["step_losses"] = Tensor(stepLosses.map(Float.init), shape: [stepLosses.count])
        self.tensors = tensors
    }

    /// Writes the state atomically (a crash leaves the previous state intact).
    public func write(to url: URL) throws {
        var metadata = [
            "architecture": configuration.architecture.rawValue,
            "augmentation": configuration.augmentation.rawValue,
            "epochs": "\(configuration.epochs)", "batch_size": "\(configuration.batchSize)",
            "learning_rate": "\(configuration.learningRate)", "seed": "\(configuration.seed)",
            "random_state": randomState.map { String($0) }.joined(separator: ",")
        ]
        if let limit = configuration.limit { metadata["limit"] = "\(limit)" }
        try Safetensors.write(tensors, metadata: metadata, to: url)
    }

    /// Reads a state written by `write(to:)`.
    ///
    /// - Throws: `ClassificationStateError` naming the file and what is wrong with it,
    ///   `SafetensorsError` for a file that is not safetensors.
    public init(contentsOf url: URL) throws {
        try self.init(file: Safetensors.read(from: url), source: url.path)
    }

    /// Reads a state from the bytes of a file written by `write(to:)`; `source` names it in errors.
    public init(bytes: [UInt8], source: String = "<memory>") throws {
        try self.init(file: Safetensors.decode(bytes, source: source), source: source)
    }

    private init(file: (tensors: [String: Tensor], metadata: [String: String]), source: String) throws {
        let (tensors, metadata) = file
        func parse<T>(_ key: String, _ convert: (String) -> T?) throws -> T {
            guard let text = metadata[key] else { throw ClassificationStateError.missing(file: source, key: key) }
            guard let parsed = convert(text) else {
                throw ClassificationStateError.invalid(file: source, key: key, value: text)
            }
            return parsed
        }
        var configuration = ClassificationConfiguration(
            architecture: try parse("architecture", ImageClassification.Architecture.init(rawValue:)))
        configuration.augmentation = try parse("augmentation", ImageClassification.Augmentation.init(rawValue:))
        configuration.epochs = try parse("epochs") { Int($0) }
        configuration.batchSize = try parse("batch_size") { Int($0) }
        configuration.learningRate = try parse("learning_rate") { Float($0) }
        configuration.limit = try metadata["limit"].map { _ in try parse("limit") { Int($0) } }
        configuration.seed = try parse("seed") { UInt64($0) }
        do {
            try configuration.validate() // sizes and counts become allocations and loop bounds
        } catch let error as ConfigurationError {
            throw ClassificationStateError.outOfRange(file: source, error)
        }
        self.configuration = configuration
        randomState = try parse("random_state") { text in
            let words = text.split(separator: ",").compactMap { UInt64($0) }
            return words.count == 4 && words.contains { $0 != 0 } ? words : nil
        }
        guard let history = tensors["history"], history.rank == 2, history.shape[1] == 4 else {
            throw ClassificationStateError.missing(file: source, key: "history")
        }
        self.history = try (0..<history.shape[0]).map { row in
            let v = history[row].scalars
            // The epoch number becomes an index: a whole number within the run's epochs.
            guard v[0] == v[0].rounded(), v[0] >= 0, v[0] <= Float(ClassificationConfiguration.maximumEpochs) else {
                throw ClassificationStateError.invalid(
                    file: source, key: "history",
                    value: "epoch \(v[0]) in row \(row)")
            }
            return ImageClassification.EpochResult(
                epoch: Int(v[0]), trainLoss: Double(v[1]),
                validationAccuracy: Double(v[2]), samplesPerSecond: Double(v[3]))
        }
        if let steps = tensors["step_losses"] {
            guard steps.rank == 1 else {
                throw ClassificationStateError.invalid(file: source, key: "step_losses", value: "shape \(steps.shape)")
            }
            stepLosses = steps.scalars.map(Double.init)
        } else {
            stepLosses = []
        }
        self.tensors = tensors
    }

    /// Puts the saved model, optimiser and random state into `training` (made with the same
    /// configuration).
    ///
    /// - Throws: `StateDictionaryError` when the tensors do not fit the model or the optimiser.
    public func restore(into training: ImageClassification) throws {
        func group(_ prefix: String) -> [String: Tensor] {
            Dictionary(
                uniqueKeysWithValues: tensors.compactMap { name, tensor in
                    name.hasPrefix(prefix) ? (String(name.dropFirst(prefix.count)), tensor) : nil
                })
        }
        try training.model.load(stateDictionary: group("model."))
        try training.optimizer.load(stateDictionary: group("optimizer."))
        training.generator.restore(randomState)
    }
}

/// A training-state file that lacks something or holds a value that cannot be read.
public enum ClassificationStateError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A setting or tensor the state must have is absent.
    case missing(file: String, key: String)
    /// A setting or tensor holds a value that cannot be used.
    case invalid(file: String, key: String, value: String)
    /// A setting is readable but outside its allowed range.
    case outOfRange(file: String, ConfigurationError)

    public var description: String {
        switch self {
        case let .missing(file, key): "\(file): not a training state of `nerva classify` (no \"\(key)\")."
        case let .invalid(file, key, value): "\(file): \"\(key)\" has the unreadable value \"\(value)\"."
        case let .outOfRange(file, error): "\(file): \(error)."
        }
    }
}
