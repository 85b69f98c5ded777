import Foundation
import NervaData

/// Renders a `TabularTrainingRun` into a run folder: progress, metric lines, the Q-table
/// checkpoint, learning curve, value heat maps (tiles and greedy arrows) and the policy map. Used
/// by `nerva rl train` and the tour.
public struct TabularRun {
    /// The environment's id (`FrozenLake-v1`, …), in records and file names.
    public let environmentID: String
    /// The environment, with its time limit.
    public var environment: TimeLimit<TabularEnvironment>
    /// The learner's settings.
    public let config: TabularConfig
    /// How many training episodes.
    public let episodes: Int
    /// The seed of the learner and of the first episode.
    public let seed: UInt64
    /// How many episodes the sampled greedy evaluation plays.
    public let evaluationEpisodes: Int

    /// A run to write into a folder.
    /// - Parameters:
    ///   - environmentID: The environment's id, in records and file names.
    ///   - environment: The environment, with its time limit.
    ///   - config: The learner's settings.
    ///   - episodes: How many training episodes.
    ///   - seed: The seed of the learner and of the first episode.
    ///   - evaluationEpisodes: How many episodes the sampled greedy evaluation plays.
    public init(
        environmentID: String, environment: TimeLimit<TabularEnvironment>, config: TabularConfig, episodes: Int,
        seed: UInt64, evaluationEpisodes: Int
    ) {
        self.environmentID = environmentID
        self.environment = environment
        self.config = config
        self.episodes = episodes
        self.seed = seed
        self.evaluationEpisodes = evaluationEpisodes
    }

    /// What a run learned and where its Q-table is.
    public struct Result {
        /// The trained learner.
        public let learner: TabularLearner
        /// The greedy policy's exact expected return under the time limit.
        public let greedyValue: Double
        /// The best stationary value value iteration finds, under the same limit.
        public let optimalValue: Double
        /// The sampled mean return over `evaluationEpisodes` episodes.
        public let sampledReturn: Double
        /// The Q-table's safetensors file in the folder.
        public let checkpoint: URL
    }

    /// Trains, evaluates and writes records, the Q-table, curves, value maps and the policy into `folder`.
    /// - Parameters:
    ///   - folder: The run folder.
    ///   - part: The `part` field of the metric records.
    /// - Returns: The learner, its values and the Q-table's file.
    public func run(folder: RunFolder, part: String = "rl") throws -> Result {
        let training = TabularTrainingRun(
            config: config, episodes: episodes, seed: seed,
            evaluationEpisodes: evaluationEpisodes)
        let progress = ProgressBar(label: "\(config.algorithm.rawValue) \(environmentID)", total: episodes)
        var recent = 0.0
        let result = try training.run(on: environment, environmentID: environmentID) { episode in
            recent = 0.99 * recent + 0.01 * episode.episodeReturn
            if (episode.episode + 1) % Swift.max(1, episodes / 100) == 0 || episode.episode + 1 == episodes {
                folder.log([
                    "part": part, "algorithm": config.algorithm.rawValue, "env": environmentID,
                    "episode": episode.episode + 1, "steps": episode.totalSteps, "return": episode.episodeReturn,
                    "mean_return": recent, "epsilon": episode.epsilon
                ])
                progress.update(step: episode.episode + 1, values: [("return", recent), ("ε", episode.epsilon)])
            }
        }
        progress.finish()
        var record: MetricRecord = [
            "part": part, "algorithm": config.algorithm.rawValue, "env": environmentID,
            "greedy_expected_return": result.greedyValue,
            "value_iteration_expected_return": result.optimalValue,
            "evaluation_mean_return": result.evaluation.meanReturn,
            "evaluation_episodes": evaluationEpisodes
        ]
        if let rate = result.evaluation.successRate { record["evaluation_success_rate"] = .number(rate) }
        folder.log(record)

        let checkpoint = folder.file("q-table-\(environmentID).safetensors")
        try result.learner.qTable.save(
            to: checkpoint,
            metadata: [
                "env": environmentID,
                "algorithm": config.algorithm.rawValue,
                "seed": "\(seed)", "episodes": "\(episodes)"
            ])
        try writeFigures(learner: result.learner, history: result.history, planned: result.planned, folder: folder)
        return Result(
            learner: result.learner, greedyValue: result.greedyValue, optimalValue: result.optimalValue,
            sampledReturn: result.evaluation.meanReturn, checkpoint: checkpoint)
    }

    private func writeFigures(
        learner: TabularLearner, history: [EpisodeSummary], planned: PlanningResult,
        folder: RunFolder
    ) throws {
        let name = environmentID.lowercased()
        try RLFigures.learningCurve(
            history, title: "\(config.algorithm.rawValue) on \(environmentID)",
            name: "learning-curve-\(name)", showsEpisodes: false, folder: folder)
        guard let grid = environment.base.grid, let arrows = RLFigures.arrows(for: environment.base) else { return }
        try RLFigures.valueHeatMap(
            learner.qTable.stateValues.values, grid: grid, policy: learner.qTable.greedyPolicy,
            arrows: arrows, title: "Learned values, \(environmentID)", name: "q-values-\(name)",
            caption: "The learned value of each cell (greedy action's Q-value), its tile and "
                + "the greedy action.",
            folder: folder)
        try RLFigures.valueHeatMap(
            planned.values.values, grid: grid, policy: planned.policy, arrows: arrows,
            title: "Optimal values, \(environmentID)", name: "optimal-values-\(name)",
            caption: "Value iteration on the transition model, γ = \(config.discount), "
                + "with its policy.",
            folder: folder)
        folder.addText(
            title: "Greedy policy learned on \(environmentID)",
            text: RLFigures.policyText(learner.qTable.greedyPolicy, grid: grid, arrows: arrows))
    }
}
