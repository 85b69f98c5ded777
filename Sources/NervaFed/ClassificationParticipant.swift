import Foundation
import NervaData
import NervaNN
import NervaOptim
import NervaTensor

/// A participant that trains a classifier on its private share of a labelled image set.
///
/// Its data is a list of example indices into a shared `LabeledImages` (a simulation holds
/// the data set once); the examples are read only here and never leave through `fit` or
/// `evaluate`. Local training is mini-batch SGD with momentum as `torch.optim.SGD`, plus
/// FedProx's proximal term when the instruction asks for it (Li et al. 2020,
/// https://arxiv.org/abs/1812.06127): the gradient of `μ/2 · ‖w − w_global‖²`, `μ · (w − w_global)`,
/// is added to every parameter's gradient before each step.
public final class ClassificationParticipant: FederatedParticipant, @unchecked Sendable {
    public let id: String
    /// The data set the indices point into.
    public let data: LabeledImages
    /// This participant's examples for training (`fit`).
    public let trainIndices: [Int]
    /// This participant's examples for `evaluate` (its training examples when not given).
    public let evaluationIndices: [Int]

    // One request at a time (the `FederatedParticipant` contract), so no lock is needed.
    private var cachedModel: (description: ModelDescription, model: Sequential)?

    /// - Parameters:
    ///   - id: the participant's name, unique in the federation.
    ///   - data: the data set the indices point into.
    ///   - trainIndices: the examples of `data` this participant trains on.
    ///   - evaluationIndices: the examples it evaluates on (default: `trainIndices`).
    public init(id: String, data: LabeledImages, trainIndices: [Int], evaluationIndices: [Int]? = nil) {
        self.id = id
        self.data = data
        self.trainIndices = trainIndices
        self.evaluationIndices = evaluationIndices ?? trainIndices
    }

    /// The model for `description`, built once and reused while the architecture stays the same.
    private func model(for description: ModelDescription) throws -> Sequential {
        if let cachedModel, cachedModel.description == description { return cachedModel.model }
        let model = try description.makeModel(generator: RandomGenerator(seed: 0))
        cachedModel = (description, model)
        return model
    }

    public func fit(_ instruction: FitInstruction) throws -> FitResult {
        let configuration = instruction.configuration
        guard configuration.batchSize > 0, configuration.localEpochs >= 0 else {
            throw FederatedError.invalidConfiguration(
                "batch size \(configuration.batchSize) and local epochs \(configuration.localEpochs) must be positive")
        }
        guard !trainIndices.isEmpty else { throw FederatedError.noLocalData(participant: id) }
        let model = try model(for: instruction.model)
        try model.load(instruction.parameters)
        model.train()
        let generator = RandomGenerator(seed: configuration.seed)
        switch configuration.updateKind {
        case .gradient:
            let loss = accumulateGradient(model, batchSize: configuration.batchSize)
            let gradients = model.namedParameters().map {
                ($0.name, $0.tensor.gradient ?? Tensor.zeros($0.tensor.shape))
            }
            try requireFinite(loss: loss, gradients.map(\.1), round: configuration.round)
            let update = try gradientSet(gradients, layout: instruction.parameters.layout)
            return FitResult(
                update: update, kind: .gradient, exampleCount: trainIndices.count, metrics: ["train_loss": loss])
        case .parameters:
            let loss = train(model, configuration: configuration, global: instruction.parameters, generator: generator)
            try requireFinite(loss: loss, model.parameters(), round: configuration.round)
            return FitResult(
                update: ParameterSet(module: model), kind: .parameters, exampleCount: trainIndices.count,
                metrics: ["train_loss": loss])
        }
    }

    /// Throws `TrainingDivergedError` unless the loss and every value of `tensors` are finite: a
    /// diverged participant reports a failure instead of sending NaNs to be averaged.
    private func requireFinite(loss: Double, _ tensors: [Tensor], round: Int) throws {
        guard loss.isFinite, tensors.allSatisfy({ $0.scalars.allSatisfy(\.isFinite) }) else {
            throw TrainingDivergedError(
                what: "participant \(id)'s local training", position: "round \(round)", detail: "loss \(loss)")
        }
    }

    /// Runs `localEpochs` of mini-batch SGD; returns the mean loss of the last epoch.
    private func train(
        _ model: Sequential, configuration: FitConfiguration, global: ParameterSet,
        generator: RandomGenerator
    ) -> Double {
        let parameters = model.namedParameters()
        let optimizer = SGD(
            parameters.map(\.tensor), learningRate: configuration.learningRate, momentum: configuration.momentum)
        let mu = configuration.proximalMu
        let anchors = mu > 0 ? proximalAnchors(parameters, global: global) : []
        var lastLoss = 0.0
        for _ in 0..<configuration.localEpochs {
            var total = 0.0
            let order = BatchIndices(
                exampleCount: trainIndices.count, batchSize: configuration.batchSize,
                shuffle: true, generator: generator)
            for batch in order {
                let rows = batch.map { trainIndices[$0] }
                let inputs = data.images(at: rows)
                let labels = rows.map { data.labels[$0] }
                optimizer.zeroGradients()
                let loss = crossEntropy(logits: model(inputs), labels: labels)
                loss.backward()
                if mu > 0 { addProximalGradient(parameters.map(\.tensor), anchors: anchors, mu: mu) }
                optimizer.step()
                total += Double(loss.scalar) * Double(rows.count)
            }
            lastLoss = total / Double(trainIndices.count)
        }
        return lastLoss
    }

