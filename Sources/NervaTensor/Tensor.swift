/// An n-dimensional array of `Float` values, row-major and contiguous, that records the operations
/// applied to it so that gradients can flow back through them.
///
/// `Tensor` is a reference type, as in PyTorch: a parameter keeps its identity while optimisers
/// update it in place, and gradients accumulate on it.
///
/// ```swift
/// let w = Tensor.normal([3, 2], generator: RandomGenerator(seed: 1)).requiringGradient()
/// let loss = (x.matmul(w) - y).squared().mean()
/// loss.backward()            // w.gradient now holds ∂loss/∂w
/// ```
///
/// Tensors are immutable values from the point of view of operations: every op returns a new
/// tensor. Only `withUnsafeMutableBufferPointer(_:)`, `assign(_:)` and optimisers write in place.
/// A tensor may be sent to another thread; it must not be mutated by two threads at once.
public final class Tensor: @unchecked Sendable {
    /// The size of each dimension; `[]` for a scalar.
    public let shape: [Int]
    let storage: TensorStorage
    /// Set on row-sparse gradients only: the rows of `shape[0]` that `storage` holds, in order
    /// (duplicates are summed). See `isRowSparse`.
    public let sparseRowIndices: [Int]?
    /// The operation that produced this tensor, when it was recorded for differentiation.
    var node: GraphNode?
    var isGradientLeaf = false

    /// The gradient accumulated by `backward()`; `nil` until then, and after `zeroGradients()`.
    public var gradient: Tensor?

    init(shape: [Int], storage: TensorStorage, sparseRowIndices: [Int]? = nil) {
        self.shape = shape
        self.storage = storage
        self.sparseRowIndices = sparseRowIndices
    }

    /// Releasing a long chain of recorded ops would recurse once per op (tensor → node →
    /// inputs → …) and overflow the stack; nodes are instead handed to a per-thread queue that
    /// the outermost release drains iteratively.
    deinit {
        guard node != nil else { return }
        let releaser = GraphReleaser.current
        if let node { releaser.enqueue(node) }
        node = nil
        releaser.drain()
    }

    /// An uninitialised tensor, for kernels that write every element.
    init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "A tensor cannot have a negative dimension: \(shape).")
        self.shape = shape
        self.storage = TensorStorage(count: Shape.count(shape))
        self.sparseRowIndices = nil
    }

    /// A tensor with the given elements in row-major order.
    ///
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public convenience init(_ scalars: [Float], shape: [Int]) {
        precondition(
            Shape.count(shape) == scalars.count,
            "Tensor(_:shape:): \(scalars.count) scalars do not fill shape \(shape).")
        self.init(uninitializedShape: shape)
        scalars.withUnsafeBufferPointer { storage.base.update(from: $0.baseAddress!, count: $0.count) }
    }

    /// A one-dimensional tensor.
    public convenience init(_ scalars: [Float]) { self.init(scalars, shape: [scalars.count]) }

    /// A scalar (rank-0) tensor.
    public convenience init(_ scalar: Float) { self.init([scalar], shape: []) }

    // MARK: - Properties

    /// The number of dimensions.
    public var rank: Int { shape.count }
    /// The number of elements.
    public var scalarCount: Int { Shape.count(shape) }
    /// The elements in row-major order (densified if row-sparse).
    public var scalars: [Float] {
        let dense = densified()
        return withExtendedLifetime(dense) { Array(dense.storage.buffer) }
    }
    /// The single element of a one-element tensor.
    public var scalar: Float {
        precondition(scalarCount == 1, "scalar: a tensor of shape \(shape) has \(scalarCount) elements, not one.")
        return isRowSparse ? densified().scalars[0] : storage.base[0]
    }

    /// `true` for gradients of embedding tables that hold only the rows a batch touched.
    public var isRowSparse: Bool { sparseRowIndices != nil }

    /// The element storage of a dense tensor; traps with a sentence on a row-sparse one.
    @inline(__always)
    var dense: UnsafeMutablePointer<Float> {
        precondition(sparseRowIndices == nil, "This operation needs a dense tensor; call densified() first.")
        return storage.base
    }

    // MARK: - Raw access

    /// Calls `body` with the elements in row-major order.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(storage.buffer))
    }

    /// Calls `body` with writable elements. Writing bypasses autodiff: use it for parameters
    /// and buffers you own (optimisers, initialisers, running statistics).
    public func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try body(storage.buffer)
    }

    /// Copies `other`'s elements into this tensor in place (same shape; no gradient is recorded).
    public func assign(_ other: Tensor) {
        precondition(other.shape == shape, "assign: shape \(other.shape) does not match \(shape).")
        let source = other.densified()
        withExtendedLifetime(source) { dense.update(from: source.storage.base, count: scalarCount) }
    }
}

// MARK: - Description

extension Tensor: CustomStringConvertible {
    /// Prints like PyTorch, with the shape: `Tensor([[1, 2], [3, 4]], shape: [2, 2])`.
    public var description: String {
        let values = densified().scalars
        var text = ""
        func emit(_ axis: Int, _ offset: Int, _ stride: Int) {
            if axis == shape.count {
                text += format(values[offset])
                return
            }
            let n = shape[axis], inner = stride / Swift.max(n, 1)
            text += "["
            let elided = n > 8
            for i in 0..<n {
                if elided && i == 3 {
                    text += "…, "
                    continue
                }
                if elided && i > 3 && i < n - 3 { continue }
                emit(axis + 1, offset + i * inner, inner)
                if i < n - 1 {
                    text += axis == shape.count - 1 ? ", " : ",\n" + String(repeating: " ", count: axis + 8)
                }
            }
            text += "]"
        }
        emit(0, 0, Swift.max(values.count, 1))
        var extras = "shape: \(shape)"
        if node != nil || isGradientLeaf { extras += ", requiresGradient: true" }
        if isRowSparse { extras += ", rowSparse: \(sparseRowIndices!.count) rows" }
        return "Tensor(\(text), \(extras))"
    }

    private func format(_ x: Float) -> String {
        if x == x.rounded() && Swift.abs(x) < 1e7 { return String(Int(x)) }
        return String(x)
    }
}
