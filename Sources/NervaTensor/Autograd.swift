import CNervaKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reverse-mode automatic differentiation, define-by-run.
///
/// Every primitive op that sees an input requiring gradients records a `GraphNode`: its inputs and
/// a pullback, written next to the op's forward math with ordinary tensor ops. Because pullbacks
/// are tensor ops, `gradients(of:wrt:createGraph: true)` records them too and its results can be
/// differentiated again (gradient penalties). Without `createGraph`, the backward pass runs with
/// recording off and builds nothing.
///
/// Pullbacks return gradients in the shape of the op's (broadcast) output; the engine sums each one
/// back to its input's shape, in one place (`summed(toShape:)`).

/// The recorded origin of a tensor: the op's inputs and the pullback that maps the gradient of its
/// output to the gradients of its inputs (`nil` for inputs that need none).
final class GraphNode {
    let op: StaticString
    let inputs: [Tensor]
    let pullback: (Tensor) -> [Tensor?]

    init(op: StaticString, inputs: [Tensor], pullback: @escaping (Tensor) -> [Tensor?]) {
        self.op = op
        self.inputs = inputs
        self.pullback = pullback
    }
}

/// Frees recorded graphs without recursion: see `Tensor.deinit`.
final class GraphReleaser {
    private var pending: [GraphNode] = []
    private var isDraining = false

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<GraphReleaser>.fromOpaque(pointer).release() }
        }
        return key
    }()

    /// This thread's releaser.
    static var current: GraphReleaser {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<GraphReleaser>.fromOpaque(pointer).takeUnretainedValue()
        }
        let releaser = GraphReleaser()
        pthread_setspecific(key, Unmanaged.passRetained(releaser).toOpaque())
        return releaser
    }

    func enqueue(_ node: GraphNode) { pending.append(node) }

    /// Drops queued nodes one at a time; tensors freed meanwhile only enqueue theirs.
    func drain() {
        guard !isDraining else { return }
        isDraining = true
        while !pending.isEmpty { _ = pending.removeLast() }
        isDraining = false
    }
}

/// Whether operations are recorded for differentiation in the current task or thread.
public enum GradientRecording {
    @TaskLocal static var isEnabled = true

    /// `true` unless inside `withoutGradients { }`.
    public static var isActive: Bool { isEnabled }
}

/// Runs `body` without recording any operation (inference, target networks, optimiser updates).
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientRecording.$isEnabled.withValue(false, operation: body)
}

extension Tensor {
    /// `true` when gradients flow to this tensor: a leaf that asked for them, or a recorded result.
    public var requiresGradient: Bool {
        get { isGradientLeaf || node != nil }
        set {
            precondition(
                node == nil || newValue,
                "requiresGradient: only leaf tensors can stop requiring gradients; use detached().")
            isGradientLeaf = newValue && node == nil
        }
    }

    /// Marks this leaf as requiring gradients and returns it, for chaining.
    @discardableResult
    public func requiringGradient(_ flag: Bool = true) -> Tensor {
        requiresGradient = flag
        return self
    }

    /// A tensor sharing these elements but cut from the graph: no gradient flows through it.
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage, sparseRowIndices: sparseRowIndices)
    }

    /// Records this tensor, computed by the caller from `inputs` without recording, as the output
    /// of a differentiable operation with a hand-written pullback (PyTorch's
    /// `torch.autograd.Function`). The pullback maps the output's gradient to one gradient per
    /// input (`nil` where none is needed), written with tensor ops so that it can itself be
    /// differentiated; gradients in a broadcast shape are summed back to each input's shape.
    ///
    /// - Returns: a tensor sharing this one's elements, recorded when some input requires
    ///   gradients and recording is on; otherwise `self`.
    public func recordedAsOperation(
        _ name: StaticString, inputs: [Tensor],
        pullback: @escaping (Tensor) -> [Tensor?]
    ) -> Tensor {
        guard Tensor.recordsGradient(inputs) else { return self }
        return Tensor(shape: shape, storage: storage).record(name, inputs, pullback: pullback)
    }

    /// `true` when an op with these inputs must be recorded.
    @inline(__always)
    static func recordsGradient(_ a: Tensor) -> Bool {
        (a.isGradientLeaf || a.node != nil) && GradientRecording.isEnabled
    }

    @inline(__always)
    static func recordsGradient(_ a: Tensor, _ b: Tensor) -> Bool {
        (a.isGradientLeaf || a.node != nil || b.isGradientLeaf || b.node != nil) && GradientRecording.isEnabled
    }

    static func recordsGradient(_ inputs: [Tensor]) -> Bool {
        inputs.contains { $0.isGradientLeaf || $0.node != nil } && GradientRecording.isEnabled
    }

    /// Attaches the op that produced `self`; returns `self`.
    @inline(__always)
    @discardableResult
    func record(_ op: StaticString, _ inputs: [Tensor], pullback: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        node = GraphNode(op: op, inputs: inputs, pullback: pullback)
        return self
    }

    // MARK: - Backward

    /// Computes the gradient of this scalar with respect to every leaf that requires gradients
    /// and adds it to their `gradient` (PyTorch's `loss.backward()`).
    ///
    /// - Parameter createGraph: record the backward pass, so the accumulated gradients can
    ///   themselves be differentiated.
    public func backward(createGraph: Bool = false) {
        precondition(
            scalarCount == 1,
            "backward(): the output must be a scalar, got shape \(shape); use gradients(of:wrt:seed:).")
        let result = Autograd.run(from: self, seed: nil, createGraph: createGraph, targets: nil)
        for (leaf, gradient) in result {
            leaf.gradient = leaf.gradient.map { Tensor.accumulate($0, gradient) } ?? gradient
        }
    }
}

