import NervaTensor

// Helpers for the optimisers' fused update loops.

/// Raw element pointers of several tensors at once, for fused update loops.
@inline(__always)
func withPointers(_ a: Tensor, _ b: Tensor, _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
    a.withUnsafeMutableBufferPointer { pa in b.withUnsafeMutableBufferPointer { pb in body(pa.baseAddress!, pb.baseAddress!) } }
}

@inline(__always)
func withPointers(_ a: Tensor, _ b: Tensor, _ c: Tensor,
                  _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
    withPointers(a, b) { pa, pb in c.withUnsafeMutableBufferPointer { pc in body(pa, pb, pc.baseAddress!) } }
}

@inline(__always)
func withPointers(_ a: Tensor, _ b: Tensor, _ c: Tensor, _ d: Tensor,
                  _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
    withPointers(a, b, c) { pa, pb, pc in d.withUnsafeMutableBufferPointer { pd in body(pa, pb, pc, pd.baseAddress!) } }
}

/// Calls `body(row, gradientRow)` for every stored row of a coalesced row-sparse gradient, with
/// `rowSize` elements each.
func forEachSparseRow(_ gradient: Tensor, _ body: (_ row: Int, _ values: UnsafeMutablePointer<Float>, _ rowSize: Int) -> Void) {
    let coalesced = gradient.coalesced()
    let rows = coalesced.sparseRowIndices ?? []
    let rowSize = gradient.shape.dropFirst().reduce(1, *)
    coalesced.withUnsafeMutableBufferPointer { values in
        for (i, row) in rows.enumerated() { body(row, values.baseAddress! + i * rowSize, rowSize) }
    }
}

extension SIMD8<Float> {
    @inline(__always)
    static func load(_ pointer: UnsafeMutablePointer<Float>) -> Self {
        UnsafeRawPointer(pointer).loadUnaligned(as: Self.self)
    }

    @inline(__always)
    func store(_ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: Self.self)
    }

    /// `√x` per lane, within one ulp (faithfully rounded): three Newton steps from the classic
    /// bit-trick estimate of `1/√x` and a final residual correction. The standard library's
    /// `squareRoot()` on SIMD vectors falls back to one `sqrtf` call per lane; this stays in
    /// vector registers. `0` gives `0`.
    @inline(__always)
    func faithfulSquareRoot() -> Self {
        let bits = unsafeBitCast(self, to: SIMD8<UInt32>.self)
        var y = unsafeBitCast(SIMD8<UInt32>(repeating: 0x5F37_5A86) &- (bits &>> 1), to: Self.self)
        let half = 0.5 * self
        y = y * (1.5 - half * y * y)
        y = y * (1.5 - half * y * y)
        y = y * (1.5 - half * y * y)
        let root = self * y
        return root + (0.5 * y) * (self - root * root)
    }
}
