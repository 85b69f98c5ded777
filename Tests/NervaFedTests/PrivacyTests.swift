import Foundation
import Testing
@testable import NervaFed

@Suite struct SecureAggregationTests {
    private func setup(count: Int, length: Int) -> (clients: [SecureAggregationClient], keys: [Int: UInt64], vectors: [[Float]]) {
        let generator = RandomGenerator(seed: 11)
        let clients = (0..<count).map { SecureAggregationClient(index: $0, generator: generator) }
        let keys = Dictionary(uniqueKeysWithValues: clients.map { ($0.index, $0.publicKey) })
        let vectors = (0..<count).map { _ in (0..<length).map { _ in generator.uniform(-2, 2) } }
        return (clients, keys, vectors)
    }

    private func plainSum(_ vectors: [[Float]]) -> [Float] {
        // The exact sum of the quantised vectors, which secure aggregation must reproduce bit for bit.
        let quantized = vectors.map { SecureAggregation.quantize($0) }
        var total = [UInt32](repeating: 0, count: vectors[0].count)
        for vector in quantized { for k in total.indices { total[k] = total[k] &+ vector[k] } }
        return SecureAggregation.dequantize(total)
    }

    @Test func maskedSumEqualsThePlainSum() {
        let (clients, keys, vectors) = setup(count: 5, length: 1000)
        let masked = Dictionary(uniqueKeysWithValues: clients.map { ($0.index, $0.masked(vectors[$0.index], publicKeys: keys)) })
        // A single masked vector reveals nothing recognisable of its input.
        let alone = SecureAggregation.dequantize(masked[0]!)
        #expect(zip(alone, vectors[0]).filter { abs($0 - $1) < 0.01 }.count < 10)
        let sum = SecureAggregationServer.sum(masked: masked, publicKeys: keys)
        #expect(sum == plainSum(vectors))
        let floatSum = (0..<1000).map { k in vectors.reduce(0) { $0 + $1[k] } }
        #expect(zip(sum, floatSum).allSatisfy { abs($0 - $1) <= 5 / SecureAggregation.defaultScale })
    }

    @Test func aDroppedParticipantsMasksAreRemovedWithItsRecoveredKey() {
        let (clients, keys, vectors) = setup(count: 5, length: 300)
        let generator = RandomGenerator(seed: 12)
        // Participant 2 shares its key (3 of 5), masks, and drops before its vector arrives.
        let shares = clients[2].keyShares(threshold: 3, count: 5, generator: generator)
        var masked = Dictionary(uniqueKeysWithValues: clients.map { ($0.index, $0.masked(vectors[$0.index], publicKeys: keys)) })
        masked[2] = nil
        let withoutRecovery = SecureAggregationServer.sum(masked: masked, publicKeys: keys)
        let survivors = [0, 1, 3, 4].map { vectors[$0] }
        #expect(withoutRecovery != plainSum(survivors))
        let recovered = SecureAggregation.reconstruct([shares[0], shares[3], shares[4]])
        let sum = SecureAggregationServer.sum(masked: masked, publicKeys: keys, recoveredKeys: [2: recovered])
        #expect(sum == plainSum(survivors))
    }

    @Test func shamirNeedsTheThreshold() {
        let generator = RandomGenerator(seed: 13)
        let secret: UInt64 = 123_456_789_012_345
        let shares = SecureAggregation.shares(of: secret, threshold: 3, count: 6, generator: generator)
        #expect(SecureAggregation.reconstruct([shares[5], shares[1], shares[3]]) == secret)
        #expect(SecureAggregation.reconstruct(Array(shares)) == secret)
        #expect(SecureAggregation.reconstruct([shares[0], shares[1]]) != secret)
    }
}

@Suite struct DifferentialPrivacyTests {
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
        let deviation = (noised.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(noised.count) - mean * mean).squareRoot()
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
        let strategy = FederatedStrategy(name: "DP-FedAvg", clientSettings: SimulationTests.settings, seed: 1,
                                         privacy: DifferentialPrivacy(clippingNorm: 2, noiseMultiplier: 0.5))
        let simulation = try SimulationTests.simulation(SimulationTests.participants(data, clients: 8), strategy: strategy,
                                                        concurrency: 2, test: test)
        let reports = try simulation.run(rounds: 6)
        #expect(reports.last?.trainMetrics["noise_standard_deviation"] == 0.125)
        #expect((reports.last?.centralEvaluation?.metrics["accuracy"] ?? 0) > 0.8)
    }
}
