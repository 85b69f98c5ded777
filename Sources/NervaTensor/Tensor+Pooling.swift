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
    ///   - stride: the step between windows; `kernelSize` when `nil`.
    ///   - padding: at most `kernelSize / 2`.
    public func maxPool2d(kernelSize: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let geometry = poolingGeometry(kernelSize: kernelSize, stride: stride, padding: padding, "maxPool2d")
        let out = Tensor(uninitializedShape: geometry.outputShape)
        precondition(scalarCount <= Int(Int32.max), "maxPool2d: an input of shape \(shape) has too many elements to index.")
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
        let (h, w) = (shape[2], shape[3])
        let out = Tensor(uninitializedShape: [shape[0], shape[1], h * scale, w * scale])
        let src = dense, dst = out.storage.base, wide = w * scale
        for plane in 0..<(shape[0] * shape[1]) {
            for i in 0..<(h * scale) {
                let s = src + plane * h * w + (i / scale) * w, d = dst + (plane * h * scale + i) * wide
                for j in 0..<wide { d[j] = s[j / scale] }
            }
        }
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
        precondition(padding >= 0 && padding <= kernelSize / 2,
                     "\(op): padding must be in 0...\(kernelSize / 2) (half the kernel size \(kernelSize)), got \(padding).")
        return ConvGeometry(batch: shape[0], inputChannels: shape[1], height: shape[2], width: shape[3],
                            outputChannels: shape[1], kernelHeight: kernelSize, kernelWidth: kernelSize,
                            stride: stride ?? kernelSize, padding: padding, op)
    }

    /// Average pooling with a known geometry; its pullback is `averagePoolTransposed`.
    func averagePooled(_ geometry: ConvGeometry) -> Tensor {
        precondition(shape == geometry.inputShape, "avgPool2d: input of shape \(shape) does not match \(geometry.inputShape).")
        let out = Tensor(uninitializedShape: geometry.outputShape)
        Pooling.average(dense, out.storage.base, geometry)
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("avgPool2d", [self]) { g in [g.averagePoolTransposed(geometry)] }
    }

    /// The adjoint of average pooling: every window's value divided by `kernelSize²` and added
    /// onto the window's pixels. `[N, C, Ho, Wo]` → `[N, C, H, W]`.
    func averagePoolTransposed(_ geometry: ConvGeometry) -> Tensor {
        precondition(shape == geometry.outputShape, "avgPool2d backward: gradient of shape \(shape) does not match \(geometry.outputShape).")
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
        precondition(indices.count == Shape.count(shape), "gathering(at:): \(indices.count) indices do not fill shape \(shape).")
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

/// Pooling kernels, one `[H, W]` plane at a time; windows are clipped to the image, so padding
/// never needs to be materialised.
enum Pooling {
    /// The rows (or columns) of the image that window `o` covers.
    @inline(__always)
    private static func window(_ o: Int, _ g: ConvGeometry, size: Int, kernel: Int) -> Range<Int> {
        let start = o * g.stride - g.padding
        return Swift.max(start, 0)..<Swift.min(start + kernel, size)
    }

    /// Max pooling; writes the flat input offset of each maximum to `indices` when given.
    ///
    /// One output row at a time, four outputs per SIMD lane group, kernel taps outermost: each
    /// tap updates the running maxima with masks, never with data-dependent branches (on random
    /// data they would mispredict half the time). Every window still sees its pixels in
    /// row-major order and keeps the first maximum (or NaN), as in PyTorch.
    static func max(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ indices: UnsafeMutablePointer<Int32>?,
                    _ g: ConvGeometry) {
        let (h, w, ho, wo) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let (s, p) = (g.stride, g.padding)
        let planes = g.batch * g.inputChannels, groups = (wo + 3) / 4
        let lanes = SIMD4<Int32>(0, 1, 2, 3), strides = lanes &* Int32(s)
        // The outputs whose window reaches column tap `j`, as a range and as lane groups.
        let taps = (0..<g.kernelWidth).map { j in
            let valid = g.validOutputs(kernelOffset: j, size: w, outputSize: wo)
            return (valid: valid, lower: SIMD4(repeating: Int32(valid.lowerBound)), upper: SIMD4(repeating: Int32(valid.upperBound)),
                    groups: (valid.lowerBound / 4)..<((valid.upperBound + 3) / 4))
        }
        let isPairwise = g.kernelHeight == 2 && g.kernelWidth == 2 && s == 2 && p == 0 && wo >= 4
        Parallel.forEachPart(count: planes, parts: planes * h * w >= 1 << 16 ? Parallel.coreCount : 1) { _, share in
            if isPairwise {
                maxOfPairs(x, y, indices, g, planes: share)
                return
            }
            let best = UnsafeMutablePointer<SIMD4<Float>>.allocate(capacity: groups)
            let index = UnsafeMutablePointer<SIMD4<Int32>>.allocate(capacity: groups)
            defer { best.deallocate(); index.deallocate() }
            for plane in share {
                for oh in 0..<ho {
                    let rows = window(oh, g, size: h, kernel: g.kernelHeight)
                    let firstRow = Int32(truncatingIfNeeded: (plane * h + rows.lowerBound) * w)
                    for group in 0..<groups {
                        let ow = SIMD4<Int32>(repeating: Int32(group * 4)) &+ lanes
                        best[group] = SIMD4(repeating: -.infinity)
                        index[group] = firstRow &+ pointwiseMax(ow &* Int32(s) &- Int32(p), .zero)   // the window's first pixel
                    }
                    for i in rows {
                        for tap in 0..<g.kernelWidth {
                            let (valid, lower, upper, tapGroups) = taps[tap]
                            let base = (plane * h + i) * w + tap - p          // + ow·s is the pixel read
                            for group in tapGroups {
                                let first = group * 4, start = base + first * s
                                var value: SIMD4<Float>, position = SIMD4(repeating: Int32(truncatingIfNeeded: start)) &+ strides
                                var inside = SIMDMask<SIMD4<Int32>>(repeating: true)
                                if first >= valid.lowerBound && first + 4 <= valid.upperBound {
                                    value = SIMD4(x[start], x[start + s], x[start + 2 * s], x[start + 3 * s])
                                } else {
                                    let ow = SIMD4<Int32>(repeating: Int32(first)) &+ lanes
                                    inside = (ow .>= lower) .& (ow .< upper)
                                    position = SIMD4(repeating: Int32(truncatingIfNeeded: base))
                                        &+ ow.clamped(lowerBound: lower, upperBound: upper &- 1) &* Int32(s)
                                    value = SIMD4(x[Int(position[0])], x[Int(position[1])], x[Int(position[2])], x[Int(position[3])])
                                }
                                let current = best[group]
                                // value > current, or value is NaN; a NaN maximum stays.
                                let wins = inside .& .!(value .<= current) .& ((current .== current) .| (value .!= value))
                                best[group] = current.replacing(with: value, where: wins)
                                index[group] = index[group].replacing(with: position, where: wins)
                            }
                        }
                    }
                    let out = (plane * ho + oh) * wo
                    UnsafeMutableRawPointer(y + out).copyMemory(from: best, byteCount: wo * 4)
                    if let indices { UnsafeMutableRawPointer(indices + out).copyMemory(from: index, byteCount: wo * 4) }
                }
            }
        }
    }

    /// 2×2 max pooling with stride 2 and no padding (the common case), four outputs at a time
    /// from two rows of eight pixels; the last group of a row overlaps the previous one.
    private static func maxOfPairs(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                   _ indices: UnsafeMutablePointer<Int32>?, _ g: ConvGeometry, planes: Range<Int>) {
        let (h, w, ho, wo) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let even = SIMD4<Int32>(0, 2, 4, 6), lastGroup = wo - 4
        @inline(__always) func update(_ best: inout SIMD4<Float>, _ index: inout SIMD4<Int32>,
                                      _ value: SIMD4<Float>, _ position: SIMD4<Int32>) {
            let wins = .!(value .<= best) .& ((best .== best) .| (value .!= value))   // value > best, or NaN
            best.replace(with: value, where: wins)
            index.replace(with: position, where: wins)
        }
        for plane in planes {
            for oh in 0..<ho {
                let top = (plane * h + 2 * oh) * w, out = (plane * ho + oh) * wo
                var ow = 0
                while true {
                    let start = top + 2 * ow
                    let upper = UnsafeRawPointer(x + start).loadUnaligned(as: SIMD8<Float>.self)
                    let lower = UnsafeRawPointer(x + start + w).loadUnaligned(as: SIMD8<Float>.self)
                    var index = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: start)) &+ even
                    var best = upper.evenHalf
                    let below = Int32(truncatingIfNeeded: w)
                    update(&best, &index, upper.oddHalf, index &+ 1)
                    let first = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: start)) &+ even
                    update(&best, &index, lower.evenHalf, first &+ below)
                    update(&best, &index, lower.oddHalf, first &+ (below + 1))
                    UnsafeMutableRawPointer(y + out + ow).storeBytes(of: best, as: SIMD4<Float>.self)
                    if let indices { UnsafeMutableRawPointer(indices + out + ow).storeBytes(of: index, as: SIMD4<Int32>.self) }
                    if ow == lastGroup { break }
                    ow = Swift.min(ow + 4, lastGroup)
                }
            }
        }
    }

    /// Average pooling with `count_include_pad=True`.
    static func average(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (h, w, ho, wo) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let scale = 1 / Float(g.kernelHeight * g.kernelWidth)
        var out = 0
        for plane in 0..<(g.batch * g.inputChannels) {
            let p = x + plane * h * w
            for oh in 0..<ho {
                let rows = window(oh, g, size: h, kernel: g.kernelHeight)
                for ow in 0..<wo {
                    let columns = window(ow, g, size: w, kernel: g.kernelWidth)
                    var total: Float = 0
                    for i in rows { for j in columns { total += p[i * w + j] } }
                    y[out] = total * scale
                    out += 1
                }
            }
        }
    }

    /// The adjoint of `average`: `dx` is overwritten with the spread window values.
    static func averageTransposed(_ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        let (h, w, ho, wo) = (g.height, g.width, g.outputHeight, g.outputWidth)
        let scale = 1 / Float(g.kernelHeight * g.kernelWidth)
        dx.initialize(repeating: 0, count: g.batch * g.inputChannels * h * w)
        var out = 0
        for plane in 0..<(g.batch * g.inputChannels) {
            let p = dx + plane * h * w
            for oh in 0..<ho {
                let rows = window(oh, g, size: h, kernel: g.kernelHeight)
                for ow in 0..<wo {
                    let columns = window(ow, g, size: w, kernel: g.kernelWidth)
                    let value = dy[out] * scale
                    for i in rows { for j in columns { p[i * w + j] += value } }
                    out += 1
                }
            }
        }
    }
}
