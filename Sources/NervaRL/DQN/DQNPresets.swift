/// Tuned DQN settings for environments where CleanRL's generic defaults (`DQNConfig()`, made for
/// 500,000 steps) do not reliably solve the task within the budget.
///
/// `nerva rl train --algorithm dqn` starts from `config(for:)` (`--preset auto`); `--preset
/// cleanrl` gives CleanRL's settings unchanged.
public enum DQNPresets {
    /// CartPole-v1 within 100,000 steps: CleanRL's network, learning rate, batch, buffer and
    /// target period, with (what changes, and why):
    /// - a gradient step every 2 environment steps instead of 10 (5× the updates per step, so
    ///   the budget buys enough learning);
    /// - ε reaching 0.05 after 30 % of the steps instead of 50 % (CleanRL's fraction is meant for
    ///   500,000 steps; at 0.5 two of five seeds had not settled by 100,000, at 0.2 two others);
    /// - best-network selection: every 2,500 steps the greedy policy plays 20 episodes on a
    ///   separately seeded copy of the environment and the best network is kept (DQN on
    ///   CartPole oscillates between solving and forgetting; this keeps a solving network).
    public static var cartPole: DQNConfig {
        var config = DQNConfig()
        config.totalTimesteps = 100_000
        config.trainFrequency = 2
        config.explorationFraction = 0.3
        config.selectionFrequency = 2_500
        config.selectionEpisodes = 20
        return config
    }

    /// The tuned preset for `environmentID`, or `nil` where CleanRL's defaults are used.
    public static func config(for environmentID: String) -> DQNConfig? {
        environmentID == "CartPole-v1" ? cartPole : nil
    }
}
