import NervaTensor

/// The base of every optimiser: holds the parameters, the learning rate and per-parameter state,
/// and walks the parameters on each `step()`; subclasses write only the update rule.
///
/// ```swift
/// let optimizer = Adam(model.parameters(), learningRate: 1e-3)
/// for batch in batches {
///     optimizer.zeroGradients()
///     crossEntropy(logits: model(batch.inputs), labels: batch.labels).backward()
///     optimizer.step()
/// }
/// ```
///
/// Parameters without a gradient are skipped, as in PyTorch. State buffers use PyTorch's names
/// (`exp_avg`, `exp_avg_sq`, `momentum_buffer`, `square_avg`, `step`) so that training can be
/// checkpointed and resumed with `stateDictionary()` / `load(stateDictionary:)`.
open class Optimizer {
    /// The tensors this optimiser updates, in place.
    public let parameters: [Tensor]
    /// The step size; schedules change it between steps.
    public var learningRate: Float
    /// Per-parameter state buffers by name, created on first use.
    private var slots: [[String: Tensor]]

    public init(_ parameters: [Tensor], learningRate: Float) {
        precondition(learningRate >= 0, "Optimizer: learning rate must be non-negative, got \(learningRate).")
        precondition(
            Set(parameters.map(ObjectIdentifier.init)).count == parameters.count,
            "Optimizer: a parameter appears more than once.")
        self.parameters = parameters
        self.learningRate = learningRate
        slots = Array(repeating: [:], count: parameters.count)
    }

    /// Applies one update to every parameter that has a gradient.
    public func step() {
        withoutGradients {
            for (index, parameter) in parameters.enumerated() {
                guard let gradient = parameter.gradient else { continue }
                update(parameter, gradient: gradient, index: index)
            }
        }
    }

    /// Clears every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGradients() {
        for parameter in parameters { parameter.gradient = nil }
    }

    /// Updates one parameter in place. `gradient` may be row-sparse (embedding tables).
    open func update(_ parameter: Tensor, gradient: Tensor, index: Int) {
        fatalError("\(type(of: self)) must override update(_:gradient:index:).")
    }

    /// The state buffer `name` of parameter `index`, created filled with `initialValue` in the
    /// parameter's shape (or `shape`) on first use.
    public func slot(_ name: String, index: Int, shape: [Int]? = nil, initialValue: Float = 0) -> Tensor {
        if let existing = slots[index][name] { return existing }
        let created = Tensor.full(shape ?? parameters[index].shape, value: initialValue)
        slots[index][name] = created
        return created
    }

    /// Whether parameter `index` already has state `name`.
    public func hasSlot(_ name: String, index: Int) -> Bool { slots[index][name] != nil }

    /// Increments and returns parameter `index`'s step count (its `step` state).
    public func incrementStep(index: Int) -> Int {
        let step = slot("step", index: index, shape: [])
        step.withUnsafeMutableBufferPointer { $0[0] += 1 }
        return Int(step.scalar)
    }

    // MARK: - Checkpoints

    /// The optimiser's state: `"<parameter index>.<buffer>"` → tensor, plus `learning_rate`.
    public func stateDictionary() -> [String: Tensor] {
        var result = ["learning_rate": Tensor(learningRate)]
        for (index, buffers) in slots.enumerated() {
            for (name, tensor) in buffers { result["\(index).\(name)"] = tensor }
        }
        return result
    }

    /// Restores state saved by `stateDictionary()` for the same parameters.
    ///
    /// - Throws: `OptimizerStateError` when a key or shape does not fit these parameters.
    public func load(stateDictionary: [String: Tensor]) throws {
        var restored = Array(repeating: [String: Tensor](), count: parameters.count)
        for (key, tensor) in stateDictionary where key != "learning_rate" {
            let parts = key.split(separator: ".", maxSplits: 1)
            guard parts.count == 2, let index = Int(parts[0]), parameters.indices.contains(index) else {
                throw OptimizerStateError.unexpectedKey(key)
            }
            let name = String(parts[1])
            let expected = name == "step" ? [] : parameters[index].shape
            if tensor.shape != expected {
                throw OptimizerStateError.shapeMismatch(key: key, expected: expected, actual: tensor.shape)
            }
            restored[index][name] = Tensor(tensor.scalars, shape: tensor.shape)
        }
        slots = restored
        if let rate = stateDictionary["learning_rate"] { learningRate = rate.scalar }
    }
}

/// A saved optimiser state that does not fit the optimiser's parameters.
public enum OptimizerStateError: Error, CustomStringConvertible, Equatable {
    case unexpectedKey(String)
    case shapeMismatch(key: String, expected: [Int], actual: [Int])

    public var description: String {
        switch self {
        case .unexpectedKey(let key): "optimizer state: unexpected key \"\(key)\""
        case let .shapeMismatch(key, expected, actual):
            "optimizer state: \"\(key)\" has shape \(actual), expected \(expected)"
        }
    }
}
