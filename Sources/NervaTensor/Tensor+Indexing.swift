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
        precondition(
            Shape.count(indexShape) == indices.count,
            "gathering: index shape \(indexShape) does not hold \(indices.count) indices.")
        let rowCount = shape[0], rowSize = scalarCount / Swift.max(rowCount, 1)
        let out = Tensor(uninitializedShape: indexShape + shape.dropFirst())
        let src = dense, dst = out.storage.base
        for (i, row) in indices.enumerated() {
            precondition(
                row >= 0 && row < rowCount,
                "gathering: index \(row) is out of range for \(rowCount) rows (shape \(shape)).")
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
        precondition(
            scalarCount == indices.count * rowSize,
            "scatteringRows: \(indices.count) rows of shape \(Array(shape.dropFirst())) do not match a tensor of shape \(self.shape)."
        )
        let out = Tensor.zeros(shape)
        let src = dense, dst = out.storage.base
        for (i, row) in indices.enumerated() {
            precondition(
                row >= 0 && row < shape[0], "scatteringRows: index \(row) is out of range for \(shape[0]) rows.")
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
        precondition(
            !shape.isEmpty && values.shape == [rows.count] + shape.dropFirst(),
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
        // Already strictly increasing (the common case after one coalescing): nothing to do.
        if zip(rows, rows.dropFirst()).allSatisfy({ $0 < $1 }) { return self }
        // The distinct rows in increasing order, then each row's slot: when the table of rows is
        // small next to the batch, by marking the rows present in a table indexed by row and
        // reading it in order (no sort); otherwise by sorting and binary search. No hashing;
        // duplicates are summed in their original order.
        let rowSize = Shape.count(Array(shape.dropFirst()))
        let src = storage.base
        let useTable = shape[0] <= 64 * Swift.max(rows.count, 1024)
        var table = useTable ? [Int32](repeating: -1, count: shape[0]) : []
        var unique: [Int] = []
        if useTable {
            for row in rows { table[row] = 0 }
            unique.reserveCapacity(rows.count)
            for row in 0..<shape[0] where table[row] >= 0 {
                table[row] = Int32(unique.count)
                unique.append(row)
            }
        } else {
            unique = rows.sorted()
            var kept = 0
            for row in unique where kept == 0 || unique[kept - 1] != row {
                unique[kept] = row
                kept += 1
            }
            unique.removeLast(unique.count - kept)
        }
        let values = TensorStorage(repeating: 0, count: unique.count * rowSize)
        for (i, row) in rows.enumerated() {
            let slot = useTable ? Int(table[row]) : unique.partitioningIndex(where: { $0 >= row })
            let d = values.base + slot * rowSize, s = src + i * rowSize
            for k in 0..<rowSize { d[k] += s[k] }
        }
        return Tensor(shape: shape, storage: values, sparseRowIndices: unique)
    }
}

extension Array where Element == Int {
    /// The first index whose element satisfies `predicate` (which must be false then true along
    /// the array), by binary search.
    fileprivate func partitioningIndex(where predicate: (Int) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if predicate(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
