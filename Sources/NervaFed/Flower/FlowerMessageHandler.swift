import Foundation
import NervaTensor

/// The local-training settings a Flower ServerApp may leave out of its `config` record.
public struct FlowerTrainingDefaults: Sendable, Equatable {
    public var localEpochs: Int
    public var batchSize: Int
    public var learningRate: Float
    public var momentum: Float
    /// Mixed with the round number into each round's training seed.
    public var seed: UInt64

    public init(
        localEpochs: Int = 1, batchSize: Int = 32, learningRate: Float = 0.01, momentum: Float = 0, seed: UInt64 = 0
    ) {
        self.localEpochs = localEpochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.seed = seed
    }

    /// Checks every field's range.
    ///
    /// - Throws: `FederatedError.invalidConfiguration` naming the field, its value and the range:
    ///   learning rate finite and > 0, momentum finite in [0, 1), local epochs ≥ 0, batch size ≥ 1.
    public func validate() throws(FederatedError) {
        guard learningRate.isFinite, learningRate > 0 else {
            throw .invalidConfiguration("learning rate must be a finite number > 0, got \(learningRate)")
        }
        guard momentum.isFinite, momentum >= 0, momentum < 1 else {
            throw .invalidConfiguration("momentum must be a finite number in [0, 1), got \(momentum)")
        }
        guard localEpochs >= 0 else { throw .invalidConfiguration("local epochs must be ≥ 0, got \(localEpochs)") }
        guard batchSize >= 1 else { throw .invalidConfiguration("batch size must be ≥ 1, got \(batchSize)") }
    }
}

/// Turns the content of a Flower message into a request to a `FederatedParticipant` (the same
/// participant Nerva's own federation uses) and its answer into the reply's content.
///
/// - `train`: the one `ArrayRecord` is the global model, mapped to the model's state dictionary
///   by name (PyTorch names such as `1.weight`) or, failing that, by order; the `ConfigRecord`
///   gives `lr`, `local-epochs`, `batch-size`, `momentum`, `proximal-mu` (FedProx) and
///   `server-round`. With `clipping_norm` (Flower's client-side DP strategies), the update is
///   clipped to that L2 norm and `norm_bit` reported, as `fixedclipping_mod` and
///   `adaptiveclipping_mod` do. The reply holds the trained arrays under the received key, names,
///   order and element types, and a `MetricRecord` with `num-examples` and `train_loss`.
/// - `evaluate`: replies a `MetricRecord` with `num-examples`, `eval_loss` and `eval_acc`.
/// - Both also in the legacy `fitins`/`fitres` and `evaluateins`/`evaluateres` layout of
///   `DefaultWorkflow` (`FlowerLegacyLayout`), answered in the layout they came in.
/// - `FlowerMetricKeys` chooses which metrics the replies carry, so that a mixed federation's
///   replies have the same keys.
/// - `query`: replies a `ConfigRecord` describing the node.
public struct FlowerMessageHandler: Sendable {
    public let participant: any FederatedParticipant
    public let model: ModelDescription
    public let defaults: FlowerTrainingDefaults
    /// The model's state dictionary: names and shapes, in order.
    public let layout: ParameterLayout
    /// Which metrics the replies carry.
    public let metricKeys: FlowerMetricKeys

    public init(
        participant: any FederatedParticipant, model: ModelDescription,
        defaults: FlowerTrainingDefaults = .init(),
        metricKeys: FlowerMetricKeys = .init()
    ) throws {
        try defaults.validate()
        self.participant = participant
        self.model = model
        self.defaults = defaults
        self.metricKeys = metricKeys
        layout = ParameterSet(module: try model.makeModel(generator: RandomGenerator(seed: 0))).layout
    }

    /// The reply's content for a message of `messageType` (`train`, `evaluate`, `query`, or
    /// those followed by `.<action>`).
    ///
    /// - Throws: `FlowerProtocolError.badContent` naming what is wrong with the message, or the
    ///   participant's error.
    public func reply(to messageType: String, content: FlowerContent) throws -> FlowerContent {
        switch messageType.split(separator: ".", maxSplits: 1).first.map(String.init) ?? "" {
        case "train": try train(content)
        case "evaluate": try evaluate(content)
        case "query": query()
        default: throw FlowerProtocolError.badContent("message type \"\(messageType)\" is not train, evaluate or query")
        }
    }

