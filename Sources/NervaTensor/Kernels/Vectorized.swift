import CNervaKernels

/// The backend's element-wise kernels (CNervaKernels: AVX-512, AVX2 or baseline, chosen at run
/// time), called on whole buffers and split across the cores above `ThreadBudget`'s threshold.
enum Vectorized {
    typealias Unary = (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int64) -> Void
    typealias Binary = (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int64) -> Void

    /// Calls `body` on contiguous shares of `0..<count`, in parallel when large enough.
    @inline(__always)
    static func forChunks(_ count: Int, _ body: (Range<Int>) -> Void) {
        let tasks = ThreadBudget.tasks(forWork: count)
        if tasks <= 1 {
            body(0..<count)
            return
        }
        Parallel.forEachPart(count: count, tasks: tasks) { _, range in body(range) }
    }

    /// `out[i] = kernel(x[i])`.
    @inline(__always)
    static func unary(_ x: Tensor, _ kernel: Unary) -> Tensor {
        let out = Tensor(uninitializedShape: x.shape)
        let src = x.dense, dst = out.storage.base
        forChunks(out.scalarCount) { r in kernel(src + r.lowerBound, dst + r.lowerBound, Int64(r.count)) }
        return out
    }

    /// `out[i] = kernel(a[i], b[i])` for two tensors of one shape.
    @inline(__always)
    static func binary(_ a: Tensor, _ b: Tensor, _ kernel: Binary) -> Tensor {
        let out = Tensor(uninitializedShape: a.shape)
        let pa = a.dense, pb = b.dense, dst = out.storage.base
        forChunks(out.scalarCount) { r in
            kernel(pa + r.lowerBound, pb + r.lowerBound, dst + r.lowerBound, Int64(r.count))
        }
        return out
    }

    /// `out = x · scale + shift`.
    @inline(__always)
    static func scaleShift(_ x: Tensor, scale: Float, shift: Float) -> Tensor {
        let out = Tensor(uninitializedShape: x.shape)
        let src = x.dense, dst = out.storage.base
        forChunks(out.scalarCount) { r in
            nerva_scale_shift(src + r.lowerBound, scale, shift, dst + r.lowerBound, Int64(r.count))
        }
        return out
    }
}
