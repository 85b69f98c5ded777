import NervaRL
import Testing

/// The targets for the tabular learners, with the greedy policy evaluated exactly on the
/// environment's model under its time limit (no sampling noise).
@Suite struct TabularTargetsTests {
    /// Trains with the preset for `id` and returns the greedy policy's expected return.
    static func learn(_ id: String, algorithm: TabularAlgorithm = .qLearning, seed: UInt64) throws -> Double {
        var env = try EnvironmentRegistry.tabular(id)
        let (config, episodes) = TabularPresets.settings(for: id, algorithm: algorithm)
        var learner = TabularLearner(
            stateCount: env.observationSpace.count, actionCount: env.actionSpace.count,
            config: config, seed: seed)
        learner.train(on: &env, episodes: episodes, seed: seed)
        let horizon = env.maxEpisodeSteps == Int.max ? 1_000 : env.maxEpisodeSteps
        let values = Planning.evaluate(learner.qTable.greedyPolicy, on: env.base.model, horizon: horizon)
        return env.base.model.expectedInitialValue(values.values)
    }

    @Test(arguments: [UInt64(0), 1]) func qLearningFrozenLake4x4(_ seed: UInt64) throws {
        let success = try Self.learn("FrozenLake-v1", seed: seed)
        #expect(success >= 0.70, "success rate \(success)")
    }

    @Test func qLearningFrozenLake8x8() throws {
        let success = try Self.learn("FrozenLake8x8-v1", seed: 0)
        #expect(success >= 0.80, "success rate \(success)")
    }

    @Test(arguments: TabularAlgorithm.allCases) func taxi(_ algorithm: TabularAlgorithm) throws {
        let meanReturn = try Self.learn("Taxi-v3", algorithm: algorithm, seed: 0)
        #expect(meanReturn >= 7.5, "\(algorithm) mean return \(meanReturn)")
    }

    @Test func qLearningWalksAlongTheCliff() throws {
        #expect(try Self.learn("CliffWalking-v1", seed: 0) == -13)
    }

    @Test func sarsaLearnsAGreedyPathToTheGoal() throws {
        // SARSA's ε-greedy values make it prefer the safer path away from the edge (Sutton & Barto
        // example 6.6), but its greedy policy still reaches the goal.
        let value = try Self.learn("CliffWalking-v1", algorithm: .sarsa, seed: 0)
        #expect(value <= -13 && value >= -25, "\(value)")
    }
}
