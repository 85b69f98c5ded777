import Foundation
import NervaNN
import Testing

@testable import NervaFed

@Suite struct DifferentialPrivacyTests {
    @Test func settingsMustBeFinite() {
        #expect(throws: ConfigurationError.self) {
            try DifferentialPrivacy.validate(clippingNorm: .nan, noiseMultiplier: 0)
        }
        #expect(throws: ConfigurationError.self) {
            try DifferentialPrivacy.validate(clippingNorm: .infinity, noiseMultiplier: 0)
        }
        #expect(throws: ConfigurationError.self) {
            try DifferentialPrivacy.validate(clippingNorm: 1, noiseMultiplier: .infinity)
        }
        #expect(throws: Never.self) { try DifferentialPrivacy.validate(clippingNorm: 1, noiseMultiplier: 0) }
    }

    @Test func clippingBoundsTheNorm() {
        let privacy = DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 0)
        var large: [Float] = [3, 4]
        #expect(privacy.clip(&large) == 5)
        #expect(abs(large[0] - 0.6) < 1e-6 && abs(large[1] - 0.8) < 1e-6)
        var small: [Float] = [0.3, 0.4]
        privacy.clip(&small)
        #expect(small == [0.3, 0.4])
        // Without noise the private mean is the mean of clipped updates.
        let mean = privacy.privateMean(of: [[3, 4], [0.3, 0.4]], generator: RandomGenerator(seed: 1))
        #expect(abs(mean[0] - 0.45) < 1e-6 && abs(mean[1] - 0.6) < 1e-6)
    }

    @Test func noiseHasTheDocumentedScale() {
        let privacy = DifferentialPrivacy(clippingNorm: 2, noiseMultiplier: 1.5)
        // σ = z·S/m = 1.5 · 2 / 4 = 0.75.
        #expect(privacy.noiseStandardDeviation(participants: 4) == 0.75)
        let zeros = Array(repeating: [Float](repeating: 0, count: 20_000), count: 4)
        let noised = privacy.privateMean(of: zeros, generator: RandomGenerator(seed: 2))
        let mean = noised.reduce(0.0) { $0 + Double($1) } / Double(noised.count)
        let deviation = (noised.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(noised.count) - mean * mean)
            .squareRoot()
        #expect(abs(mean) < 0.02 && abs(deviation - 0.75) < 0.02, "mean \(mean), deviation \(deviation)")
    }

    @Test func epsilonGrowsWithRoundsAndShrinksWithNoise() {
        let privacy = DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 1)
        let few = privacy.epsilon(rounds: 10, delta: 1e-5), many = privacy.epsilon(rounds: 100, delta: 1e-5)
        #expect(few > 0 && many > few)
        #expect(DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 4).epsilon(rounds: 100, delta: 1e-5) < many)
        // One round of z = 1 at δ = 1e-5: the RDP bound min_α α/2 + log(1e5)/(α − 1) ≈ 5.3.
        #expect(abs(privacy.epsilon(rounds: 1, delta: 1e-5) - 5.30) < 0.05)
        #expect(DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 0).epsilon(rounds: 1, delta: 1e-5) == .infinity)
    }

    @Test func dpFedAvgStillLearnsWithModerateNoise() throws {
        let data = SimulationTests.toyData(count: 800, seed: 1), test = SimulationTests.toyData(count: 200, seed: 2)
        let strategy = try DifferentiallyPrivateStrategy(
            wrapping: FederatedStrategy.fedAvg(clientSettings: SimulationTests.settings, seed: 1),
            privacy: DifferentialPrivacy(clippingNorm: 2, noiseMultiplier: 0.5))
        #expect(strategy.name == "DP-FedAvg")
        let simulation = try SimulationTests.simulation(
            SimulationTests.participants(data, clients: 8), strategy: strategy,
            concurrency: 2, test: test)
        let reports = try simulation.run(rounds: 6)
        #expect(reports.last?.trainMetrics["noise_standard_deviation"] == 0.125)
        #expect((reports.last?.centralEvaluation?.metrics["accuracy"] ?? 0) > 0.8)
    }
}