    private func train(_ content: FlowerContent) throws -> FlowerContent {
        if let legacy = try FlowerLegacyLayout.instruction(in: content, prefix: "fitins") {
            let fit = try fitResult(names: legacy.names, arrays: legacy.arrays, config: legacy.config)
            return FlowerLegacyLayout.fitReply(
                names: legacy.names, arrays: fit.arrays, exampleCount: fit.exampleCount,
                metrics: fit.metrics)
        }
        let (key, names, arrays) = try arrayRecord(of: content)
        let fit = try fitResult(names: names, arrays: arrays, config: try configRecord(of: content))
        var metrics = fit.metrics
        metrics["num-examples"] = .integer(Int64(fit.exampleCount))
        return FlowerContent(records: [key: .arrays(names: names, arrays: fit.arrays), "metrics": .metrics(metrics)])
    }

    /// Trains from the received arrays: the trained arrays (received names' order and types), the
    /// example count and the selected metrics (`train_loss`, `norm_bit`, …).
    private func fitResult(names: [String], arrays: [NumpyArray], config: [String: FlowerValue])
        throws -> (arrays: [NumpyArray], exampleCount: Int, metrics: [String: FlowerValue])
    {
        let mapping = try FlowerArrayMapping(names: names, arrays: arrays, layout: layout)
        let global = mapping.parameters(from: arrays)
        let configuration = try fitConfiguration(config)
        let result = try participant.fit(FitInstruction(model: model, parameters: global, configuration: configuration))
        guard result.kind == .parameters, result.update.layout == layout else {
            throw FlowerProtocolError.badContent(
                "the participant returned a \(result.kind.rawValue) update in another layout")
        }
        var trained = result.update
        var metrics: [String: FlowerValue] = result.metrics.mapValues { .double($0) }
        if let clippingNorm = config["clipping_norm"] {
            guard let norm = clippingNorm.number, norm > 0 else {
                throw FlowerProtocolError.badContent("config clipping_norm must be a positive number")
            }
            let (clipped, wasClipped) = Self.clip(trained, around: global, to: norm)
            trained = clipped
            metrics["norm_bit"] = .integer(wasClipped ? 1 : 0)
        }
        return (
            mapping.arrays(from: trained, like: arrays), result.exampleCount,
            try metricKeys.selecting(metrics, keys: metricKeys.train, kind: "train")
        )
    }

    private func evaluate(_ content: FlowerContent) throws -> FlowerContent {
        if let legacy = try FlowerLegacyLayout.instruction(in: content, prefix: "evaluateins") {
            let evaluation = try evaluationResult(names: legacy.names, arrays: legacy.arrays, config: legacy.config)
            var metrics = evaluation.metrics
            metrics["eval_loss"] = nil
            return FlowerLegacyLayout.evaluateReply(
                loss: evaluation.loss, exampleCount: evaluation.exampleCount,
                metrics: metrics)
        }
        let (_, names, arrays) = try arrayRecord(of: content)
        let config = (try? configRecord(of: content)) ?? [:]
        let evaluation = try evaluationResult(names: names, arrays: arrays, config: config)
        var metrics = evaluation.metrics
        metrics["num-examples"] = .integer(Int64(evaluation.exampleCount))
        return FlowerContent(records: ["metrics": .metrics(metrics)])
    }

    /// Evaluates the received arrays: loss, example count and the selected metrics (`eval_loss`,
    /// `eval_acc`, …).
    private func evaluationResult(names: [String], arrays: [NumpyArray], config: [String: FlowerValue])
        throws -> (loss: Double, exampleCount: Int, metrics: [String: FlowerValue])
    {
        let global = try FlowerArrayMapping(names: names, arrays: arrays, layout: layout).parameters(from: arrays)
        let round = try Self.count(["server-round", "server_round"], in: config, default: 0, minimum: 0)
        let result = try participant.evaluate(
            model: model, parameters: global, configuration: EvaluateConfiguration(round: round))
        var metrics: [String: FlowerValue] = result.metrics.mapValues { .double($0) }
        if let accuracy = result.metrics["accuracy"] {
            metrics["accuracy"] = nil
            metrics["eval_acc"] = .double(accuracy)
        }
        metrics["eval_loss"] = .double(result.loss)
        let selected = try metricKeys.selecting(metrics, keys: metricKeys.evaluate, kind: "evaluate")
        return (result.loss, result.exampleCount, selected)
    }

