import Foundation
import NervaRL
import Testing

@Suite struct PrioritizedReplayTests {
    /// Draw frequencies follow `p_iᵅ / Σ p_kᵅ` (within 4 standard errors over 40,000 draws).
    @Test(arguments: [1.0, 0.6]) func samplingFrequenciesFollowThePriorities(alpha: Double) {
        var replay = PrioritizedReplay(capacity: 8, config: PrioritizedReplayConfig(alpha: alpha))
        let errors: [Float] = [0.1, 2, 0.5, 4, 1, 0.05]
        for slot in errors.indices { replay.added(slot: slot) }
        replay.update(slots: Array(errors.indices), tdErrors: errors)
        let powered = errors.map { pow(Double($0) + 1e-6, alpha) }
        let total = powered.reduce(0, +)
        var counts = [Int](repeating: 0, count: errors.count)
        let random = RandomGenerator(seed: 5)
        let batches = 1_250, batchSize = 32
        for _ in 0..<batches {
            for slot in replay.sample(batchSize: batchSize, count: errors.count, step: 0, generator: random).indices {
                counts[slot] += 1
            }
        }
        let draws = Double(batches * batchSize)
        for slot in errors.indices {
            let expected = powered[slot] / total
            #expect(abs(replay.probability(ofSlot: slot) - expected) < 1e-12)
            let standardError = (expected * (1 - expected) / draws).squareRoot()
            #expect(
                abs(Double(counts[slot]) / draws - expected) < 4 * standardError + 1e-4,
                "slot \(slot): \(Double(counts[slot]) / draws) vs \(expected)")
        }
    }

    /// Importance weights are `(N · P(i))^−β` divided by the largest, and β anneals to 1.
    @Test func importanceWeightsAndBetaAnnealing() {
        let config = PrioritizedReplayConfig(alpha: 1, betaStart: 0.4, betaSteps: 1_000)
        var replay = PrioritizedReplay(capacity: 4, config: config)
        for slot in 0..<3 { replay.added(slot: slot) }
        replay.update(slots: [0, 1, 2], tdErrors: [1, 2, 4])
        #expect(replay.beta(at: 0) == 0.4)
        #expect(abs(replay.beta(at: 500) - 0.7) < 1e-12)
        #expect(replay.beta(at: 5_000) == 1)
        let draw = replay.sample(batchSize: 64, count: 3, step: 500, generator: RandomGenerator(seed: 2))
        let total = 7.0 + 3e-6
        for (slot, weight) in zip(draw.indices, draw.weights) {
            let priority = [1.0, 2, 4][slot] + 1e-6
            let expected = pow(3 * priority / total, -0.7) / pow(3 * (1 + 1e-6) / total, -0.7)
            #expect(abs(Double(weight) - expected) < 1e-5)
        }
        #expect(draw.weights.max()! <= 1)
    }

    /// A new transition gets the largest priority seen so far; α = 0 is uniform replay.
    @Test func newTransitionsGetTheLargestPriority() {
        var replay = PrioritizedReplay(capacity: 4, config: PrioritizedReplayConfig(alpha: 1))
        replay.added(slot: 0)
        replay.update(slots: [0], tdErrors: [-9])
        replay.added(slot: 1)
        #expect(abs(replay.tree[1] - (9 + 1e-6)) < 1e-9 && replay.maxPriority == 9 + 1e-6)
        var uniform = PrioritizedReplay(capacity: 4, config: PrioritizedReplayConfig(alpha: 0))
        for slot in 0..<4 { uniform.added(slot: slot) }
        uniform.update(slots: [0, 1, 2, 3], tdErrors: [0.1, 10, 3, 0])
        #expect((0..<4).allSatisfy { uniform.probability(ofSlot: $0) == 0.25 })
        #expect(PrioritizedReplayConfig(alpha: 2).problem() != nil)
    }

    /// DQN with prioritised replay learns the sign bandit.
    @Test func dqnWithPrioritizedReplayLearnsABandit() throws {
        var config = DQNConfig()
        config.totalTimesteps = 3_000
        config.learningStarts = 200
        config.trainFrequency = 1
        config.batchSize = 32
        config.hiddenSizes = [16]
        config.learningRate = 1e-3
        config.targetNetworkFrequency = 50
        config.prioritizedReplay = PrioritizedReplayConfig()
        var env = SignBandit()
        let agent = DQN(observationSize: 2, actionCount: 2, config: config, seed: 4)
        try agent.train(on: &env, seed: 1)
        #expect(agent.priorities != nil)
        let result = evaluate(agent.greedyAction, on: &env, episodes: 500, seed: 9)
        #expect(result.meanReturn > 0.95, "greedy mean return \(result.meanReturn)")
    }
}
