import NervaTensor

/// The example indices of each mini-batch of one epoch, for any data set that can fetch
/// examples by index.
///
/// The order is drawn once, when the value is made, so iterating twice gives the same batches;
/// make a new value (from the same generator) for the next epoch.
///
/// ```swift
/// let rng = RandomGenerator(seed: 3)
/// for epoch in 0..<epochs {
///     for indices in BatchIndices(exampleCount: n, batchSize: 32, shuffle: true, generator: rng) { … }
/// }
/// ```
public struct BatchIndices: Sequence, Sendable {
    /// Every example index of the epoch, in visiting order (before dropping a short last batch).
    public let order: [Int]
    /// The number of examples per full batch.
    public let batchSize: Int
    /// Whether a final batch smaller than `batchSize` is left out.
    public let dropsLast: Bool

    /// Orders `0..<exampleCount`, shuffled by `generator` or not, into batches of `batchSize`.
    ///
    /// - Precondition: `batchSize > 0`, `exampleCount >= 0`.
    public init(
        exampleCount: Int, batchSize: Int, shuffle: Bool, dropLast: Bool = false,
        generator: RandomGenerator = .default
    ) {
        precondition(batchSize > 0, "BatchIndices: the batch size must be positive, got \(batchSize).")
        precondition(exampleCount >= 0, "BatchIndices: negative example count \(exampleCount).")
        order = shuffle ? generator.permutation(exampleCount) : Array(0..<exampleCount)
        self.batchSize = batchSize
        dropsLast = dropLast
    }

    /// The number of batches.
    public var count: Int { // without `count + batchSize - 1`, which overflows for huge batch sizes
        order.count / batchSize + (dropsLast || order.count % batchSize == 0 ? 0 : 1)
    }

    /// The indices of batch `i`.
    public subscript(i: Int) -> ArraySlice<Int> {
        precondition(i >= 0 && i < count, "BatchIndices: batch \(i) is outside 0..<\(count).")
        let start = i * batchSize
        return order[start..<(start + Swift.min(batchSize, order.count - start))]
    }

    /// Walks the batches in order.
    public struct Iterator: IteratorProtocol {
        let indices: BatchIndices
        var position = 0
        /// The next batch's indices, or `nil` after the last.
        public mutating func next() -> ArraySlice<Int>? {
            guard position < indices.count else { return nil }
            defer { position += 1 }
            return indices[position]
        }
    }

    /// Starts at the first batch.
    public func makeIterator() -> Iterator { Iterator(indices: self) }
    /// The number of batches.
    public var underestimatedCount: Int { count }
}

/// The mini-batches of one epoch of a `LabeledImages` set: `(inputs, labels)` pairs with inputs
/// shaped `[batch, channels, height, width]`.
public struct Batches: Sequence, Sendable {
    /// One mini-batch.
    public typealias Element = (inputs: Tensor, labels: [Int])

    /// The examples batched.
    public let data: LabeledImages
    /// Which examples each batch holds.
    public let indices: BatchIndices

    /// Batches `data` by `indices`.
    public init(_ data: LabeledImages, indices: BatchIndices) {
        precondition(
            indices.order.count == data.count,
            "Batches: \(indices.order.count) indices for a data set of \(data.count) examples.")
        self.data = data
        self.indices = indices
    }

    /// The number of batches.
    public var count: Int { indices.count }

    /// Batch `i`, gathered from the data.
    public subscript(i: Int) -> Element {
        let rows = Array(indices[i])
        return (data.images(at: rows), rows.map { data.labels[$0] })
    }

    /// Gathers each batch as it is reached.
    public struct Iterator: IteratorProtocol {
        let batches: Batches
        var position = 0
        /// The next batch, or `nil` after the last.
        public mutating func next() -> Element? {
            guard position < batches.count else { return nil }
            defer { position += 1 }
            return batches[position]
        }
    }

    /// Starts at the first batch.
    public func makeIterator() -> Iterator { Iterator(batches: self) }
    /// The number of batches.
    public var underestimatedCount: Int { count }
}
