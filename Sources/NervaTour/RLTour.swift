import Foundation
import NervaData
import NervaRL

/// The reinforcement-learning part of the tour: value iteration and Q-learning on slippery
/// FrozenLake (value heat maps, learned policy, learning curve), then Deep Q-Learning on
/// CartPole-v1 with a return curve and a greedy evaluation.
public struct RLTour: TourPart {
    /// The part's name in the summary table.
    public let title = "rl: FrozenLake Q-learning, CartPole DQN"
    /// The seed of the learners and the environments.
    public let seed: UInt64
    /// The tour's folder.
    public let folder: RunFolder

    /// The reinforcement-learning part.
    /// - Parameters:
    ///   - seed: The seed of the learners and the environments.
    ///   - folder: The tour's folder.
    public init(seed: UInt64, folder: RunFolder) {
        self.seed = seed
        self.folder = folder
    }

    /// Runs the part into the tour's folder: progress on standard output, records, figures and
    /// text in the folder's report.
    /// - Returns: The part's result in one line (or why it was skipped).
    @discardableResult
    public func run() throws -> String {
        print("rl: value iteration and Q-learning on FrozenLake-v1 (4×4, slippery)")
        let lake = try EnvironmentRegistry.tabular("FrozenLake-v1")
        let model = lake.base.model
        let optimum = model.expectedInitialValue(Planning.finiteHorizonValues(model, horizon: 100).values)
        let (config, episodes) = TabularPresets.settings(for: "FrozenLake-v1")
        let tabular = try TabularRun(
            environmentID: "FrozenLake-v1", environment: lake, config: config, episodes: episodes,
            seed: seed, evaluationEpisodes: 1_000
        ).run(folder: folder, part: "rl")
        print(
            String(
                format:
                    "  Q-learning greedy policy succeeds with probability %.3f (value iteration's policy %.3f, best possible within 100 steps %.3f)",
                tabular.greedyValue, tabular.optimalValue, optimum))

        print(
            "rl: Deep Q-Learning on CartPole-v1 (the tuned CartPole preset: RL Baselines3 Zoo's settings, best of periodic evaluations kept; 100,000 steps)"
        )
        let dqn = DQNPresets.cartPole
        let result = try DQNRun(
            environmentID: "CartPole-v1", config: dqn, seed: seed, evaluationEpisodes: 20, checkpoint: nil
        )
        .run(folder: folder, part: "rl")
        print(
            String(
                format:
                    "  trained in %.1f s; greedy mean return %.1f over 20 episodes (500 is the maximum, 475 counts as solved)",
                result.seconds, result.evaluation.meanReturn))
        return String(
            format: "FrozenLake greedy success %.3f (optimum %.3f); CartPole greedy return %.1f of 500",
            tabular.greedyValue, optimum, result.evaluation.meanReturn)
    }
}
