/// Weighted alternating least squares for implicit feedback (Hu, Koren & Volinsky, ICDM 2008):
/// minimises `Σ_{u,i} c_ui (p_ui − x_uᵀ y_i)² + λ(‖X‖² + ‖Y‖²)` over all pairs, with preference
/// `p_ui = 1` for seen pairs (0 otherwise) and confidence `c_ui = 1 + α r_ui`. Each half-step
/// solves one small ridge regression per user (item) using the `YᵀY` trick, so a user costs only
/// their own items: by default approximately, with a few conjugate-gradient steps warm-started
/// from the previous factors (Takács, Pilászy & Tikk, RecSys 2011, as `implicit` does), or
/// exactly by Cholesky factorisation.
public final class WeightedALS: FactorRecommender {
    /// How each half-step solves its ridge regressions.
    public enum Solver: Sendable, Codable, Equatable {
        /// `steps` conjugate-gradient steps per user (item) from the previous factors (`implicit`: 3).
        case conjugateGradient(steps: Int)
        /// The exact solution, by Cholesky factorisation (O(k³) per user; slow for large k).
        case exact
    }

    public struct Settings: Sendable, Codable, Equatable {
        public var factors = 64
        public var iterations = 15
        public var regularization: Float = 0.1
        /// Confidence scaling α.
        public var alpha: Float = 10
        public var seed: UInt64 = 0
        /// The per-user solver (default: 3 conjugate-gradient steps).
        public var solver = Solver.conjugateGradient(steps: 3)
        public init() {}

        /// Checks every setting; throws `ConfigurationError` naming the first one out of range.
        public func validate() throws {
            try ConfigurationError.check("factors", factors, atLeast: 1)
            try ConfigurationError.check("iterations", iterations, atLeast: 1)
            try ConfigurationError.check("regularization", regularization, positive: false)
            try ConfigurationError.check("alpha", alpha, positive: false)
            if case .conjugateGradient(let steps) = solver {
                try ConfigurationError.check("conjugate-gradient steps", steps, atLeast: 1)
                try ConfigurationError.require(
                    steps <= 1_000, "conjugate-gradient steps", steps, allowed: "at most 1000")
            }
        }

        /// The solver as recorded in settings tables: "cg-3" or "exact".
        public var solverName: String {
            switch solver {
            case .conjugateGradient(let steps): return "cg-\(steps)"
            case .exact: return "exact"
            }
        }
    }

    public let settings: Settings

    public init(train: InteractionDataset, settings: Settings = Settings()) {
        self.settings = settings
        let k = settings.factors, rng = RandomGenerator(seed: settings.seed)
        let users = train.userCount, items = train.itemCount
        var x = (0..<(users * k)).map { _ in rng.normal() * 0.01 }
        var y = (0..<(items * k)).map { _ in rng.normal() * 0.01 }
        let byUser = UserItemMatrix(train), byItem = UserItemMatrix.transposed(train)
        for _ in 0..<settings.iterations {
            WeightedALS.solve(rows: byUser, fixed: y, into: &x, factors: k, settings: settings)
            WeightedALS.solve(rows: byItem, fixed: x, into: &y, factors: k, settings: settings)
        }
        super.init(name: "als", users: users, items: items, factors: k, userFactors: x, itemFactors: y)
    }

    /// One half-step: for every row r, `(FᵀF + λI + Σ_{j∈r} α r_j f_j f_jᵀ) w_r = Σ_{j∈r} (1 + α r_j) f_j`,
    /// solved as `settings.solver` says; `target` holds the previous factors on entry.
    static func solve(
        rows: UserItemMatrix, fixed: [Float], into target: inout [Float], factors k: Int, settings: Settings
    ) {
        switch settings.solver {
        case .conjugateGradient(let steps):
            ConjugateGradientHalfStep(
                rows: rows, fixed: fixed, factors: k, alpha: settings.alpha,
                regularization: settings.regularization
            ).run(steps: steps, updating: &target)
        case .exact:
            solveExactly(rows: rows, fixed: fixed, into: &target, factors: k, settings: settings)
        }
    }

    /// The exact half-step: one Cholesky solve per row.
    static func solveExactly(
        rows: UserItemMatrix, fixed: [Float], into target: inout [Float], factors k: Int,
        settings: Settings
    ) {
        let gram = ConjugateGradientHalfStep.gram(
            fixed, rows: rows.itemCount, factors: k, regularization: settings.regularization
        ).map { Double($0) }
        var a = [Double](repeating: 0, count: k * k), b = [Double](repeating: 0, count: k)
        for row in 0..<rows.userCount {
            for index in 0..<(k * k) { a[index] = gram[index] }
            for d in 0..<k { b[d] = 0 }
            for (column, value) in zip(rows.items(of: row), rows.ratings(of: row)) {
                let confidence = Double(settings.alpha * value)
                let base = Int(column) * k
                for d in 0..<k {
                    let fd = Double(fixed[base + d])
                    b[d] += (1 + confidence) * fd
                    let scaled = confidence * fd
                    for e in 0...d { a[d * k + e] += scaled * Double(fixed[base + e]) }
                }
            }
            for d in 0..<k { for e in (d + 1)..<max(d + 1, k) { a[d * k + e] = a[e * k + d] } }
            let w = choleskySolve(&a, b, k)
            for d in 0..<k { target[row * k + d] = Float(w[d]) }
        }
    }

    /// Solves `A w = b` for a symmetric positive definite `A` (overwritten by its factor).
    static func choleskySolve(_ a: inout [Double], _ b: [Double], _ n: Int) -> [Double] {
        for j in 0..<n {
            var diagonal = a[j * n + j]
            for p in 0..<j { diagonal -= a[j * n + p] * a[j * n + p] }
            let root = max(diagonal, 1e-12).squareRoot()
            a[j * n + j] = root
            for i in (j + 1)..<max(j + 1, n) {
                var s = a[i * n + j]
                for p in 0..<j { s -= a[i * n + p] * a[j * n + p] }
                a[i * n + j] = s / root
            }
        }
        var z = b
        for i in 0..<n {
            for p in 0..<i { z[i] -= a[i * n + p] * z[p] }
            z[i] /= a[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for p in (i + 1)..<max(i + 1, n) { z[i] -= a[p * n + i] * z[p] }
            z[i] /= a[i * n + i]
        }
        return z
    }
}
