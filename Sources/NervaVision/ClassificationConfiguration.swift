import NervaNN

/// Everything that defines a Fashion-MNIST classification run. `init(architecture:)` gives the
/// defaults (`nerva classify` uses them for every flag that is not given); a resumed run takes its
/// configuration from the training state, not from the command line.
///
/// ```swift
/// var configuration = ClassificationConfiguration(architecture: .cnn)
/// configuration.epochs = 1
/// try configuration.validate()
/// ```
public struct ClassificationConfiguration: Equatable, Sendable {
    /// The network.
    public var architecture: ImageClassification.Architecture
    /// How training images are varied each time they are seen.
    public var augmentation: ImageClassification.Augmentation = .flip
    /// Passes over the training set: 12 for the MLP, 20 for the CNNs.
    public var epochs: Int
    /// Images per optimisation step.
    public var batchSize = 64
    /// Adam's initial learning rate, annealed to 0 by a cosine over the run.
    public var learningRate: Float = 1e-3
    /// Use only the first `limit` training images (`nil`: all of them).
    public var limit: Int?
    /// The seed of every random choice: initial weights, validation split, batch order, flips.
    public var seed: UInt64 = 0

    /// The most epochs one run takes: far beyond any useful run, and small enough that step
    /// counts (epochs × steps per epoch) never overflow.
    public static let maximumEpochs = 1_000_000
    /// The fewest training images a run accepts (`limit`): enough for a validation split.
    public static let minimumLimit = 10
    /// The architecture of a run that names none.
    public static let defaultArchitecture = ImageClassification.Architecture.mlp

    /// The defaults for `architecture`.
    public init(architecture: ImageClassification.Architecture = ClassificationConfiguration.defaultArchitecture) {
        self.architecture = architecture
        epochs = Self.defaultEpochs(for: architecture)
    }

    /// The default number of epochs: 12 for the MLP, 20 for the CNNs.
    public static func defaultEpochs(for architecture: ImageClassification.Architecture) -> Int {
        architecture == .mlp ? 12 : 20
    }

    /// Checks every setting (0 epochs is valid: it evaluates a given model).
    ///
    /// - Throws: `ConfigurationError` naming the setting, its value and the allowed range.
    public func validate() throws {
        try ConfigurationError.require(
            (0...Self.maximumEpochs).contains(epochs), "epochs", epochs,
            allowed: "in 0…\(Self.maximumEpochs)")
        try ConfigurationError.check("batch size", batchSize, atLeast: 1)
        try ConfigurationError.require(batchSize <= 1 << 20, "batch size", batchSize, allowed: "at most 1048576")
        // An infinite rate is let through on purpose: it diverges, and divergence is reported.
        try ConfigurationError.require(learningRate > 0, "learning rate", learningRate, allowed: "positive")
        if let limit { try ConfigurationError.check("limit", limit, atLeast: Self.minimumLimit) }
    }

    /// The settings as a report shows them, one `(name, value)` row each.
    public var settingsTable: [(String, String)] {
        [
            ("model", architecture.rawValue), ("epochs", "\(epochs)"), ("batch size", "\(batchSize)"),
            ("learning rate", "\(learningRate) (cosine to 0)"), ("augmentation", augmentation.rawValue),
            ("limit", limit.map(String.init) ?? "all"), ("seed", "\(seed)")
        ]
    }
}
