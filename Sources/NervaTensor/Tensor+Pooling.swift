/// Pooling and nearest-neighbour upsampling over `[N, C, H, W]` images, with PyTorch's semantics
/// (`floor` output sizes, `ceil_mode=False`). Each op is linear in the values it moves, and its
/// pullback is a recorded op whose own pullback is the original movement, so gradients of
/// gradients flow through them too.
extension Tensor {
    /// The largest value of each `kernelSize × kernelSize` window, windows `stride` apart
    /// (PyTorch's `max_pool2d`); the padding counts as −∞. The gradient goes to the first
    /// maximum of each window (NaN counts as a maximum, as in PyTorch).
    ///
    /// Input: `[N, C, H, W]`. Output: `[N, C, Ho, Wo]`, `Ho = ⌊(H + 2·padding − kernelSize) / stride⌋ + 1`.
    ///
    /// - Parameters:
    ///   - kernelSize: the side of each square window.
    ///   - stride: the step between windows; `kernelSize` when `nil`.
    ///   - padding: at most `kernelSize / 2`.
    public func maxPool2d(kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let geometry = poolingGeometry(kernelSize: kernelSize, stride: stride, padding: padding, "maxPool2d")
        let out = Tensor(uninitializedShape: geometry.outputShape)
        precondition(
            scalarCount <= Int(Int32.max), "maxPool2d: an input of shape \(shape) has too many elements to index.")
        guard Tensor.recordsGradient(self) else {
            Pooling.max(dense, out.storage.base, nil, geometry)
            return out
        }
        let indices = [Int32](unsafeUninitializedCapacity: out.scalarCount) { buffer, count in
            Pooling.max(dense, out.storage.base, buffer.baseAddress!, geometry)
            count = out.scalarCount
        }
        let inputShape = shape
        return out.record("maxPool2d", [self]) { g in [g.scatteringSum(at: indices, into: inputShape)] }
    }

    /// The mean of each `kernelSize × kernelSize` window, windows `stride` apart (PyTorch's
    /// `avg_pool2d` with `count_include_pad=True`): the padding counts as zeros and every window
    /// divides by `kernelSize²`.
    ///
    /// Input: `[N, C, H, W]`. Output: `[N, C, Ho, Wo]`, `Ho = ⌊(H + 2·padding − kernelSize) / stride⌋ + 1`.
    ///
    /// - Parameters:
    ///   - kernelSize: the side of each square window.
    ///   - stride: the step between windows; `kernelSize` when `nil`.
    ///   - padding: at most `kernelSize / 2`.
    public func avgPool2d(kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        averagePooled(poolingGeometry(kernelSize: kernelSize, stride: stride, padding: padding, "avgPool2d"))
    }

    /// Every pixel repeated into a `scale × scale` block (PyTorch's `interpolate(mode="nearest")`
    /// with an integer `scale_factor`): `y[n, c, i, j] = x[n, c, ⌊i / scale⌋, ⌊j / scale⌋]`.
    ///
    /// Input: `[N, C, H, W]`. Output: `[N, C, H·scale, W·scale]`.
    public func upsampledNearest(scale: Int) -> Tensor {
        precondition(rank == 4, "upsampledNearest: expected an input [N, C, H, W], got shape \(shape).")
        precondition(scale > 0, "upsampledNearest: scale must be positive, got \(scale).")
        let out = Tensor(uninitializedShape: [shape[0], shape[1], shape[2] * scale, shape[3] * scale])
        Pooling.upsampleNearest(
            dense, out.storage.base, planes: shape[0] * shape[1], height: shape[2], width: shape[3],
            scale: scale)
        guard Tensor.recordsGradient(self) else { return out }
        // The adjoint sums each block: an average pool scaled back up.
        return out.record("upsampleNearest", [self]) { g in
            [g.avgPool2d(kernelSize: scale) * Float(scale * scale)]
        }
    }

    // MARK: - Internals

    /// The geometry of a pooling window over this `[N, C, H, W]` tensor.
    private func poolingGeometry(kernelSize: Int, stride: Int?, padding: Int, _ op: StaticString) -> ConvGeometry {
        precondition(rank == 4, "\(op): expected an input [N, C, H, W], got shape \(shape).")
        precondition(kernelSize > 0, "\(op): kernelSize must be positive, got \(kernelSize).")
        precondition(
            padding >= 0 && padding <= kernelSize / 2,
            "\(op): padding must be in 0...\(kernelSize / 2) (half the kernel size \(kernelSize)), got \(padding).")
        return ConvGeometry(
            batch: shape[0], inputChannels: shape[1], height: shape[2], width: shape[3],
            outputChannels: shape[1], kernelHeight: kernelSize, kernelWidth: kernelSize,
            stride: stride ?? kernelSize, padding: padding, op)
    }

    /// Average pooling with a known geometry; its pullback is `averagePoolTransposed`.
    func averagePooled(_ geometry: ConvGeometry) -> Tensor {
        precondition(
            shape == geometry.inputShape, "avgPool2d: input of shape \(shape) does not match \(geometry.inputShape).")
        let out = Tensor(uninitializedShape: geometry.outputShape)
        Pooling.average(dense, out.storage.base, geometry)
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("avgPool2d", [self]) { g in [g.averagePoolTransposed(geometry)] }
    }

    /// The adjoint of average pooling: every window's value divided by `kernelSize²` and added
    /// onto the window's pixels. `[N, C, Ho, Wo]` → `[N, C, H, W]`.
    func averagePoolTransposed(_ geometry: ConvGeometry) -> Tensor {
        precondition(
            shape == geometry.outputShape,
            "avgPool2d backward: gradient of shape \(shape) does not match \(geometry.outputShape).")
        let out = Tensor(uninitializedShape: geometry.inputShape)
        Pooling.averageTransposed(dense, out.storage.base, geometry)
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("avgPool2dBackward", [self]) { g in [g.averagePooled(geometry)] }
    }

    /// A tensor of `shape`, zero except that element `indices[i]` (a flat offset) receives
    /// `self[i]`, summed over repeats. Linear in `self`; its pullback gathers at `indices`.
    func scatteringSum(at indices: [Int32], into shape: [Int]) -> Tensor {
        precondition(indices.count == scalarCount, "scatteringSum: \(indices.count) indices for \(scalarCount) values.")
        let out = Tensor.zeros(shape)
        let src = dense, dst = out.storage.base
        indices.withUnsafeBufferPointer { index in
            for i in index.indices { dst[Int(index[i])] += src[i] }
        }
        guard Tensor.recordsGradient(self) else { return out }
        let ownShape = self.shape
        return out.record("scatterSum", [self]) { g in [g.gathering(at: indices, shape: ownShape)] }
    }

    /// The elements at flat offsets `indices`, shaped `shape`. Linear in `self`; its pullback
    /// scatters back to `indices`.
    func gathering(at indices: [Int32], shape: [Int]) -> Tensor {
        precondition(
            indices.count == Shape.count(shape), "gathering(at:): \(indices.count) indices do not fill shape \(shape).")
        let out = Tensor(uninitializedShape: shape)
        let src = dense, dst = out.storage.base
        indices.withUnsafeBufferPointer { index in
            for i in index.indices { dst[i] = src[Int(index[i])] }
        }
        guard Tensor.recordsGradient(self) else { return out }
        let sourceShape = self.shape
        return out.record("gatherAt", [self]) { g in [g.scatteringSum(at: indices, into: sourceShape)] }
    }
}
