/// Settings that reach the targets on the built-in finite environments (greedy policy
/// evaluated exactly on the model under the time limit; see `TabularTargetsTests`):
/// FrozenLake 4×4 success 0.740 (optimum 0.744), FrozenLake 8×8 0.886 (best stationary policy
/// 0.894), Taxi 7.93 (optimum), CliffWalking −13 (optimum).
public enum TabularPresets {
    /// The recommended configuration and episode count for an environment id, or Q-learning with
    /// α 0.1, γ 0.99, ε 1 → 0.01 over half of 20,000 episodes for others.
    public static func settings(for id: String, algorithm: TabularAlgorithm = .qLearning) -> (
        config: TabularConfig, episodes: Int
    ) {
        switch id {
        case "FrozenLake8x8-v1":
            return (
                TabularConfig(
                    algorithm: algorithm, learningRate: 0.02, discount: 0.999,
                    epsilon: .linear(start: 1, end: 0.01, duration: 50_000)), 100_000
            )
        case "Taxi-v3", "Taxi-v4":
            return (
                TabularConfig(
                    algorithm: algorithm, learningRate: 0.1, discount: 0.99,
                    epsilon: .linear(start: 1, end: 0.01, duration: 2_000)), 5_000
            )
        case "CliffWalking-v1", "CliffWalking-v0", "CliffWalkingSlippery-v1":
            return (
                TabularConfig(
                    algorithm: algorithm, learningRate: 0.1, discount: 0.99,
                    epsilon: .linear(start: 1, end: 0.01, duration: 400)), 1_000
            )
        default:
            return (
                TabularConfig(
                    algorithm: algorithm, learningRate: 0.1, discount: 0.99,
                    epsilon: .linear(start: 1, end: 0.01, duration: 10_000)), 20_000
            )
        }
    }

    /// The configuration for a Gymnasium environment with Discrete observations (through the
    /// bridge, no transition model): the defaults of ``TabularConfig`` (α 0.1, γ 0.99) with ε
    /// falling from 1 to 0.01 over the first half of `episodes`, 5,000 unless given.
    /// - Parameters:
    ///   - algorithm: The tabular algorithm.
    ///   - episodes: The training episodes (`nil`: 5,000).
    public static func gymnasiumSettings(algorithm: TabularAlgorithm = .qLearning, episodes: Int? = nil) -> (
        config: TabularConfig, episodes: Int
    ) {
        let episodes = episodes ?? 5_000
        var config = TabularConfig()
        config.algorithm = algorithm
        config.epsilon = .linear(start: 1, end: 0.01, duration: episodes / 2)
        return (config, episodes)
    }
}
