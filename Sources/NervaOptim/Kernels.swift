import NervaTensor

// Helpers for the optimisers' fused update loops.

/// Raw element pointers of several tensors at once, for fused update loops.
@inline(__always)
func withPointers(_ a: Tensor, _ b: Tensor, _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void)
{
    a.withUnsafeMutableBufferPointer { pa in
        b.withUnsafeMutableBufferPointer { pb in body(pa.baseAddress!, pb.baseAddress!) }
    }
}

@inline(__always)
func withPointers(
    _ a: Tensor, _ b: Tensor, _ c: Tensor,
    _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
) {
    withPointers(a, b) { pa, pb in c.withUnsafeMutableBufferPointer { pc in body(pa, pb, pc.baseAddress!) } }
}

@inline(__always)
func withPointers(
    _ a: Tensor, _ b: Tensor, _ c: Tensor, _ d: Tensor,
    _ body: (
        UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
        UnsafeMutablePointer<Float>
    ) -> Void
) {
    withPointers(a, b, c) { pa, pb, pc in d.withUnsafeMutableBufferPointer { pd in body(pa, pb, pc, pd.baseAddress!) } }
}

/// Calls `body(row, gradientRow)` for every stored row of a coalesced row-sparse gradient, with
/// `rowSize` elements each.
func forEachSparseRow(
    _ gradient: Tensor, _ body: (_ row: Int, _ values: UnsafeMutablePointer<Float>, _ rowSize: Int) -> Void
) {
    let coalesced = gradient.coalesced()
    let rows = coalesced.sparseRowIndices ?? []
    let rowSize = gradient.shape.dropFirst().reduce(1, *)
    coalesced.withUnsafeMutableBufferPointer { values in
        for (i, row) in rows.enumerated() { body(row, values.baseAddress! + i * rowSize, rowSize) }
    }
}