    private func query() -> FlowerContent {
        FlowerContent(records: [
            "config": .config([
                "framework": .string("nerva"), "participant": .string(participant.id),
                "tensor-names": .strings(layout.names), "parameter-count": .integer(Int64(layout.scalarCount))
            ])
        ])
    }

    /// The one `ArrayRecord` of a message.
    private func arrayRecord(of content: FlowerContent) throws -> (String, [String], [NumpyArray]) {
        let records = content.records.compactMap { key, record -> (String, [String], [NumpyArray])? in
            if case let .arrays(names, arrays) = record { return (key, names, arrays) }
            return nil
        }
        guard records.count == 1 else {
            throw FlowerProtocolError.badContent("expected exactly one ArrayRecord (the model), found \(records.count)")
        }
        return records[0]
    }

    /// The one `ConfigRecord` of a message (an empty one when there is none).
    private func configRecord(of content: FlowerContent) throws -> [String: FlowerValue] {
        let records = content.records.values.compactMap { record -> [String: FlowerValue]? in
            if case let .config(values) = record { return values }
            return nil
        }
        guard records.count <= 1 else {
            throw FlowerProtocolError.badContent("expected at most one ConfigRecord, found \(records.count)")
        }
        return records.first ?? [:]
    }

    /// The typed local-training settings of a train message's config.
    func fitConfiguration(_ config: [String: FlowerValue]) throws -> FitConfiguration {
        func number(_ keys: [String]) throws -> Double? { try Self.number(keys, in: config) }
        func count(_ keys: [String], default value: Int, minimum: Int) throws -> Int {
            try Self.count(keys, in: config, default: value, minimum: minimum)
        }
        let round = try count(["server-round", "server_round"], default: 0, minimum: 0)
        let mu = try number(["proximal-mu", "proximal_mu"]) ?? 0
        guard mu >= 0 else {
            throw FlowerProtocolError.badContent("config proximal-mu must not be negative, got \(mu)")
        }
        let learningRate =
            try number(["lr", "learning-rate", "learning_rate"]).map { Float($0) } ?? defaults.learningRate
        guard learningRate > 0, learningRate.isFinite else {
            throw FlowerProtocolError.badContent("config lr must be a positive Float32, got \(learningRate)")
        }
        let momentum = try number(["momentum"]).map { Float($0) } ?? defaults.momentum
        guard momentum.isFinite else {
            throw FlowerProtocolError.badContent("config momentum must be a Float32, got \(momentum)")
        }
        return FitConfiguration(
            round: round,
            localEpochs: try count(
                ["local-epochs", "local_epochs", "epochs"], default: defaults.localEpochs, minimum: 0),
            batchSize: try count(["batch-size", "batch_size"], default: defaults.batchSize, minimum: 1),
            learningRate: learningRate,
            momentum: momentum,
            proximalMu: Float(mu),
            seed: defaults.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(round))
    }

    /// The first of `keys` present in `config`, which must be a finite number.
    private static func number(_ keys: [String], in config: [String: FlowerValue]) throws -> Double? {
        for key in keys {
            guard let value = config[key] else { continue }
            guard let number = value.number, number.isFinite else {
                throw FlowerProtocolError.badContent("config \(key) must be a number, got \(value)")
            }
            return number
        }
        return nil
    }

    /// The first of `keys` present in `config` as an integer in `minimum...1e9`, else `value`.
    private static func count(_ keys: [String], in config: [String: FlowerValue], default value: Int, minimum: Int)
        throws -> Int
    {
        guard let number = try number(keys, in: config) else { return value }
        guard number == number.rounded(), number >= Double(minimum), number <= 1e9 else {
            throw FlowerProtocolError.badContent("config \(keys[0]) must be an integer ≥ \(minimum), got \(number)")
        }
        return Int(number)
    }

    /// Flower's `compute_clip_model_update`: `global + (trained − global) · min(1, norm / ‖trained − global‖)`;
    /// also whether the update was scaled down.
    static func clip(_ trained: ParameterSet, around global: ParameterSet, to norm: Double) -> (ParameterSet, Bool) {
        let delta = trained.subtracting(global)
        let updateNorm = delta.norm
        let scale = updateNorm > 0 ? min(1, norm / updateNorm) : 1
        guard scale < 1 else { return (trained, false) }
        return (global.adding(delta, scaledBy: Float(scale)), true)
    }
}
