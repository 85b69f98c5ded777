import NervaTensor

/// A lookup table of `count` vectors of size `dimension`: row `i` is the embedding of id `i`.
///
/// Initialised `N(0, 1)` as in PyTorch. By default the weight's gradient is row-sparse: only the
/// rows a batch looked up are stored, so a table of millions of users costs nothing per step for
/// the rows it did not touch (every Nerva optimiser updates such gradients row by row).
public final class Embedding: Module, Layer {
    /// `[count, dimension]`.
    public let weight: Tensor
    /// Whether the weight receives row-sparse gradients.
    public let hasSparseGradients: Bool

    public var count: Int { weight.shape[0] }
    public var dimension: Int { weight.shape[1] }

    public init(
        count: Int, dimension: Int, sparseGradients: Bool = true,
        initialization: Initialization = .normal(), generator: RandomGenerator = .default
    ) {
        precondition(
            count > 0 && dimension > 0, "Embedding: count and dimension must be positive, got \(count) × \(dimension).")
        weight = initialization.tensor([count, dimension], generator: generator).requiringGradient()
        hasSparseGradients = sparseGradients
    }

    /// The embeddings of `ids`, shaped `indexShape + [dimension]` (`[ids.count, dimension]` by default).
    public func callAsFunction(_ ids: [Int], indexShape: [Int]? = nil) -> Tensor {
        weight.gathering(rows: ids, indexShape: indexShape, sparseGradient: hasSparseGradients)
    }

    /// The embeddings of ids given as a float tensor of whole numbers (any shape).
    public func callAsFunction(_ ids: Tensor) -> Tensor {
        let values = ids.scalars.map { Int($0) }
        return self(values, indexShape: ids.shape)
    }

    public override var settingsDescription: String { "count: \(count), dimension: \(dimension)" }
}
