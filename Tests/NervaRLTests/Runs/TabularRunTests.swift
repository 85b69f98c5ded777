import Foundation
import NervaData
import NervaRL
import Testing

/// A tabular run written into a run folder: records, the Q-table, the curve, value maps and the policy.
@Suite struct TabularRunTests {
    @Test func frozenLakeRunWritesItsFiguresTheQTableAndTheRecords() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("nerva-rl-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let folder = try RunFolder(command: "rl-train", out: out.path)
        let (config, _) = TabularPresets.settings(for: "FrozenLake-v1")
        let result = try TabularRun(
            environmentID: "FrozenLake-v1", environment: try EnvironmentRegistry.tabular("FrozenLake-v1"),
            config: config, episodes: 500, seed: 3, evaluationEpisodes: 50
        ).run(folder: folder)
        #expect(result.greedyValue <= result.optimalValue + 1e-9 && abs(result.optimalValue - 0.74) < 0.01)
        #expect(result.sampledReturn >= 0 && result.sampledReturn <= 1)
        #expect(result.checkpoint == folder.file("q-table-FrozenLake-v1.safetensors"))
        for file in [
            "q-table-FrozenLake-v1.safetensors", "learning-curve-frozenlake-v1.svg", "q-values-frozenlake-v1.svg",
            "optimal-values-frozenlake-v1.svg", "metrics.jsonl"
        ] {
            #expect(FileManager.default.fileExists(atPath: folder.file(file).path), "\(file)")
        }
        let records = try String(contentsOf: folder.file("metrics.jsonl"), encoding: .utf8)
        #expect(records.contains("\"value_iteration_expected_return\"") && records.contains("\"episode\":500"))
    }

    @Test func gymnasiumIDsBecomeFileNames() {
        #expect(DQNRun.fileName("ALE/Pong-v5") == "ALE_Pong-v5")
        #expect(DQNRun.fileName("my_env:Maze-v0") == "my_env_Maze-v0")
    }

    @Test func theGymnasiumPresetSpreadsExplorationOverHalfTheEpisodes() {
        let (config, episodes) = TabularPresets.gymnasiumSettings(algorithm: .sarsa, episodes: 800)
        #expect(episodes == 800 && config.algorithm == .sarsa)
        #expect(config.learningRate == TabularConfig().learningRate && config.discount == TabularConfig().discount)
        #expect(config.epsilon == .linear(start: 1, end: 0.01, duration: 400))
        #expect(TabularPresets.gymnasiumSettings().episodes == 5_000)
    }
}
