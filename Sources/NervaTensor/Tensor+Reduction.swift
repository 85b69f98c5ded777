/// Reductions along axes, and softmax. `axes` may be negative; `keepingDimensions` keeps each
/// reduced axis as size 1 (broadcastable against the input).
extension Tensor {
    /// The sum over `axes` (all axes by default, giving a scalar).
    public func sum(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let axes = Reduce.normalize(axes ?? Array(0..<rank), rank: rank, "sum")
        let kept = Reduce.reduce(self, axes: axes, .sum)
        let out = keepingDimensions ? kept : kept.droppingAxes(axes)
        guard Tensor.recordsGradient(self) else { return out }
        let inputShape = shape, keptShape = kept.shape
        return out.record("sum", [self]) { g in [g.reshaped(keptShape).expanded(to: inputShape)] }
    }

    /// The sum over one axis.
    public func sum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// The mean over `axes` (all axes by default).
    public func mean(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let axes = Reduce.normalize(axes ?? Array(0..<rank), rank: rank, "mean")
        let count = axes.reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) / Float(count)
    }

    /// The mean over one axis.
    public func mean(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// The maximum over `axes` (all by default). Ties share the gradient evenly (PyTorch's `amax`).
    public func max(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let axes = Reduce.normalize(axes ?? Array(0..<rank), rank: rank, "max")
        let kept = Reduce.reduce(self, axes: axes, .max)
        let out = keepingDimensions ? kept : kept.droppingAxes(axes)
        guard Tensor.recordsGradient(self) else { return out }
        let keptShape = kept.shape
        return out.record("max", [self]) { g in
            let isMax = self .== kept
            return [g.reshaped(keptShape) * isMax / isMax.sum(alongAxes: axes, keepingDimensions: true)]
        }
    }

    /// The maximum over one axis.
    public func max(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        max(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// The minimum over `axes` (all by default).
    public func min(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        -(-self).max(alongAxes: axes, keepingDimensions: keepingDimensions)
    }

    /// The minimum over one axis.
    public func min(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        min(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// The index of the largest element along `axis` (the first on ties), as a float tensor.
    public func argmax(alongAxis axis: Int = -1, keepingDimensions: Bool = false) -> Tensor {
        let a = Shape.axis(axis, rank: rank, "argmax")
        let kept = Reduce.argmax(self, axis: a)
        return keepingDimensions ? kept : kept.droppingAxes([a])
    }

    /// `log Σ exp(x)` over `axes`, computed stably by shifting by the maximum.
    public func logSumExp(alongAxes axes: [Int]? = nil, keepingDimensions: Bool = false) -> Tensor {
        let axes = Reduce.normalize(axes ?? Array(0..<rank), rank: rank, "logSumExp")
        let shift = withoutGradients { max(alongAxes: axes, keepingDimensions: true) }
        let finiteShift = Elementwise.map(shift) { $0.isFinite ? $0 : 0 }
        let out = (self - finiteShift).exp().sum(alongAxes: axes, keepingDimensions: true).log() + finiteShift
        return keepingDimensions ? out : out.droppingAxes(axes)
    }

    /// `exp(x) / Σ exp(x)` along `axis`.
    public func softmax(alongAxis axis: Int = -1) -> Tensor {
        let a = Shape.axis(axis, rank: rank, "softmax")
        let out = Reduce.softmax(self, axis: a, logarithmic: false)
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("softmax", [self]) { [unowned out] g in
            [out * (g - (g * out).sum(alongAxis: a, keepingDimensions: true))]
        }
    }

    /// `x − log Σ exp(x)` along `axis`.
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        let a = Shape.axis(axis, rank: rank, "logSoftmax")
        let out = Reduce.softmax(self, axis: a, logarithmic: true)
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("logSoftmax", [self]) { [unowned out] g in
            [g - out.exp() * g.sum(alongAxis: a, keepingDimensions: true)]
        }
    }

    /// This gradient summed over the axes along which a tensor of `target` shape was broadcast,
    /// and reshaped to `target`. The one place broadcasting is undone.
    public func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.count
        precondition(lead >= 0, "summed(toShape:): cannot sum shape \(shape) to the larger \(target).")
        var axes = Array(0..<lead)
        for (i, d) in target.enumerated() where d == 1 && shape[lead + i] != 1 { axes.append(lead + i) }
        return sum(alongAxes: axes, keepingDimensions: true).reshaped(target)
    }

    /// A view without the given size-1 axes.
    func droppingAxes(_ axes: [Int]) -> Tensor {
        let drop = Set(axes)
        return reshaped(shape.enumerated().filter { !drop.contains($0.offset) }.map(\.element))
    }
}
