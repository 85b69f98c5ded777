/// Copy kernels that move elements between layouts: permutation, slicing and concatenation.
/// Slices and concatenations view a tensor as `[outer, axis, inner]` and copy whole blocks.
enum Layout {
    /// A copy of `x` with its axes in the order `axes`.
    static func permute(_ x: Tensor, _ axes: [Int]) -> Tensor {
        let inShape = x.shape, inStrides = Shape.strides(inShape)
        let outShape = axes.map { inShape[$0] }
        let out = Tensor(uninitializedShape: outShape)
        let src = x.dense, dst = out.storage.base
        let total = out.scalarCount
        guard total > 0 else { return out }
        let strides = axes.map { inStrides[$0] } // input stride of each output axis
        if outShape.count == 2 {
            transpose2D(src, dst, rows: inShape[0], columns: inShape[1])
            return out
        }
        let inner = outShape.last!, innerStride = strides.last!
        let outerShape = Array(outShape.dropLast())
        var index = [Int](repeating: 0, count: outerShape.count)
        var offset = 0, written = 0
        while written < total {
            let d = dst + written, s = src + offset
            for i in 0..<inner { d[i] = s[i * innerStride] }
            written += inner
            var axis = outerShape.count - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < outerShape[axis] { break }
                offset -= strides[axis] * outerShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }

    /// Cache-blocked transpose of a `rows × columns` matrix.
    static func transpose2D(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        let block = 32
        for r0 in stride(from: 0, to: rows, by: block) {
            for c0 in stride(from: 0, to: columns, by: block) {
                for r in r0..<Swift.min(r0 + block, rows) {
                    for c in c0..<Swift.min(c0 + block, columns) { dst[c * rows + r] = src[r * columns + c] }
                }
            }
        }
    }

    /// The extent of `shape` before and after `axis`.
    static func split(_ shape: [Int], at axis: Int) -> (outer: Int, inner: Int) {
        (Shape.count(Array(shape[..<axis])), Shape.count(Array(shape[(axis + 1)...])))
    }

    /// The elements of `x` whose index along `axis` is in `range`.
    static func slice(_ x: Tensor, axis: Int, _ range: Range<Int>) -> Tensor {
        var outShape = x.shape
        outShape[axis] = range.count
        let out = Tensor(uninitializedShape: outShape)
        let (outer, inner) = split(x.shape, at: axis)
        let n = x.shape[axis], block = range.count * inner
        let src = x.dense, dst = out.storage.base
        for o in 0..<outer {
            (dst + o * block).update(from: src + (o * n + range.lowerBound) * inner, count: block)
        }
        return out
    }

    /// `tensors` joined along `axis` (shapes already checked).
    static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        var outShape = tensors[0].shape
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let out = Tensor(uninitializedShape: outShape)
        let (outer, inner) = split(outShape, at: axis)
        let outBlock = outShape[axis] * inner
        var start = 0
        for t in tensors {
            let block = t.shape[axis] * inner
            let src = t.dense, dst = out.storage.base + start
            for o in 0..<outer { (dst + o * outBlock).update(from: src + o * block, count: block) }
            start += block
        }
        return out
    }
}
