/// One half-step of weighted ALS by conjugate gradient (Takács, Pilászy & Tikk, "Applications of
/// the conjugate gradient method for implicit feedback collaborative filtering", RecSys 2011), as
/// the `implicit` package does it: for each row r (a user, or an item), a few CG steps on
///
/// ```
/// A_r w = b_r,  A_r = G + Σ_{j∈r} (c_j − 1) f_j f_jᵀ,  b_r = Σ_{j∈r} c_j f_j,  G = FᵀF + λI
/// ```
/// warm-started from the previous `w_r`, with `c_j = 1 + α r_j`. `A_r` is never formed: a product
/// `A_r p` costs `G p` plus two passes over the row's own entries. All rows step together, so the
/// dense part of every step, `P G` for all rows at once, is one matrix product of the engine;
/// the sparse part runs on the engine's worker pool.
struct ConjugateGradientHalfStep {
    let rows: UserItemMatrix
    let fixed: [Float]
    let factors: Int
    let alpha: Float
    let regularization: Float

    /// A residual norm² below this means the row has converged (as `implicit`).
    static let tolerance: Float = 1e-20

    /// `FᵀF + λI` for the `rows × factors` matrix `f`, by the engine.
    static func gram(_ f: [Float], rows: Int, factors k: Int, regularization: Float) -> [Float] {
        var gram = [Float](repeating: 0, count: k * k)
        f.withUnsafeBufferPointer { fb in
            gram.withUnsafeMutableBufferPointer { gb in
                guard let a = fb.baseAddress, let c = gb.baseAddress else { return }
                LinearAlgebra.multiply(a, transposingA: true, a, into: c, m: k, n: k, k: rows)
            }
        }
        for d in 0..<k { gram[d * k + d] += regularization }
        return gram
    }