/// The gradients of `output` with respect to each of `inputs`, returned rather than accumulated.
///
/// - Parameters:
///   - output: the tensor to differentiate.
///   - inputs: the tensors to differentiate with respect to; each must require a gradient.
///   - seed: the gradient of the output (ones by default, which requires a scalar output or
///     means "sum the output").
///   - createGraph: record the backward pass so that the results can be differentiated again.
/// - Returns: one gradient per input, in the input's shape; zeros where `output` does not depend
///   on it.
public func gradients(
    of output: Tensor, wrt inputs: [Tensor], seed: Tensor? = nil,
    createGraph: Bool = false
) -> [Tensor] {
    for input in inputs {
        precondition(
            input.requiresGradient, "gradients(of:wrt:): an input of shape \(input.shape) does not require gradients.")
    }
    let result = Autograd.run(from: output, seed: seed, createGraph: createGraph, targets: inputs)
    let byIdentity = Dictionary(result.map { (ObjectIdentifier($0.0), $0.1) }, uniquingKeysWith: { a, _ in a })
    return inputs.map { byIdentity[ObjectIdentifier($0)] ?? Tensor.zeros($0.shape) }
}

enum Autograd {
    /// A gradient being summed; `isOwned` means the engine allocated it and may add in place.
    struct Partial {
        var tensor: Tensor
        var isOwned: Bool
    }

    /// Runs the backward pass from `output`. Returns the gradients of the requested `targets`
    /// (or of every leaf requiring gradients when `targets` is nil).
    static func run(
        from output: Tensor, seed: Tensor?, createGraph: Bool,
        targets: [Tensor]?
    ) -> [(Tensor, Tensor)] {
        let seed = seed ?? Tensor.ones(output.shape)
        precondition(
            seed.shape == output.shape,
            "gradients: seed shape \(seed.shape) does not match output shape \(output.shape).")
        guard output.requiresGradient else { return [] }
        let targetIDs = targets.map { Set($0.map(ObjectIdentifier.init)) }
        let order = topologicalOrder(from: output)
        var partials: [ObjectIdentifier: Partial] = [ObjectIdentifier(output): Partial(tensor: seed, isOwned: false)]
        var results: [(Tensor, Tensor)] = []

        let body = {
            for tensor in order.reversed() {
                guard let partial = partials.removeValue(forKey: ObjectIdentifier(tensor)) else { continue }
                let gradient = partial.tensor
                let isTarget = targetIDs.map { $0.contains(ObjectIdentifier(tensor)) } ?? tensor.isGradientLeaf
                if isTarget { results.append((tensor, gradient)) }
                guard let node = tensor.node else { continue }
                let inputGradients = node.pullback(gradient.isRowSparse ? gradient.densified() : gradient)
                precondition(
                    inputGradients.count == node.inputs.count,
                    "pullback of \(node.op) returned \(inputGradients.count) gradients for \(node.inputs.count) inputs."
                )
                for (input, inputGradient) in zip(node.inputs, inputGradients) {
                    guard var inputGradient, input.requiresGradient else { continue }
                    if inputGradient.shape != input.shape && !inputGradient.isRowSparse {
                        inputGradient = inputGradient.summed(toShape: input.shape)
                    }
                    let key = ObjectIdentifier(input)
                    if let existing = partials[key] {
                        partials[key] = add(existing, inputGradient, inPlace: !createGraph)
                    } else {
                        partials[key] = Partial(tensor: inputGradient, isOwned: false)
                    }
                }
            }
        }
        GradientRecording.$isEnabled.withValue(createGraph, operation: body)
        return results
    }

    /// Adds a new contribution to a partial gradient, in place when the engine owns it.
    static func add(_ partial: Partial, _ gradient: Tensor, inPlace: Bool) -> Partial {
        if inPlace && partial.isOwned && !partial.tensor.isRowSparse && !gradient.isRowSparse {
            partial.tensor.addInPlace(gradient)
            return partial
        }
        return Partial(tensor: Tensor.accumulate(partial.tensor, gradient), isOwned: inPlace)
    }

    /// Tensors reachable from `output` through recorded ops, inputs before the ops that use them.
    static func topologicalOrder(from output: Tensor) -> [Tensor] {
        var order: [Tensor] = []
        var visited: Set<ObjectIdentifier> = [ObjectIdentifier(output)]
        // Iterative depth-first search: deep graphs must not overflow the stack.
        var stack: [(tensor: Tensor, nextInput: Int)] = [(output, 0)]
        while let (tensor, next) = stack.last {
            let inputs = tensor.node?.inputs ?? []
            if next < inputs.count {
                stack[stack.count - 1].nextInput += 1
                let input = inputs[next]
                if input.requiresGradient && visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(tensor)
                stack.removeLast()
            }
        }
        return order
    }
}

extension Tensor {
    /// The sum of two gradients of the same tensor; row-sparse ones stay sparse together.
    static func accumulate(_ a: Tensor, _ b: Tensor) -> Tensor {
        if let rowsA = a.sparseRowIndices, let rowsB = b.sparseRowIndices {
            let values = Tensor.concatenated([a.sparseValues, b.sparseValues], alongAxis: 0)
            return Tensor(shape: a.shape, storage: values.storage, sparseRowIndices: rowsA + rowsB)
        }
        return a.densified() + b.densified()
    }

    /// Adds `other` (same shape) into this tensor's storage. Only for storage the caller owns.
    func addInPlace(_ other: Tensor) {
        precondition(other.shape == shape, "addInPlace: shape \(other.shape) does not match \(shape).")
        let x = dense, y = other.dense
        Vectorized.forChunks(scalarCount) { r in nerva_add_in_place(x + r.lowerBound, y + r.lowerBound, Int64(r.count))
        }
    }
}
