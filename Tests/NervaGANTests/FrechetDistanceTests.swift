import Foundation
import NervaGAN
import Testing

@Suite struct FrechetDistanceTests {
    @Test func identicalFeatureSetsAreAtDistanceZero() {
        let features = Tensor.normal([500, 12], generator: RandomGenerator(seed: 3)) * 2 + 1
        let statistics = GaussianStatistics(features: features)
        #expect(abs(frechetDistance(statistics, statistics)) < 1e-8)
    }

    @Test func shiftedGaussiansMatchTheClosedForm() {
        // Diagonal covariances commute: d² = ‖μ₁ − μ₂‖² + Σᵢ (aᵢ + bᵢ − 2√(aᵢbᵢ)).
        let a: [Double] = [1, 4, 0.25], b: [Double] = [2, 1, 9]
        let first = GaussianStatistics(mean: [0, 0, 0], covariance: diagonal(a), count: 100)
        let second = GaussianStatistics(mean: [1, -2, 0.5], covariance: diagonal(b), count: 100)
        let expected = 1 + 4 + 0.25 + zip(a, b).reduce(0) { $0 + $1.0 + $1.1 - 2 * ($1.0 * $1.1).squareRoot() }
        #expect(abs(frechetDistance(first, second) - expected) < 1e-9)
        // Rotating both covariances by the same orthogonal matrix changes nothing.
        let rotation = rotation3(0.7)
        let rotatedA = GaussianStatistics(
            mean: first.mean, covariance: conjugate(diagonal(a), by: rotation), count: 100)
        let rotatedB = GaussianStatistics(
            mean: second.mean, covariance: conjugate(diagonal(b), by: rotation), count: 100)
        #expect(abs(frechetDistance(rotatedA, rotatedB) - expected) < 1e-9)
    }

    @Test func nonCommutingCovariancesMatchTheTraceOfTheProductRoot() {
        // Σ₁ = I: Tr((Σ₁Σ₂)^½) = Tr(Σ₂^½) = Σ √λ(Σ₂), whatever Σ₂'s eigenvectors.
        let b: [Double] = [4, 9, 0.25]
        let second = GaussianStatistics(
            mean: [0, 0, 0], covariance: conjugate(diagonal(b), by: rotation3(1.1)), count: 10)
        let first = GaussianStatistics(mean: [0, 0, 0], covariance: diagonal([1, 1, 1]), count: 10)
        let expected = 3 + (4 + 9 + 0.25) - 2 * (2 + 3 + 0.5)
        #expect(abs(frechetDistance(first, second) - expected) < 1e-9)
    }

    @Test func sampleStatisticsConvergeToThePopulationDistance() {
        // Two samples of N(0, I) and N(μ, I): FID → ‖μ‖² as n grows.
        let rng = RandomGenerator(seed: 5)
        let x = GaussianStatistics(features: Tensor.normal([20000, 4], generator: rng))
        let y = GaussianStatistics(features: Tensor.normal([20000, 4], generator: rng) + Tensor([1, 0, 0, 2]))
        #expect(abs(frechetDistance(x, y) - 5) < 0.1)
    }

    @Test func eigendecompositionReconstructsTheMatrix() {
        let n = 6, rng = RandomGenerator(seed: 8)
        let m = Tensor.normal([n, n], generator: rng).scalars.map(Double.init)
        var symmetric = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { symmetric[i * n + j] = m[i * n + j] + m[j * n + i] } }
        let (values, vectors) = SymmetricMatrix.eigen(symmetric, size: n)
        for i in 0..<n {
            for j in 0..<n {
                let rebuilt = (0..<n).reduce(0.0) { $0 + vectors[i * n + $1] * values[$1] * vectors[j * n + $1] }
                #expect(abs(rebuilt - symmetric[i * n + j]) < 1e-10)
            }
        }
        let root = SymmetricMatrix.squareRoot(SymmetricMatrix.multiply(symmetric, symmetric, size: n), size: n)
        let square = SymmetricMatrix.multiply(root, root, size: n)
        let product = SymmetricMatrix.multiply(symmetric, symmetric, size: n)
        for i in 0..<(n * n) { #expect(abs(square[i] - product[i]) < 1e-9) }
    }

    private func diagonal(_ values: [Double]) -> [Double] {
        let n = values.count
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n { result[i * n + i] = values[i] }
        return result
    }

    /// A rotation about the axis (1, 1, 1)/√3.
    private func rotation3(_ angle: Double) -> [Double] {
        let (c, s, t) = (cos(angle), sin(angle), 1 - cos(angle)), u = 1 / 3.0.squareRoot()
        return [
            t * u * u + c, t * u * u - s * u, t * u * u + s * u,
            t * u * u + s * u, t * u * u + c, t * u * u - s * u,
            t * u * u - s * u, t * u * u + s * u, t * u * u + c
        ]
    }

    /// `R M Rᵀ`.
    private func conjugate(_ m: [Double], by r: [Double]) -> [Double] {
        var transposed = r
        for i in 0..<3 { for j in 0..<3 { transposed[i * 3 + j] = r[j * 3 + i] } }
        return SymmetricMatrix.multiply(SymmetricMatrix.multiply(r, m, size: 3), transposed, size: 3)
    }
}
