import Foundation
import NervaNN
import NervaOptim
import NervaTensor

/// A GAN checkpoint that cannot be used.
public enum GANCheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file lacks a setting or has a malformed one.
    case badSetting(file: String, key: String, value: String?)

    public var description: String {
        switch self {
        case let .badSetting(file, key, value):
            "\(file) is not a Nerva GAN checkpoint: setting \"\(key)\" is \(value.map { "\"\($0)\"" } ?? "missing")"
        }
    }
}

/// Resumable checkpoints: one safetensors file with `G`, `D`, the moving average of `G`, both
/// optimisers' states (`generator.*`, `discriminator.*`, `average_generator.*`,
/// `generator_optimizer.*`, `discriminator_optimizer.*`), and in its metadata the configuration,
/// the step count and the random generator's state, so that a resumed run continues exactly as
/// the uninterrupted one would have. Written atomically.
extension GANTrainer {
    /// Writes everything needed to resume to `url`, atomically; `extra` is added to the metadata.
    public func save(to url: URL, extra: [String: String] = [:]) throws {
        var tensors: [String: Tensor] = [:]
        func add(_ prefix: String, _ dictionary: [String: Tensor]) {
            for (key, tensor) in dictionary { tensors["\(prefix).\(key)"] = tensor }
        }
        add("generator", generator.stateDictionary())
        add("discriminator", discriminator.stateDictionary())
        if let averageGenerator { add("average_generator", averageGenerator.stateDictionary()) }
        add("generator_optimizer", generatorOptimizer.stateDictionary())
        add("discriminator_optimizer", discriminatorOptimizer.stateDictionary())
        var metadata = configuration.metadata
        metadata["step"] = "\(step)"
        metadata["random_state"] = random.snapshot.map(String.init).joined(separator: ",")
        metadata["instance_noise_now"] = "\(instanceNoise)"
        metadata.merge(extra) { _, new in new }
        try Safetensors.write(tensors, metadata: metadata, to: url)
    }

    /// A trainer restored from a checkpoint written by `save(to:)`, ready to continue.
    ///
    /// - Throws: `GANCheckpointError`, `SafetensorsError` or `StateDictionaryError` naming the problem.
    public convenience init(checkpoint url: URL) throws {
        try self.init(checkpoint: try Safetensors.read(from: url), source: url.path)
    }

    /// A trainer restored from the bytes of a checkpoint written by `save(to:)`.
    ///
    /// - Parameters:
    ///   - bytes: the checkpoint file's contents.
    ///   - source: the name used in error messages.
    /// - Throws: `GANCheckpointError`, `SafetensorsError` or `StateDictionaryError` naming the problem.
    public convenience init(checkpoint bytes: [UInt8], source: String = "<memory>") throws {
        try self.init(checkpoint: try Safetensors.decode(bytes, source: source), source: source)
    }

    private convenience init(checkpoint file: (tensors: [String: Tensor], metadata: [String: String]), source: String)
        throws
    {
        let configuration = try GANTrainingConfiguration(
            metadata: file.metadata, file: source, parameterBudget: parameterBudget(of: file.tensors))
        self.init(configuration)
        func part(_ prefix: String) -> [String: Tensor] {
            Dictionary(
                uniqueKeysWithValues: file.tensors.compactMap { key, tensor in
                    key.hasPrefix(prefix + ".") ? (String(key.dropFirst(prefix.count + 1)), tensor) : nil
                })
        }
        try generator.load(stateDictionary: part("generator"))
        try discriminator.load(stateDictionary: part("discriminator"))
        try averageGenerator?.load(stateDictionary: part("average_generator"))
        try generatorOptimizer.load(stateDictionary: part("generator_optimizer"))
        try discriminatorOptimizer.load(stateDictionary: part("discriminator_optimizer"))
        let metadata = file.metadata
        guard let step = metadata["step"].flatMap(Int.init) else {
            throw GANCheckpointError.badSetting(file: source, key: "step", value: metadata["step"])
        }
        let state = metadata["random_state"]?.split(separator: ",").compactMap { UInt64($0) } ?? []
        guard state.count == 4 else {
            throw GANCheckpointError.badSetting(file: source, key: "random_state", value: metadata["random_state"])
        }
        self.step = step
        random.restore(state)
        if let noise = metadata["instance_noise_now"].flatMap(Float.init) { instanceNoise = noise }
    }

    /// Loads only the generator to sample from (the moving average when the checkpoint has one).
    ///
    /// - Returns: the generator in evaluation mode and the run's configuration.
    public static func loadGenerator(from url: URL) throws -> (
        generator: any GANGenerator, configuration: GANTrainingConfiguration
    ) {
        try loadGenerator(from: Safetensors.read(from: url), source: url.path)
    }

    /// Loads only the generator from the bytes of a checkpoint; `source` names it in errors.
    public static func loadGenerator(checkpoint bytes: [UInt8], source: String = "<memory>")
        throws -> (generator: any GANGenerator, configuration: GANTrainingConfiguration)
    {
        try loadGenerator(from: Safetensors.decode(bytes, source: source), source: source)
    }

