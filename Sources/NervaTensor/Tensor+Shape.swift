/// Shape and layout ops: reshape, transpose/permute, broadcast, slices, concatenation.
extension Tensor {
    /// The same elements viewed with another shape (one dimension may be `-1`); no copy.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let resolved = Shape.inferred(newShape, count: scalarCount, from: shape)
        if resolved == shape { return self }
        let out = Tensor(shape: resolved, storage: densified().storage)
        guard Tensor.recordsGradient(self) else { return out }
        let original = shape
        return out.record("reshape", [self]) { g in [g.reshaped(original)] }
    }

    /// A 1-D view of all elements.
    public func flattened() -> Tensor { reshaped([-1]) }

    /// A view with a new axis of size 1 inserted at `axis`.
    public func unsqueezed(at axis: Int) -> Tensor {
        let a = Shape.axis(axis, rank: rank + 1, "unsqueezed")
        var s = shape
        s.insert(1, at: a)
        return reshaped(s)
    }

    /// A view without the size-1 axis `axis`.
    public func squeezed(at axis: Int) -> Tensor {
        let a = Shape.axis(axis, rank: rank, "squeezed")
        precondition(shape[a] == 1, "squeezed(at: \(axis)): axis has size \(shape[a]), not 1, in shape \(shape).")
        var s = shape
        s.remove(at: a)
        return reshaped(s)
    }

    /// The axes reordered: `permuted([1, 0])` transposes a matrix. Copies.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(
            axes.count == rank && Set(axes.map { Shape.axis($0, rank: rank, "permuted") }).count == rank,
            "permuted: \(axes) is not a permutation of the axes of shape \(shape).")
        let axes = axes.map { Shape.axis($0, rank: rank, "permuted") }
        if axes == Array(0..<rank) { return self }
        let out = Layout.permute(self, axes)
        guard Tensor.recordsGradient(self) else { return out }
        var inverse = axes
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return out.record("permute", [self]) { g in [g.permuted(inverse)] }
    }

    /// The last two axes swapped (a matrix transpose). Copies.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed: needs rank ≥ 2, got shape \(shape).")
        var axes = Array(0..<rank)
        axes.swapAt(rank - 1, rank - 2)
        return permuted(axes)
    }

    /// The elements repeated along size-1 (or missing leading) axes to fill `target`.
    public func expanded(to target: [Int]) -> Tensor {
        if target == shape { return self }
        precondition(
            Shape.broadcast(shape, target, "expanded") == target,
            "expanded: shape \(shape) cannot be broadcast to \(target).")
        let out = Elementwise.zip(self, Tensor.zeros(target), "expanded") { x, _ in x }
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("expand", [self]) { g in [g] } // the engine sums g back to `shape`
    }

    // MARK: - Slices

    /// The elements whose index along `axis` lies in `range`. Copies.
    public func sliced(alongAxis axis: Int = 0, _ range: Range<Int>) -> Tensor {
        let a = Shape.axis(axis, rank: rank, "sliced")
        precondition(
            range.lowerBound >= 0 && range.upperBound <= shape[a],
            "sliced: range \(range) is out of bounds for axis \(a) of shape \(shape).")
        if range.count == shape[a] { return self }
        let out = Layout.slice(self, axis: a, range)
        guard Tensor.recordsGradient(self) else { return out }
        let full = shape
        return out.record("slice", [self]) { g in
            var before = full, after = full
            before[a] = range.lowerBound
            after[a] = full[a] - range.upperBound
            return [Tensor.concatenated([Tensor.zeros(before), g, Tensor.zeros(after)], alongAxis: a)]
        }
    }

    /// Rows `range` along the first axis.
    public subscript(_ range: Range<Int>) -> Tensor { sliced(alongAxis: 0, range) }

    /// Row `index` along the first axis, without that axis.
    public subscript(_ index: Int) -> Tensor {
        precondition(rank >= 1, "subscript: cannot index a scalar.")
        return sliced(alongAxis: 0, index..<(index + 1)).squeezed(at: 0)
    }

    // MARK: - Joining

    /// The tensors joined along an existing axis; all other dimensions must agree.
    public static func concatenated(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "concatenated: needs at least one tensor.")
        let first = tensors[0].shape
        let a = Shape.axis(axis, rank: first.count, "concatenated")
        for t in tensors {
            var s = t.shape, f = first
            if s.count == f.count {
                s[a] = 0
                f[a] = 0
            }
            precondition(s == f, "concatenated: shapes \(first) and \(t.shape) differ outside axis \(a).")
        }
        let out = Layout.concatenate(tensors, axis: a)
        guard recordsGradient(tensors) else { return out }
        let sizes = tensors.map { $0.shape[a] }
        return out.record("concatenate", tensors) { g in
            var start = 0
            return zip(tensors, sizes).map { t, size in
                defer { start += size }
                return t.requiresGradient ? g.sliced(alongAxis: a, start..<(start + size)) : nil
            }
        }
    }

    /// The tensors, all of one shape, stacked along a new axis.
    public static func stacked(_ tensors: [Tensor], alongAxis axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stacked: needs at least one tensor.")
        for t in tensors {
            precondition(t.shape == tensors[0].shape, "stacked: shapes \(tensors[0].shape) and \(t.shape) differ.")
        }
        let a = Shape.axis(axis, rank: tensors[0].rank + 1, "stacked")
        return concatenated(tensors.map { $0.unsqueezed(at: a) }, alongAxis: a)
    }
}
