import Foundation
import NervaGAN
import Testing

@Suite struct GANEvaluationTests {
    /// One confident prediction per sample, `counts[k]` samples in class k.
    static func confident(_ counts: [Int]) -> Tensor {
        let k = counts.count, n = counts.reduce(0, +)
        var values = [Float](repeating: 0, count: n * k), row = 0
        for (label, count) in counts.enumerated() {
            for _ in 0..<count {
                values[row * k + label] = 1
                row += 1
            }
        }
        return Tensor(values, shape: [n, k])
    }

    @Test func balancedConfidentSamplesScoreTheClassCount() {
        let p = Self.confident([5, 5, 5, 5, 5, 5, 5, 5, 5, 5])
        #expect(abs(GANEvaluator.inceptionScore(p) - 10) < 1e-9)
        let histogram = GANEvaluator.histogram(p, classCount: 10)
        #expect(histogram == Array(repeating: 5, count: 10))
        #expect(GANEvaluator.coveredClasses(histogram) == 10)
        #expect(abs(GANEvaluator.klFromUniform(histogram)) < 1e-12)
    }

    @Test func aCollapsedSetScoresOneAndLogKFromUniform() {
        let p = Self.confident([0, 0, 0, 0, 0, 0, 0, 40, 0, 0])
        #expect(abs(GANEvaluator.inceptionScore(p) - 1) < 1e-9)
        let histogram = GANEvaluator.histogram(p, classCount: 10)
        #expect(GANEvaluator.coveredClasses(histogram) == 1)
        #expect(abs(GANEvaluator.klFromUniform(histogram) - log(10)) < 1e-12)
    }

    @Test func uncertainPredictionsScoreOne() {
        // p(y|x) = p(y) for every x: KL is 0, the score exp(0) = 1.
        let p = Tensor.full([20, 4], value: 0.25)
        #expect(abs(GANEvaluator.inceptionScore(p) - 1) < 1e-6)
    }

    @Test func klFromUniformOfAHandComputedHistogram() {
        // p̂ = (1/2, 1/4, 1/4, 0): Σ p log(4p) = ½ log 2 + 2 · ¼ log 1 = ½ log 2.
        #expect(abs(GANEvaluator.klFromUniform([2, 1, 1, 0]) - 0.5 * log(2)) < 1e-12)
        // 9 of 400 in a class is below a tenth of the uniform share (100): not covered.
        #expect(GANEvaluator.coveredClasses([362, 29, 0, 9]) == 2)
    }

    @Test func latentDistributionsAreSeededAndInRange() {
        let a = LatentDistribution.uniform.sample(count: 100, size: 10, generator: RandomGenerator(seed: 1))
        let b = LatentDistribution.uniform.sample(count: 100, size: 10, generator: RandomGenerator(seed: 1))
        #expect(a.scalars == b.scalars)
        #expect(a.scalars.allSatisfy { $0 >= 0 && $0 < 1 })
        let normal = LatentDistribution.normal.sample(count: 1000, size: 10, generator: RandomGenerator(seed: 2))
            .scalars
        let mean = normal.reduce(0, +) / Float(normal.count)
        let variance = normal.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(normal.count)
        #expect(abs(mean) < 0.05 && abs(variance - 1) < 0.05)
    }
}