    private static func loadGenerator(
        from file: (tensors: [String: Tensor], metadata: [String: String]), source: String
    )
        throws -> (generator: any GANGenerator, configuration: GANTrainingConfiguration)
    {
        let configuration = try GANTrainingConfiguration(
            metadata: file.metadata, file: source, parameterBudget: parameterBudget(of: file.tensors))
        let generator = configuration.model.makeModels(generator: RandomGenerator(seed: 0)).generator
        let prefix = configuration.emaDecay != nil ? "average_generator." : "generator."
        let part = Dictionary(
            uniqueKeysWithValues: file.tensors.compactMap { key, tensor in
                key.hasPrefix(prefix) ? (String(key.dropFirst(prefix.count)), tensor) : nil
            })
        try generator.load(stateDictionary: part)
        generator.eval()
        return (generator, configuration)
    }
}

extension GANTrainingConfiguration {
    /// The settings as text, for a checkpoint's metadata.
    var metadata: [String: String] {
        var result = [
            "format": "nerva-gan-1",
            "architecture": model.architecture.rawValue, "latent_size": "\(model.latentSize)",
            "generator_widths": model.generatorWidths.map(String.init).joined(separator: ","),
            "discriminator_widths": model.discriminatorWidths.map(String.init).joined(separator: ","),
            "spectral_normalization": "\(model.spectralNormalization)",
            "objective": objective.rawValue, "latent_distribution": latentDistribution.rawValue,
            "batch_size": "\(batchSize)", "generator_learning_rate": "\(generatorLearningRate)",
            "discriminator_learning_rate": "\(discriminatorLearningRate)", "optimizer": optimizer.text,
            "discriminator_steps": "\(discriminatorSteps)", "label_smoothing": "\(labelSmoothing)",
            "instance_noise": "\(instanceNoise)", "gradient_penalty_weight": "\(gradientPenaltyWeight)",
            "r1_weight": "\(r1Weight)", "seed": "\(seed)"
        ]
        if let classCount = model.classCount { result["class_count"] = "\(classCount)" }
        if let emaDecay { result["ema_decay"] = "\(emaDecay)" }
        return result
    }

    /// Reads the settings written by `metadata`; the networks' sizes are checked against
    /// `parameterBudget` (the values the file holds) before anything is built from them.
    init(metadata: [String: String], file: String, parameterBudget: Int) throws {
        func value<T>(_ key: String, _ parse: (String) -> T?) throws -> T {
            guard let text = metadata[key], let parsed = parse(text) else {
                throw GANCheckpointError.badSetting(file: file, key: key, value: metadata[key])
            }
            return parsed
        }
        func widths(_ text: String) -> [Int]? {
            let values = text.split(separator: ",").compactMap { Int($0) }
            return values.isEmpty ? nil : values
        }
        let model = GANModelConfiguration(
            architecture: try value("architecture", GANArchitecture.init(rawValue:)),
            latentSize: try value("latent_size", Int.init),
            generatorWidths: try value("generator_widths", widths),
            discriminatorWidths: try value("discriminator_widths", widths),
            classCount: try metadata["class_count"].map { _ in try value("class_count", Int.init) },
            spectralNormalization: try value("spectral_normalization", Bool.init))
        self.init(model: model)
        objective = try value("objective", GANObjective.init(rawValue:))
        latentDistribution = try value("latent_distribution", LatentDistribution.init(rawValue:))
        batchSize = try value("batch_size", Int.init)
        generatorLearningRate = try value("generator_learning_rate", Float.init)
        discriminatorLearningRate = try value("discriminator_learning_rate", Float.init)
        optimizer = try value("optimizer", GANOptimizerKind.init(text:))
        discriminatorSteps = try value("discriminator_steps", Int.init)
        labelSmoothing = try value("label_smoothing", Float.init)
        instanceNoise = try value("instance_noise", Float.init)
        gradientPenaltyWeight = try value("gradient_penalty_weight", Float.init)
        r1Weight = try value("r1_weight", Float.init)
        emaDecay = try metadata["ema_decay"].map { _ in try value("ema_decay", Float.init) }
        seed = try value("seed", UInt64.init)
        if let problem { throw GANCheckpointError.badSetting(file: file, key: "configuration", value: problem) }
        // Every layer of either network holds at least the product of neighbouring widths (and
        // of the latent size with the first): none may exceed the values stored in the file.
        for (key, sizes) in [
            ("generator_widths", [model.latentSize] + model.generatorWidths),
            ("discriminator_widths", model.discriminatorWidths), ("class_count", model.classCount.map { [$0] } ?? [])
        ]
        where !sizes.isEmpty {
            do { try SizeLimits.checkLayers(sizes, field: key, parameterBudget: parameterBudget) } catch {
                throw GANCheckpointError.badSetting(file: file, key: key, value: "\(metadata[key] ?? "") (\(error))")
            }
        }
        // The exact weight count, which grows faster than those products (DCGAN: 32·w² for width w).
        guard let weights = model.weightCount, weights <= parameterBudget else {
            let widths = "\(metadata["generator_widths"] ?? "") / \(metadata["discriminator_widths"] ?? "")"
            throw GANCheckpointError.badSetting(
                file: file, key: "generator_widths",
                value:
                    "\(widths) (networks of \(model.weightCount.map(String.init) ?? "too many") weights; the file holds \(parameterBudget) values)"
            )
        }
    }
}

/// The number of values a file's tensors hold: the most any size read from its metadata may imply.
func parameterBudget(of tensors: [String: Tensor]) -> Int { tensors.values.reduce(0) { $0 + $1.scalarCount } }
