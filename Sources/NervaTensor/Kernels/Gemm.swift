#if canImport(CBLAS)
import CBLAS
#elseif canImport(Accelerate)
import Accelerate
#endif

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
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
                    beta, c, Int32(n))
    }
}
