import NervaTensor

/// The mean and covariance of a set of feature vectors, in double precision: the Gaussian fit
/// that the Fréchet distance compares.
public struct GaussianStatistics: Sendable, Equatable {
    /// `μ`, `[d]`.
    public let mean: [Double]
    /// `Σ`, `d × d` row-major, the unbiased sample covariance (divisor `n − 1`).
    public let covariance: [Double]
    /// The number of vectors fitted.
    public let count: Int

    /// The dimension `d`.
    public var dimension: Int { mean.count }

    /// Fits features `[n, d]` (`n ≥ 2`).
    public init(features: Tensor) {
        precondition(
            features.rank == 2 && features.shape[0] >= 2,
            "GaussianStatistics: expected features [n ≥ 2, d], got \(features.shape).")
        let (n, d) = (features.shape[0], features.shape[1])
        var mean = [Double](repeating: 0, count: d)
        var covariance = [Double](repeating: 0, count: d * d)
        features.withUnsafeBufferPointer { x in
            for row in 0..<n { for j in 0..<d { mean[j] += Double(x[row * d + j]) } }
            for j in 0..<d { mean[j] /= Double(n) }
            var centered = [Double](repeating: 0, count: d)
            covariance.withUnsafeMutableBufferPointer { c in
                for row in 0..<n {
                    for j in 0..<d { centered[j] = Double(x[row * d + j]) - mean[j] }
                    for i in 0..<d {
                        let ci = centered[i]
                        if ci == 0 { continue }
                        for j in i..<d { c[i * d + j] += ci * centered[j] }
                    }
                }
                for i in 0..<d {
                    for j in i..<d {
                        c[i * d + j] /= Double(n - 1)
                        c[j * d + i] = c[i * d + j]
                    }
                }
            }
        }
        self.init(mean: mean, covariance: covariance, count: n)
    }

    /// Statistics given directly (`covariance` symmetric, `d × d`).
    public init(mean: [Double], covariance: [Double], count: Int) {
        precondition(
            covariance.count == mean.count * mean.count,
            "GaussianStatistics: a \(mean.count)-dimensional mean needs \(mean.count * mean.count) covariance entries, got \(covariance.count)."
        )
        self.mean = mean
        self.covariance = covariance
        self.count = count
    }
}

/// The Fréchet distance between two Gaussians (Dowson & Landau 1982), the FID of Heusel et al. 2017
/// when they are fitted to classifier features:
///
/// ```
/// d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½)
/// ```
/// The matrix square roots are computed properly: `Σ₁^½` and `(Σ₁^½ Σ₂ Σ₁^½)^½` from symmetric
/// eigendecompositions (cyclic Jacobi, double precision), negative round-off eigenvalues clipped
/// to 0. `Tr((Σ₁^½ Σ₂ Σ₁^½)^½) = Tr((Σ₁Σ₂)^½)`, the form other implementations compute.
public func frechetDistance(_ a: GaussianStatistics, _ b: GaussianStatistics) -> Double {
    precondition(a.dimension == b.dimension, "frechetDistance: dimensions \(a.dimension) and \(b.dimension) differ.")
    let d = a.dimension
    var meanTerm = 0.0
    for i in 0..<d { meanTerm += (a.mean[i] - b.mean[i]) * (a.mean[i] - b.mean[i]) }
    var traces = 0.0
    for i in 0..<d { traces += a.covariance[i * d + i] + b.covariance[i * d + i] }
    let rootA = SymmetricMatrix.squareRoot(a.covariance, size: d)
    let product = SymmetricMatrix.multiply(SymmetricMatrix.multiply(rootA, b.covariance, size: d), rootA, size: d)
    let crossTrace = SymmetricMatrix.eigen(SymmetricMatrix.symmetrized(product, size: d), size: d).values
        .reduce(0) { $0 + Swift.max($1, 0).squareRoot() }
    return Swift.max(meanTerm + traces - 2 * crossTrace, 0)
}

/// Dense symmetric matrices in double precision, row-major: the linear algebra FID needs.
public enum SymmetricMatrix {
    /// The eigenvalues and eigenvectors of symmetric `matrix` (`size × size`) by cyclic Jacobi
    /// rotations, until the off-diagonal part is below `1e-15` of the matrix's norm.
    ///
    /// - Returns: eigenvalues, and eigenvectors as the columns of a row-major matrix
    ///   (`matrix = V diag(values) Vᵀ`).
    public static func eigen(_ matrix: [Double], size n: Int) -> (values: [Double], vectors: [Double]) {
        precondition(matrix.count == n * n, "SymmetricMatrix.eigen: expected \(n * n) entries, got \(matrix.count).")
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let norm = a.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in (i + 1)..<Swift.max(n, i + 1) { off += 2 * a[i * n + j] * a[i * n + j] } }
            if off <= 1e-30 * Swift.max(norm, 1e-300) { break }
            for p in 0..<n {
                for q in (p + 1)..<Swift.max(n, p + 1) {
                    let apq = a[p * n + q]
                    if Swift.abs(apq) < 1e-300 { continue }
                    // The rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1).
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (Swift.abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n { // columns p and q
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n { // rows p and q
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, v)
    }

    /// The symmetric positive semi-definite square root `V diag(√max(λ, 0)) Vᵀ`.
    public static func squareRoot(_ matrix: [Double], size n: Int) -> [Double] {
        let (values, vectors) = eigen(matrix, size: n)
        let roots = values.map { Swift.max($0, 0).squareRoot() }
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var sum = 0.0
                for k in 0..<n { sum += vectors[i * n + k] * roots[k] * vectors[j * n + k] }
                result[i * n + j] = sum
                result[j * n + i] = sum
            }
        }
        return result
    }

    /// The product of two `n × n` matrices.
    public static func multiply(_ a: [Double], _ b: [Double], size n: Int) -> [Double] {
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for k in 0..<n {
                let aik = a[i * n + k]
                if aik == 0 { continue }
                for j in 0..<n { result[i * n + j] += aik * b[k * n + j] }
            }
        }
        return result
    }

    /// `(M + Mᵀ) / 2`, removing round-off asymmetry.
    static func symmetrized(_ m: [Double], size n: Int) -> [Double] {
        var result = m
        for i in 0..<n { for j in 0..<n { result[i * n + j] = 0.5 * (m[i * n + j] + m[j * n + i]) } }
        return result
    }
}