    /// Runs `steps` CG steps for every row from `target`'s current factors, updating them.
    func run(steps: Int, updating target: inout [Float]) {
        let k = factors
        let count = rows.userCount
        guard count > 0, k > 0 else { return }
        let gram = Self.gram(fixed, rows: rows.itemCount, factors: k, regularization: regularization)
        var residual = [Float](repeating: 0, count: count * k)
        var direction = [Float](repeating: 0, count: count * k)
        var product = [Float](repeating: 0, count: count * k)
        var residualNorm = [Float](repeating: 0, count: count) // rᵀr per row; 0 once converged
        let entryWork = rows.columns.count * k * 2 + count * k
        let tasks = ThreadBudget.tasks(forWork: entryWork)
        fixed.withUnsafeBufferPointer { fixedBuffer in
            gram.withUnsafeBufferPointer { gramBuffer in
                target.withUnsafeMutableBufferPointer { xBuffer in
                    residual.withUnsafeMutableBufferPointer { rBuffer in
                        direction.withUnsafeMutableBufferPointer { pBuffer in
                            product.withUnsafeMutableBufferPointer { apBuffer in
                                residualNorm.withUnsafeMutableBufferPointer { normBuffer in
                                    let f = fixedBuffer.baseAddress!
                                    let g = gramBuffer.baseAddress!
                                    let x = xBuffer.baseAddress!
                                    let r = rBuffer.baseAddress!
                                    let p = pBuffer.baseAddress!
                                    let ap = apBuffer.baseAddress!
                                    let norms = normBuffer.baseAddress!
                                    // r = b − A x = −X G + Σ_j (c_j − (c_j − 1) f_jᵀx) f_j   (G is symmetric)
                                    LinearAlgebra.multiply(x, g, into: r, m: count, n: k, k: k, alpha: -1)
                                    ThreadBudget.forEachPart(count: count, tasks: tasks) { _, part in
                                        for row in part {
                                            startRow(
                                                row, f: f, x: x + row * k, r: r + row * k, p: p + row * k,
                                                norm: norms + row)
                                        }
                                    }
                                    for _ in 0..<steps {
                                        LinearAlgebra.multiply(p, g, into: ap, m: count, n: k, k: k)
                                        ThreadBudget.forEachPart(count: count, tasks: tasks) { _, part in
                                            for row in part where norms[row] > 0 {
                                                stepRow(
                                                    row, f: f, x: x + row * k, r: r + row * k, p: p + row * k,
                                                    ap: ap + row * k, norm: norms + row)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Completes `r = b − A x` for `row` (its `−G x` part is in `r`), sets `p = r` and the norm.
    @inline(__always)
    private func startRow(
        _ row: Int, f: UnsafePointer<Float>, x: UnsafeMutablePointer<Float>,
        r: UnsafeMutablePointer<Float>, p: UnsafeMutablePointer<Float>, norm: UnsafeMutablePointer<Float>
    ) {
        let k = factors
        rows.columns.withUnsafeBufferPointer { columns in
            rows.values.withUnsafeBufferPointer { values in
                for entry in rows.rowStart[row]..<rows.rowStart[row + 1] {
                    let confidence = 1 + alpha * values[entry]
                    let y = f + Int(columns[entry]) * k
                    let scale = confidence - (confidence - 1) * Self.dot(y, x, k)
                    Self.addScaled(y, scale, to: r, k)
                }
            }
        }
        p.update(from: r, count: k)
        let squared = Self.dot(r, r, k)
        norm.pointee = squared < Self.tolerance ? 0 : squared
    }

    /// One CG step for `row`; `ap` holds `G p` on entry.
    @inline(__always)
    private func stepRow(
        _ row: Int, f: UnsafePointer<Float>, x: UnsafeMutablePointer<Float>, r: UnsafeMutablePointer<Float>,
        p: UnsafeMutablePointer<Float>, ap: UnsafeMutablePointer<Float>, norm: UnsafeMutablePointer<Float>
    ) {
        let k = factors
        rows.columns.withUnsafeBufferPointer { columns in
            rows.values.withUnsafeBufferPointer { values in
                for entry in rows.rowStart[row]..<rows.rowStart[row + 1] {
                    let y = f + Int(columns[entry]) * k
                    Self.addScaled(y, alpha * values[entry] * Self.dot(y, p, k), to: ap, k)
                }
            }
        }
        let curvature = Self.dot(p, ap, k)
        guard curvature > 0, curvature.isFinite else {
            norm.pointee = 0
            return
        }
        let previous = norm.pointee
        let stepSize = previous / curvature
        Self.addScaled(p, stepSize, to: x, k)
        Self.addScaled(ap, -stepSize, to: r, k)
        let squared = Self.dot(r, r, k)
        guard squared >= Self.tolerance else {
            norm.pointee = 0
            return
        }
        let beta = squared / previous
        for d in 0..<k { p[d] = r[d] + beta * p[d] }
        norm.pointee = squared
    }

    /// `Σ a_d b_d` over `k` values, eight lanes at a time.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ k: Int) -> Float {
        var lanes = SIMD8<Float>()
        var d = 0
        let rawA = UnsafeRawPointer(a)
        let rawB = UnsafeRawPointer(b)
        while d + 8 <= k {
            let va = rawA.loadUnaligned(fromByteOffset: d * 4, as: SIMD8<Float>.self)
            let vb = rawB.loadUnaligned(fromByteOffset: d * 4, as: SIMD8<Float>.self)
            lanes += va * vb // not addingProduct: without FMA in the baseline ISA that is a libm call per lane
            d += 8
        }
        var sum = lanes.sum()
        while d < k {
            sum += a[d] * b[d]
            d += 1
        }
        return sum
    }

    /// `y += s a` over `k` values, eight lanes at a time.
    @inline(__always)
    static func addScaled(_ a: UnsafePointer<Float>, _ s: Float, to y: UnsafeMutablePointer<Float>, _ k: Int) {
        var d = 0
        let rawA = UnsafeRawPointer(a)
        let rawY = UnsafeMutableRawPointer(y)
        let scale = SIMD8<Float>(repeating: s)
        while d + 8 <= k {
            let va = rawA.loadUnaligned(fromByteOffset: d * 4, as: SIMD8<Float>.self)
            let vy = rawY.loadUnaligned(fromByteOffset: d * 4, as: SIMD8<Float>.self)
            rawY.storeBytes(of: vy + va * scale, toByteOffset: d * 4, as: SIMD8<Float>.self)
            d += 8
        }
        while d < k {
            y[d] += s * a[d]
            d += 1
        }
    }
}
