import CNervaKernels

/// Matrix products on oneDNN's `dnnl_sgemm` (JIT kernels chosen from the CPU's features; Accelerate
/// on macOS). Mid-sized products are cut into blocks of rows (or columns) that `Parallel` runs on
/// the cores, one backend call per block; very large ones are one call with oneDNN's own threads
/// while Nerva's pool is reserved (oneDNN shares its packed panels between its threads). Either
/// way `ThreadBudget` decides, and no more threads than cores are busy.
enum Gemm {
    /// `c = alpha · op(a) · op(b) + beta · c` for row-major matrices, where `op(a)` is `m × k`
    /// (`a` stored `k × m` when transposed) and `op(b)` is `k × n`.
    @inline(__always)
    static func sgemm(
        _ a: UnsafePointer<Float>, transposeA: Bool, _ b: UnsafePointer<Float>, transposeB: Bool,
        _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
        alpha: Float = 1, beta: Float = 0
    ) {
        guard m > 0 && n > 0 else { return }
        guard k > 0 else {
            if beta == 0 { c.initialize(repeating: 0, count: m * n) } else { for i in 0..<(m * n) { c[i] *= beta } }
            return
        }
        let lda = transposeA ? m : k, ldb = transposeB ? k : n
        let work = m * n * k
        let tasks = ThreadBudget.tasks(forWork: work, maximumParts: Swift.max(m, n) / 16)
        if tasks <= 1 {
            call(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, n)
        } else if work >= largeProduct,
            ThreadBudget.withThreads(
                tasks,
                { threads in
                    guard threads > 1 else { return false }
                    call(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, n, threads: threads)
                    return true
                })
        {
            return
        } else if m >= n {
            // Blocks of rows of op(a) and c.
            Parallel.forEachPart(count: m, tasks: tasks) { _, rows in
                let blockA = transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda
                call(
                    transposeA, transposeB, rows.count, n, k, alpha, blockA, lda, b, ldb, beta,
                    c + rows.lowerBound * n, n)
            }
        } else {
            // Blocks of columns of op(b) and c.
            Parallel.forEachPart(count: n, tasks: tasks) { _, columns in
                let blockB = transposeB ? b + columns.lowerBound * ldb : b + columns.lowerBound
                call(
                    transposeA, transposeB, m, columns.count, k, alpha, a, lda, blockB, ldb, beta,
                    c + columns.lowerBound, n)
            }
        }
    }

    /// Products of at least this many multiply-adds (512³) run as one call on oneDNN's threads.
    static let largeProduct = 1 << 27

    @inline(__always)
    private static func call(
        _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, threads: Int = 1
    ) {
        let status = nerva_sgemm(
            transposeA ? 1 : 0, transposeB ? 1 : 0, Int64(m), Int64(n), Int64(k), alpha,
            a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc), Int32(threads))
        precondition(status == 0, "sgemm: the backend refused \(m)×\(n)×\(k) (status \(status)).")
    }
}

/// Matrix products on raw row-major buffers, for kernels outside the engine that manage their own
/// memory (fused scoring, nearest-neighbour search). Tensors have `matmul` and `linear`.
public enum LinearAlgebra {
    /// `c = alpha · op(a) · op(b) + beta · c`: `op(a)` is `m × k` (`a` stored `k × m` when
    /// `transposingA`), `op(b)` is `k × n`, `c` is `m × n`, all contiguous and row-major.
    public static func multiply(
        _ a: UnsafePointer<Float>, transposingA: Bool = false,
        _ b: UnsafePointer<Float>, transposingB: Bool = false,
        into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
        alpha: Float = 1, beta: Float = 0
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "multiply: negative dimensions \(m)×\(n)×\(k).")
        Gemm.sgemm(
            a, transposeA: transposingA, b, transposeB: transposingB, c, m: m, n: n, k: k, alpha: alpha, beta: beta)
    }

    /// `y = matrix · x + beta · y` for a `rows × columns` row-major matrix.
    public static func multiply(
        matrix: UnsafePointer<Float>, rows: Int, columns: Int, vector x: UnsafePointer<Float>,
        into y: UnsafeMutablePointer<Float>, beta: Float = 0
    ) {
        precondition(rows >= 0 && columns >= 0, "multiply: negative dimensions \(rows)×\(columns).")
        Gemm.sgemm(matrix, transposeA: false, x, transposeB: false, y, m: rows, n: 1, k: columns, beta: beta)
    }
}
