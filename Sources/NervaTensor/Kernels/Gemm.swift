#if canImport(CBLAS)
import CBLAS
#elseif canImport(Accelerate)
import Accelerate
#endif
import Synchronization

/// Matrix products on BLAS (`cblas_sgemm`): OpenBLAS on Linux, Accelerate on macOS.
enum Gemm {
    /// `c = alpha · op(a) · op(b) + beta · c` for row-major matrices, where `op(a)` is `m × k`
    /// (`a` stored `k × m` when transposed) and `op(b)` is `k × n`.
    @inline(__always)
    static func sgemm(_ a: UnsafePointer<Float>, transposeA: Bool, _ b: UnsafePointer<Float>, transposeB: Bool,
                      _ c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int,
                      alpha: Float = 1, beta: Float = 0) {
        guard m > 0 && n > 0 else { return }
        guard k > 0 else {
            if beta == 0 { c.initialize(repeating: 0, count: m * n) }
            else { for i in 0..<(m * n) { c[i] *= beta } }
            return
        }
        useThreads(forWork: m * n * k)
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
                    beta, c, Int32(n))
    }

    /// Products smaller than this many multiply-adds run on one thread: below it, waking and
    /// spinning OpenBLAS's worker threads costs more than they save (an MLP step at batch 64 runs
    /// about 1.4× faster, and idle workers stop burning the other core).
    static let multithreadingThreshold = 1 << 24

    #if canImport(CBLAS)
    private static let availableThreads = Int(openblas_get_num_threads())
    private static let currentThreads = Atomic<Int>(Int(openblas_get_num_threads()))

    /// Sets OpenBLAS's thread count for a product of `work` multiply-adds, when it changes.
    @inline(__always)
    private static func useThreads(forWork work: Int) {
        let wanted = work < multithreadingThreshold ? 1 : availableThreads
        if currentThreads.exchange(wanted, ordering: .relaxed) != wanted {
            openblas_set_num_threads(Int32(wanted))
        }
    }
    #else
    @inline(__always)
    private static func useThreads(forWork work: Int) {}
    #endif
}
