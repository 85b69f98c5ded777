import NervaRL
import Testing

/// The library's tabular run (what `nerva rl train` renders for FrozenLake, Taxi, CliffWalking).
@Suite struct TabularTrainingRunTests {
    @Test func frozenLakeRunValuesItsPolicyAndTheOptimum() throws {
        let (config, _) = TabularPresets.settings(for: "FrozenLake-v1")
        let run = TabularTrainingRun(config: config, episodes: 2_000, seed: 3, evaluationEpisodes: 200)
        var episodes = 0
        let result = try run.run(on: try EnvironmentRegistry.tabular("FrozenLake-v1"), environmentID: "FrozenLake-v1") {
            _ in
            episodes += 1
        }
        #expect(episodes == 2_000 && result.history.count == 2_000)
        // Value iteration's policy under the 100-step limit succeeds with probability ≈ 0.74.
        #expect(abs(result.optimalValue - 0.74) < 0.01)
        #expect(result.greedyValue <= result.optimalValue + 1e-9)
        #expect(result.evaluation.successRate != nil && result.evaluation.returns.count == 200)
        #expect(throws: ConfigurationError.self) {
            try TabularTrainingRun(config: config, episodes: 0, seed: 1).run(
                on: try EnvironmentRegistry.tabular("FrozenLake-v1"),
                environmentID: "FrozenLake-v1")
        }
    }
}
