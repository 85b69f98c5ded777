import CNervaKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Element-wise kernels. Each is `@inline(__always)` with the scalar function as a closure, so every
/// call site gets its own specialised, vectorised loop: no per-element call, allocation or
/// reference counting.
enum Elementwise {
    /// `out[i] = f(x[i])`.
    @inline(__always)
    static func map(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: x.shape)
        let n = out.scalarCount, src = x.dense, dst = out.storage.base
        for i in 0..<n { dst[i] = f(src[i]) }
        return out
    }

    /// `out[i] = f(a[i], b[i])` with NumPy broadcasting; `kernel`, when given, computes the same
    /// function on whole rows with the backend's vectorised code.
    @inline(__always)
    static func zip(
        _ a: Tensor, _ b: Tensor, _ op: StaticString, kernel: Vectorized.Binary? = nil,
        _ f: (Float, Float) -> Float
    ) -> Tensor {
        let pa = a.dense, pb = b.dense
        if a.shape == b.shape, let kernel { return Vectorized.binary(a, b, kernel) }
        if a.shape == b.shape {
            let out = Tensor(uninitializedShape: a.shape)
            let n = out.scalarCount, dst = out.storage.base
            for i in 0..<n { dst[i] = f(pa[i], pb[i]) }
            return out
        }
        let plan = BroadcastPlan(a.shape, b.shape, op)
        let out = Tensor(uninitializedShape: plan.shape)
        let dst = out.storage.base
        let n = plan.inner
        plan.forEachRow { row, offsetA, offsetB in
            let o = dst + row * n, x = pa + offsetA, y = pb + offsetB
            switch (plan.innerStrideA, plan.innerStrideB) {
            case (1, 1):
                if let kernel { kernel(x, y, o, Int64(n)) } else { for i in 0..<n { o[i] = f(x[i], y[i]) } }
            case (1, _):
                let s = y[0]
                for i in 0..<n { o[i] = f(x[i], s) }
            case (_, 1):
                let s = x[0]
                for i in 0..<n { o[i] = f(s, y[i]) }
            default:
                let v = f(x[0], y[0])
                for i in 0..<n { o[i] = v }
            }
        }
        return out
    }

    /// `out[i] = f(a[i], b[i], c[i])` for three tensors of one shape.
    @inline(__always)
    static func zip3(_ a: Tensor, _ b: Tensor, _ c: Tensor, _ f: (Float, Float, Float) -> Float) -> Tensor {
        precondition(a.shape == b.shape && b.shape == c.shape, "shapes \(a.shape), \(b.shape) and \(c.shape) differ.")
        let out = Tensor(uninitializedShape: a.shape)
        let n = out.scalarCount, dst = out.storage.base, x = a.dense, y = b.dense, z = c.dense
        for i in 0..<n { dst[i] = f(x[i], y[i], z[i]) }
        return out
    }
}

/// How two shapes broadcast: the output shape, walked as rows of `inner` contiguous elements, with
/// each operand's offset per row and its stride (0 or 1) inside a row. Adjacent axes that both
/// operands traverse contiguously are merged first, so `[64, 256] + [256]` is 64 rows of 256.
struct BroadcastPlan {
    let shape: [Int]
    let inner: Int
    let innerStrideA: Int
    let innerStrideB: Int
    private let outer: [Int]
    private let outerStridesA: [Int]
    private let outerStridesB: [Int]

    init(_ a: [Int], _ b: [Int], _ op: StaticString) {
        shape = Shape.broadcast(a, b, op)
        var dims: [Int] = [], sa: [Int] = [], sb: [Int] = []
        let stridesA = Shape.broadcastStrides(a, to: shape), stridesB = Shape.broadcastStrides(b, to: shape)
        for axis in shape.indices where shape[axis] != 1 {
            if let last = dims.last,
                sa.last! == stridesA[axis] * shape[axis], sb.last! == stridesB[axis] * shape[axis]
            {
                dims[dims.count - 1] = last * shape[axis]
                sa[sa.count - 1] = stridesA[axis]
                sb[sb.count - 1] = stridesB[axis]
            } else {
                dims.append(shape[axis])
                sa.append(stridesA[axis])
                sb.append(stridesB[axis])
            }
        }
        if dims.isEmpty {
            dims = [1]
            sa = [0]
            sb = [0]
        }
        inner = dims.removeLast()
        innerStrideA = sa.removeLast()
        innerStrideB = sb.removeLast()
        outer = dims
        outerStridesA = sa
        outerStridesB = sb
    }

    /// Calls `body(row, offsetA, offsetB)` for every row of the output; rows of a large
    /// two-dimensional plan are shared among the cores (`body` must only write its own row).
    @inline(__always)
    func forEachRow(_ body: (Int, Int, Int) -> Void) {
        let rows = Shape.count(outer)
        if outer.count == 1 {
            let strideA = outerStridesA[0], strideB = outerStridesB[0]
            let tasks = ThreadBudget.tasks(forWork: rows * inner, maximumParts: rows)
            Parallel.forEachPart(count: rows, tasks: tasks) { _, share in
                for row in share { body(row, row * strideA, row * strideB) }
            }
            return
        }
        var index = [Int](repeating: 0, count: outer.count)
        var offsetA = 0, offsetB = 0
        for row in 0..<rows {
            body(row, offsetA, offsetB)
            var axis = outer.count - 1
            while axis >= 0 {
                index[axis] += 1
                offsetA += outerStridesA[axis]
                offsetB += outerStridesB[axis]
                if index[axis] < outer[axis] { break }
                offsetA -= outerStridesA[axis] * outer[axis]
                offsetB -= outerStridesB[axis] * outer[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
