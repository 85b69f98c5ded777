import Foundation

/// One Deep Q-Learning run as `nerva rl train` makes it: an agent trained for
/// `config.totalTimesteps` steps (optionally from a saved Q-network), the best network kept when
/// `config.selectionFrequency` is set, then the greedy policy evaluated over `evaluationEpisodes`
/// episodes seeded with `seed + 10,000`. Callers observe training through the callbacks (progress,
/// logs) and save the result with `saveNetwork(_:to:environmentID:)`.
///
/// ```swift
/// let run = DQNTrainingRun(config: DQNPresets.cartPole, seed: 1, evaluationEpisodes: 100)
/// let result = try run.run(on: try EnvironmentRegistry.control("CartPole-v1"))
/// print(result.evaluation.meanReturn, result.trainingSteps, result.selectionSteps)
/// ```
public struct DQNTrainingRun: Sendable {
    /// The settings.
    public var config: DQNConfig
    /// Seeds the agent, the environment's first reset and (offset by 10,000) the evaluation.
    public var seed: UInt64
    /// Greedy episodes after training.
    public var evaluationEpisodes: Int
    /// A Q-network checkpoint to start from, `nil` for a fresh network.
    public var initialNetwork: URL?

    /// A run with these settings.
    public init(config: DQNConfig, seed: UInt64, evaluationEpisodes: Int = 100, initialNetwork: URL? = nil) {
        self.config = config
        self.seed = seed
        self.evaluationEpisodes = evaluationEpisodes
        self.initialNetwork = initialNetwork
    }

    /// What a run produced.
    public struct Result {
        /// The trained agent (holding the kept network when selection is on).
        public let agent: DQN
        /// The greedy policy's returns after training.
        public let evaluation: EvaluationResult
        /// Wall-clock seconds of training.
        public let seconds: Double
        /// Every training episode.
        public let history: [EpisodeSummary]
        /// Environment steps that trained the agent.
        public var trainingSteps: Int { agent.globalStep }
        /// Further environment steps spent choosing the kept network (0 without selection).
        public var selectionSteps: Int { agent.selectionSteps }
    }

    /// Trains on `environment` and evaluates the greedy policy on it.
    ///
    /// - Parameters:
    ///   - environment: The environment to train on (and to evaluate the greedy policy on).
    ///   - selectionEnvironment: Where selection evaluations run; a copy of `environment` when `nil`.
    ///   - failure: Reports an environment that broke (a bridge): training stops and it is thrown.
    ///   - onEpisode: Called after each training episode.
    ///   - onUpdate: Called after each gradient step.
    /// - Throws: `DQNConfigError`, `ConfigurationError` for no evaluation episodes, checkpoint errors, `failure()`'s
    ///   error, or `TrainingDivergedError`.
    public func run<E: Environment>(
        on environment: E, selectionEnvironment: (any Environment<[Float], Int>)? = nil,
        failure: () -> Error? = { nil }, onEpisode: (EpisodeSummary) -> Void = { _ in },
        onUpdate: (DQN.UpdateSummary) -> Void = { _ in }
    ) throws -> Result
    where E.Observation == [Float], E.Action == Int {
        if let problem = config.problem() { throw DQNConfigError(problem: problem) }
        try ConfigurationError.check("evaluation episodes", evaluationEpisodes, atLeast: 1)
        var env = environment
        let agent = DQN(
            observationSize: env.observationSpace.flatSize, actionCount: env.actionSpace.count,
            config: config, seed: seed)
        if let initialNetwork {
            _ = try agent.qNetwork.load(from: initialNetwork)
            agent.targetNetwork.update(from: agent.qNetwork)
        }
        var history: [EpisodeSummary] = []
        let start = Date()
        try agent.train(
            on: &env, seed: seed, selectionEnvironment: selectionEnvironment, shouldStop: { failure() != nil },
            onEpisode: { episode in
                history.append(episode)
                onEpisode(episode)
            }, onUpdate: onUpdate)
        if let error = failure() { throw error }
        let seconds = Date().timeIntervalSince(start)
        let evaluation = evaluate(agent.greedyAction, on: &env, episodes: evaluationEpisodes, seed: seed &+ 10_000)
        if let error = failure() { throw error }
        return Result(agent: agent, evaluation: evaluation, seconds: seconds, history: history)
    }

    /// Saves the agent's Q-network (CleanRL's parameter names) with the metadata
    /// `QNetwork.load(from:…)` needs to rebuild it.
    public func saveNetwork(_ agent: DQN, to url: URL, environmentID: String) throws {
        try agent.qNetwork.save(
            to: url,
            metadata: [
                "env": environmentID, "algorithm": "dqn", "seed": "\(seed)",
                "total_timesteps": "\(config.totalTimesteps)",
                "hidden_sizes": config.hiddenSizes.map(String.init).joined(separator: ","),
                "dueling": "\(config.isDueling)"
            ])
    }
}