    /// Accumulates the mean gradient of the loss over all local examples into the parameters'
    /// `gradient`s (FedSGD); returns the mean loss.
    private func accumulateGradient(_ model: Sequential, batchSize: Int) -> Double {
        model.zeroGradients()
        var total = 0.0
        for batch in BatchIndices(exampleCount: trainIndices.count, batchSize: batchSize, shuffle: false) {
            let rows = batch.map { trainIndices[$0] }
            let loss = crossEntropy(
                logits: model(data.images(at: rows)), labels: rows.map { data.labels[$0] },
                reduction: .sum)
            (loss / Float(trainIndices.count)).backward()
            total += Double(loss.scalar)
        }
        return total / Double(trainIndices.count)
    }

    /// The global values of each trained parameter, as tensors (for FedProx).
    private func proximalAnchors(_ parameters: [(name: String, tensor: Tensor)], global: ParameterSet) -> [Tensor] {
        let offsets = Dictionary(uniqueKeysWithValues: global.layout.entries.map { ($0.name, $0) })
        return parameters.map { name, tensor in
            let entry = offsets[name]!
            return Tensor(Array(global.values[entry.offset..<entry.offset + entry.count]), shape: entry.shape)
        }
    }

    /// `gradient += μ · (w − anchor)` for every parameter.
    private func addProximalGradient(_ parameters: [Tensor], anchors: [Tensor], mu: Float) {
        for (parameter, anchor) in zip(parameters, anchors) {
            guard let gradient = parameter.gradient else { continue }
            let dense = gradient.densified()
            // The gradient may share storage with a graph value; write into a fresh copy.
            let updated = Tensor(dense.scalars, shape: dense.shape)
            updated.withUnsafeMutableBufferPointer { g in
                parameter.withUnsafeBufferPointer { w in
                    anchor.withUnsafeBufferPointer { a in
                        for i in g.indices { g[i] += mu * (w[i] - a[i]) }
                    }
                }
            }
            parameter.gradient = updated
        }
    }

    /// The gradients in the global layout (buffers, which have none, get zeros).
    private func gradientSet(_ gradients: [(String, Tensor)], layout: ParameterLayout) throws -> ParameterSet {
        let byName = Dictionary(uniqueKeysWithValues: gradients)
        return ParameterSet(
            tensors: layout.entries.map { entry in (entry.name, byName[entry.name] ?? Tensor.zeros(entry.shape)) })
    }

    public func evaluate(
        model description: ModelDescription, parameters: ParameterSet,
        configuration: EvaluateConfiguration
    ) throws -> ParticipantEvaluation {
        let model = try model(for: description)
        try model.load(parameters)
        let (loss, accuracy) = Self.evaluate(
            model, data: data, indices: evaluationIndices, batchSize: configuration.batchSize)
        return ParticipantEvaluation(loss: loss, exampleCount: evaluationIndices.count, metrics: ["accuracy": accuracy])
    }

    /// Mean cross-entropy and accuracy of `model` on the examples `indices` of `data`.
    public static func evaluate(_ model: Sequential, data: LabeledImages, indices: [Int], batchSize: Int = 500)
        -> (loss: Double, accuracy: Double)
    {
        guard !indices.isEmpty else { return (0, 0) }
        model.eval()
        defer { model.train() }
        var total = 0.0, correct = 0
        withoutGradients {
            for batch in BatchIndices(exampleCount: indices.count, batchSize: max(batchSize, 1), shuffle: false) {
                let rows = batch.map { indices[$0] }
                let labels = rows.map { data.labels[$0] }
                let logits = model(data.images(at: rows))
                total += Double(crossEntropy(logits: logits, labels: labels, reduction: .sum).scalar)
                let predicted = logits.argmax(alongAxis: 1).scalars
                for (label, guess) in zip(labels, predicted) where Int(guess) == label { correct += 1 }
            }
        }
        return (total / Double(indices.count), Double(correct) / Double(indices.count))
    }
}

/// A federated run that cannot go on: every case says why.
public enum FederatedError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case noLocalData(participant: String)
    case tooFewParticipants(available: Int, required: Int)

    public var description: String {
        switch self {
        case let .invalidConfiguration(problem): "invalid federated configuration: \(problem)"
        case let .noLocalData(participant): "participant \(participant) has no local examples"
        case let .tooFewParticipants(available, required):
            "\(available) participants available, the strategy needs at least \(required)"
        }
    }
}
