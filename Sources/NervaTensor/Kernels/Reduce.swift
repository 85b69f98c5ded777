import CNervaKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reduction kernels over one (merged) axis of a tensor viewed as `[outer, n, inner]`.
enum Reduce {
    enum Kind { case sum, max }

    /// Sorted, distinct, non-negative axes.
    static func normalize(_ axes: [Int], rank: Int, _ op: StaticString) -> [Int] {
        Array(Set(axes.map { Shape.axis($0, rank: rank, op) })).sorted()
    }

    /// Reduces `x` over `axes`, keeping them as size-1 dimensions.
    static func reduce(_ x: Tensor, axes: [Int], _ kind: Kind) -> Tensor {
        var current = x
        // Runs of consecutive axes are merged into one, processed from the last run backwards.
        var runs: [Range<Int>] = []
        for axis in axes {
            if let last = runs.last, last.upperBound == axis {
                runs[runs.count - 1] = last.lowerBound..<(axis + 1)
            } else {
                runs.append(axis..<(axis + 1))
            }
        }
        for run in runs.reversed() { current = reduce(current, run, kind) }
        if axes.isEmpty { // a copy, never a view: results are independent of their inputs
            let copy = Tensor(uninitializedShape: x.shape)
            copy.storage.base.update(from: x.dense, count: x.scalarCount)
            return copy
        }
        return current
    }

    private static func reduce(_ x: Tensor, _ run: Range<Int>, _ kind: Kind) -> Tensor {
        let shape = x.shape
        let outer = Shape.count(Array(shape[..<run.lowerBound]))
        let n = Shape.count(Array(shape[run]))
        let inner = Shape.count(Array(shape[run.upperBound...]))
        var outShape = shape
        for axis in run { outShape[axis] = 1 }
        let out = Tensor(uninitializedShape: outShape)
        let src = x.dense, dst = out.storage.base
        precondition(n > 0 || kind == .sum, "max: cannot reduce an empty axis of shape \(shape).")
        if n == 0 {
            dst.initialize(repeating: 0, count: outer * inner)
            return out
        }
        for o in 0..<outer {
            let s = src + o * n * inner, d = dst + o * inner
            if inner == 1 {
                d[0] = kind == .sum ? sum(s, n) : maximum(s, n)
                continue
            }
            d.update(from: s, count: inner)
            for j in 1..<n {
                let row = s + j * inner
                switch kind {
                case .sum: for k in 0..<inner { d[k] += row[k] }
                case .max: for k in 0..<inner { d[k] = Swift.max(d[k], row[k]) }
                }
            }
        }
        return out
    }

    /// The sum of `n` contiguous floats: the backend's vectorised kernel, on every core for long
    /// vectors (the parts are added in order, so the result depends only on the thread count).
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        let tasks = ThreadBudget.tasks(forWork: n)
        guard tasks > 1 else { return nerva_sum(p, Int64(n)) }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: tasks) { parts in
            Parallel.forEachPart(count: n, tasks: tasks) { task, range in
                parts[task] = nerva_sum(p + range.lowerBound, Int64(range.count))
            }
            return parts.reduce(0, +)
        }
    }

    /// The largest of `n` contiguous floats (NaN propagates).
    static func maximum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = p[0]
        for i in 1..<Swift.max(n, 1) where !(p[i] <= m) { m = p[i] }
        return m
    }

    /// Index of the largest element along `axis` (first one on ties), as floats, keeping the axis.
    static func argmax(_ x: Tensor, axis: Int) -> Tensor {
        let (outer, inner) = Layout.split(x.shape, at: axis)
        let n = x.shape[axis]
        precondition(n > 0, "argmax: cannot reduce an empty axis of shape \(x.shape).")
        var outShape = x.shape
        outShape[axis] = 1
        let out = Tensor(uninitializedShape: outShape)
        let src = x.dense, dst = out.storage.base
        for o in 0..<outer {
            for k in 0..<inner {
                let s = src + o * n * inner + k
                var best = 0, value = s[0]
                for j in 1..<n where s[j * inner] > value {
                    best = j
                    value = s[j * inner]
                }
                dst[o * inner + k] = Float(best)
            }
        }
        return out
    }

    /// Softmax (or log-softmax) along `axis`, max-shifted so that no exponential overflows.
    static func softmax(_ x: Tensor, axis: Int, logarithmic: Bool) -> Tensor {
        let (outer, inner) = Layout.split(x.shape, at: axis)
        let n = x.shape[axis]
        let out = Tensor(uninitializedShape: x.shape)
        let src = x.dense, dst = out.storage.base
        for o in 0..<outer {
            if inner == 1 {
                softmaxRow(src + o * n, dst + o * n, n, logarithmic: logarithmic)
                continue
            }
            for k in 0..<inner {
                let s = src + o * n * inner + k, d = dst + o * n * inner + k
                var m = -Float.infinity
                for j in 0..<n { m = Swift.max(m, s[j * inner]) }
                if m == -.infinity { m = 0 }
                var total: Float = 0
                for j in 0..<n {
                    let e = VectorMath.exp(s[j * inner] - m)
                    if !logarithmic { d[j * inner] = e }
                    total += e
                }
                let logTotal = logf(total), scale = 1 / total
                for j in 0..<n { d[j * inner] = logarithmic ? (s[j * inner] - m) - logTotal : d[j * inner] * scale }
            }
        }
        return out
    }

    /// Softmax of one contiguous row, vectorised.
    private static func softmaxRow(
        _ s: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int, logarithmic: Bool
    ) {
        var m = maximum(s, n)
        if m == -.infinity { m = 0 }
        for j in 0..<n { d[j] = VectorMath.exp(s[j] - m) }
        let total = sum(d, n)
        if logarithmic {
            let logTotal = logf(total) // (x − m) − log Σ: exact where x = m, as PyTorch
            for j in 0..<n { d[j] = (s[j] - m) - logTotal }
        } else {
            let scale = 1 / total
            for j in 0..<n { d[j] *= scale }
        }
    }
}
