/// One tabular learning run as `nerva rl train` makes it on a built-in finite environment: the
/// learner trained for `episodes` episodes, its greedy policy valued exactly on the transition
/// model (under the time limit), value iteration's policy valued the same way for comparison, and
/// the greedy policy played for `evaluationEpisodes` sampled episodes.
///
/// ```swift
/// let (config, episodes) = TabularPresets.settings(for: "FrozenLake-v1")
/// let run = TabularTrainingRun(config: config, episodes: episodes, seed: 0)
/// let result = try run.run(on: try EnvironmentRegistry.tabular("FrozenLake-v1"), environmentID: "FrozenLake-v1")
/// print(result.greedyValue, result.optimalValue)   // ≈ 0.74 and 0.74
/// ```
public struct TabularTrainingRun: Sendable {
    /// The learner's settings.
    public var config: TabularConfig
    /// Training episodes.
    public var episodes: Int
    /// Seeds the learner, the environment's first reset and (plus one) the evaluation.
    public var seed: UInt64
    /// Sampled greedy episodes after training.
    public var evaluationEpisodes: Int

    /// A run with these settings.
    public init(config: TabularConfig, episodes: Int, seed: UInt64, evaluationEpisodes: Int = 100) {
        self.config = config
        self.episodes = episodes
        self.seed = seed
        self.evaluationEpisodes = evaluationEpisodes
    }

    /// What a run produced.
    public struct Result {
        /// The trained learner (its Q-table).
        public let learner: TabularLearner
        /// Every training episode.
        public let history: [EpisodeSummary]
        /// The greedy policy's exact expected return under the time limit.
        public let greedyValue: Double
        /// Value iteration's result on the model (values and policy).
        public let planned: PlanningResult
        /// The expected return of value iteration's policy under the same limit.
        public let optimalValue: Double
        /// The greedy policy's sampled episodes (with successes where `environmentID` defines them).
        public let evaluation: EvaluationResult
    }

    /// Trains on `environment` (the id `environmentID`, for its success criterion), calling
    /// `onEpisode` after each training episode.
    ///
    /// - Throws: `ConfigurationError` for no training or evaluation episodes.
    public func run(
        on environment: TimeLimit<TabularEnvironment>, environmentID: String,
        onEpisode: (EpisodeSummary) -> Void = { _ in }
    ) throws -> Result {
        try ConfigurationError.check("episodes", episodes, atLeast: 1)
        try ConfigurationError.check("evaluation episodes", evaluationEpisodes, atLeast: 1)
        var env = environment
        let model = env.base.model
        var learner = TabularLearner(
            stateCount: model.stateCount, actionCount: model.actionCount, config: config, seed: seed)
        var history: [EpisodeSummary] = []
        // A huge episode count is a long run, not a huge allocation.
        history.reserveCapacity(Swift.min(episodes, 1 << 20))
        learner.train(on: &env, episodes: episodes, seed: seed) { episode in
            history.append(episode)
            onEpisode(episode)
        }
        let horizon = env.maxEpisodeSteps == Int.max ? 1_000 : env.maxEpisodeSteps
        let policy = learner.qTable.greedyPolicy
        let greedyValue = model.expectedInitialValue(Planning.evaluate(policy, on: model, horizon: horizon).values)
        let planned = Planning.valueIteration(model, discount: config.discount)
        let optimalValue = model.expectedInitialValue(
            Planning.evaluate(planned.policy, on: model, horizon: horizon).values)
        var evaluationEnv = env
        let evaluation = evaluate(
            { policy.action(for: $0) }, on: &evaluationEnv, episodes: evaluationEpisodes,
            seed: seed &+ 1, success: EnvironmentRegistry.spec(for: environmentID)?.success)
        return Result(
            learner: learner, history: history, greedyValue: greedyValue, planned: planned,
            optimalValue: optimalValue, evaluation: evaluation)
    }
}
