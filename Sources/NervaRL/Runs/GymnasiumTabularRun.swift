import Foundation
import NervaData

/// A tabular learner trained on a Gymnasium environment with Discrete observations, through the
/// bridge, written into a run folder: progress, metric lines, a sampled greedy evaluation, the
/// Q-table checkpoint and the learning curve. (Gymnasium gives no transition model, so unlike
/// ``TabularRun`` there is no exact value or value iteration.) Used by `nerva rl train --gymnasium`.
public struct GymnasiumTabularRun {
    /// The Gymnasium id, in records and file names.
    public let environmentID: String
    /// The learner's settings.
    public let config: TabularConfig
    /// How many training episodes.
    public let episodes: Int
    /// The seed of the learner, of the first episode and (plus one) of the evaluation.
    public let seed: UInt64
    /// How many episodes the sampled greedy evaluation plays.
    public let evaluationEpisodes: Int

    /// A run to write into a folder.
    /// - Parameters:
    ///   - environmentID: The Gymnasium id, in records and file names.
    ///   - config: The learner's settings.
    ///   - episodes: How many training episodes.
    ///   - seed: The seed of the learner, of the first episode and (plus one) of the evaluation.
    ///   - evaluationEpisodes: How many episodes the sampled greedy evaluation plays.
    public init(environmentID: String, config: TabularConfig, episodes: Int, seed: UInt64, evaluationEpisodes: Int) {
        self.environmentID = environmentID
        self.config = config
        self.episodes = episodes
        self.seed = seed
        self.evaluationEpisodes = evaluationEpisodes
    }

    /// Trains on `environment`, evaluates the greedy policy and writes everything into `folder`.
    /// - Parameters:
    ///   - environment: The bridged environment.
    ///   - folder: The run folder.
    /// - Returns: The greedy policy's sampled mean return over ``evaluationEpisodes`` episodes.
    /// - Throws: The bridge's error when the Python side fails, or when the Q-table cannot be written.
    @discardableResult
    public func run(on environment: GymnasiumTabularEnvironment, folder: RunFolder) throws -> Double {
        let algorithm = config.algorithm.rawValue
        var env = environment
        var learner = TabularLearner(
            stateCount: env.observationSpace.count, actionCount: env.actionSpace.count, config: config, seed: seed)
        let progress = ProgressBar(label: "\(algorithm) \(environmentID)", total: episodes)
        var history: [EpisodeSummary] = []
        var recent = 0.0
        for index in 0..<episodes where env.failure == nil {
            let episode = learner.runEpisode(on: &env, seed: index == 0 ? seed : nil)
            history.append(episode)
            recent = 0.99 * recent + 0.01 * episode.episodeReturn
            if (index + 1) % Swift.max(1, episodes / 100) == 0 || index + 1 == episodes {
                folder.log([
                    "part": "rl", "algorithm": algorithm, "env": environmentID, "episode": index + 1,
                    "steps": episode.totalSteps, "return": episode.episodeReturn, "mean_return": recent
                ])
                progress.update(step: index + 1, values: [("return", recent), ("ε", episode.epsilon)])
            }
        }
        progress.finish()
        if let failure = env.failure { throw failure }
        let policy = learner.qTable.greedyPolicy
        let evaluation = evaluate(
            { policy.action(for: $0) }, on: &env, episodes: evaluationEpisodes, seed: seed &+ 1)
        if let failure = env.failure { throw failure }
        folder.log([
            "part": "rl", "algorithm": algorithm, "env": environmentID,
            "evaluation_mean_return": evaluation.meanReturn, "evaluation_episodes": evaluationEpisodes
        ])
        let name = DQNRun.fileName(environmentID)
        try learner.qTable.save(
            to: folder.file("q-table-\(name).safetensors"),
            metadata: [
                "env": environmentID, "algorithm": algorithm, "seed": "\(seed)", "episodes": "\(episodes)",
                "source": "gymnasium"
            ])
        try RLFigures.learningCurve(
            history, title: "\(algorithm) on \(environmentID) (Gymnasium)",
            name: "learning-curve-\(name.lowercased())", showsEpisodes: false, folder: folder)
        return evaluation.meanReturn
    }
}
