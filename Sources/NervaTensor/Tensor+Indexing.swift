/// Gathering rows by index (embeddings, cross-entropy picks) and row-sparse gradients.
extension Tensor {
    /// The rows `indices` of the first axis, shaped `indexShape + shape[1...]`.
    ///
    /// - Parameters:
    ///   - indices: row numbers in `0..<shape[0]`; repeats are allowed.
    ///   - indexShape: the shape of `indices` (default `[indices.count]`), e.g. `[batch, length]`.
    ///   - sparseGradient: when this tensor is a leaf, give it a row-sparse gradient holding only
    ///     the gathered rows instead of a dense one (large embedding tables); ignored while
    ///     recording a differentiable backward pass.
    public func gathering(rows indices: [Int], indexShape: [Int]? = nil, sparseGradient: Bool = false) -> Tensor {
        precondition(rank >= 1, "gathering: cannot gather rows of a scalar.")
        let indexShape = indexShape ?? [indices.count]
        precondition(Shape.count(indexShape) == indices.count,
                     "gathering: index shape \(indexShape) does not hold \(indices.count) indices.")
        let rowCount = shape[0], rowSize = scalarCount / Swift.max(rowCount, 1)
        let out = Tensor(uninitializedShape: indexShape + shape.dropFirst())
        let src = dense, dst = out.storage.base
        for (i, row) in indices.enumerated() {
            precondition(row >= 0 && row < rowCount, "gathering: index \(row) is out of range for \(rowCount) rows (shape \(shape)).")
            (dst + i * rowSize).update(from: src + row * rowSize, count: rowSize)
        }
        guard Tensor.recordsGradient(self) else { return out }
        let fullShape = shape
        return out.record("gather", [self]) { g in
            if sparseGradient && self.node == nil && !GradientRecording.isEnabled {
                let values = g.reshaped([indices.count] + fullShape.dropFirst())
                return [Tensor(shape: fullShape, storage: values.storage, sparseRowIndices: indices)]
            }
            return [g.scatteringRows(indices, into: fullShape)]
        }
    }

    /// A tensor of `shape` whose row `indices[i]` is the sum of this tensor's rows `i` (the
    /// transpose of `gathering(rows:)`).
    public func scatteringRows(_ indices: [Int], into shape: [Int]) -> Tensor {
        let rowSize = Shape.count(Array(shape.dropFirst()))
        precondition(scalarCount == indices.count * rowSize,
                     "scatteringRows: \(indices.count) rows of shape \(Array(shape.dropFirst())) do not match a tensor of shape \(self.shape).")
        let out = Tensor.zeros(shape)
        let src = dense, dst = out.storage.base
        for (i, row) in indices.enumerated() {
            precondition(row >= 0 && row < shape[0], "scatteringRows: index \(row) is out of range for \(shape[0]) rows.")
            let d = dst + row * rowSize, s = src + i * rowSize
            for k in 0..<rowSize { d[k] += s[k] }
        }
        guard Tensor.recordsGradient(self) else { return out }
        let ownShape = self.shape
        return out.record("scatterRows", [self]) { g in [g.gathering(rows: indices).reshaped(ownShape)] }
    }

    // MARK: - Row-sparse tensors

    /// A row-sparse tensor of `shape` whose rows `rows` hold `values` (`[rows.count, shape[1...]]`);
    /// rows listed twice are summed. Gradients of embedding tables take this form.
    public static func rowSparse(values: Tensor, rows: [Int], shape: [Int]) -> Tensor {
        precondition(!shape.isEmpty && values.shape == [rows.count] + shape.dropFirst(),
                     "rowSparse: values of shape \(values.shape) do not hold \(rows.count) rows of \(shape).")
        precondition(rows.allSatisfy { $0 >= 0 && $0 < shape[0] }, "rowSparse: a row index is outside 0..<\(shape[0]).")
        return Tensor(shape: shape, storage: values.densified().storage, sparseRowIndices: rows)
    }

    /// The stored rows of a row-sparse tensor, shaped `[rowCount, shape[1...]]`.
    public var sparseValues: Tensor {
        guard let rows = sparseRowIndices else { return self }
        return Tensor(shape: [rows.count] + shape.dropFirst(), storage: storage)
    }

    /// The dense equivalent (this tensor itself when already dense).
    public func densified() -> Tensor {
        guard let rows = sparseRowIndices else { return self }
        return sparseValues.scatteringRows(rows, into: shape)
    }

    /// The same row-sparse tensor with each row stored once, in increasing order (duplicates summed).
    public func coalesced() -> Tensor {
        guard let rows = sparseRowIndices else { return self }
        let unique = Array(Set(rows)).sorted()
        if unique.count == rows.count && unique == rows { return self }
        var slot: [Int: Int] = [:]
        for (i, row) in unique.enumerated() { slot[row] = i }
        let rowSize = Shape.count(Array(shape.dropFirst()))
        let values = TensorStorage(repeating: 0, count: unique.count * rowSize)
        let src = storage.base
        for (i, row) in rows.enumerated() {
            let d = values.base + slot[row]! * rowSize, s = src + i * rowSize
            for k in 0..<rowSize { d[k] += s[k] }
        }
        return Tensor(shape: shape, storage: values, sparseRowIndices: unique)
    }
}
