import ArgumentParser
import Foundation
import NervaData
import NervaNN
import NervaRL

/// `nerva rl train --gymnasium ENV_ID`: a Nerva agent trained on an environment of the Python
/// Gymnasium through the bridge. Box observations get DQN (with `DQNRun`, one seed or several),
/// Discrete observations a tabular learner (learning curve, sampled greedy evaluation, Q-table).
struct GymnasiumRun {
    let command: RLTrainCommand
    let environmentID: String

    func run(folder: RunFolder) throws {
        let options = command.gymnasiumOptions
        let probe = try GymnasiumSession(environmentID: environmentID, options: options)
        print(
            "Gymnasium \(probe.gymnasiumVersion): \(environmentID), observations \(probe.observationSpace), actions \(probe.actionSpace)"
        )
        if probe.hasDiscreteObservations {
            try trainTabular(on: GymnasiumTabularEnvironment(session: probe), folder: folder)
            return
        }
        if let algorithm = command.algorithm, algorithm != .dqn {
            throw ValidationError("\(environmentID) has Box observations: train it with --algorithm dqn.")
        }
        let environment = try GymnasiumEnvironment(session: probe)
        let config = try command.dqn.config(
            environmentID: environmentID, learningRate: command.learningRate,
            discount: command.discount)
        // Selection plays its own episodes, so it gets its own helper process.
        let selection = try config.selectionFrequency.map { _ in
            try GymnasiumEnvironment(environmentID, options: options)
        }
        try command.trainDQN(config: config, threshold: probe.rewardThreshold, folder: folder) { run in
            try run.run(
                environment: environment, selectionEnvironment: selection,
                failure: { environment.failure ?? selection?.failure }, folder: folder)
        }
    }

    private func trainTabular(on environment: GymnasiumTabularEnvironment, folder: RunFolder) throws {
        let algorithm = command.algorithm ?? .qLearning
        guard let tabular = algorithm.tabular else {
            throw ValidationError(
                "\(environmentID) has Discrete observations: train it with q-learning, sarsa or expected-sarsa.")
        }
        let episodes = command.episodes ?? 5_000
        let config = TabularConfig(
            algorithm: tabular, learningRate: command.learningRate ?? 0.1,
            discount: command.discount ?? 0.99,
            epsilon: .linear(start: 1, end: 0.01, duration: episodes / 2))
        var env = environment
        var learner = TabularLearner(
            stateCount: env.observationSpace.count, actionCount: env.actionSpace.count,
            config: config, seed: command.seed)
        let progress = ProgressBar(label: "\(tabular.rawValue) \(environmentID)", total: episodes)
        var history: [EpisodeSummary] = []
        var recent = 0.0
        for index in 0..<episodes where env.failure == nil {
            let episode = learner.runEpisode(on: &env, seed: index == 0 ? command.seed : nil)
            history.append(episode)
            recent = 0.99 * recent + 0.01 * episode.episodeReturn
            if (index + 1) % Swift.max(1, episodes / 100) == 0 || index + 1 == episodes {
                folder.log([
                    "part": "rl", "algorithm": tabular.rawValue, "env": environmentID, "episode": index + 1,
                    "steps": episode.totalSteps, "return": episode.episodeReturn, "mean_return": recent
                ])
                progress.update(step: index + 1, values: [("return", recent), ("ε", episode.epsilon)])
            }
        }
        progress.finish()
        if let failure = env.failure { throw failure }
        let policy = learner.qTable.greedyPolicy
        let evaluation = evaluate(
            { policy.action(for: $0) }, on: &env, episodes: command.evaluationEpisodes,
            seed: command.seed &+ 1)
        if let failure = env.failure { throw failure }
        folder.log([
            "part": "rl", "algorithm": tabular.rawValue, "env": environmentID,
            "evaluation_mean_return": evaluation.meanReturn, "evaluation_episodes": command.evaluationEpisodes
        ])
        let name = DQNRun.fileName(environmentID)
        try learner.qTable.save(
            to: folder.file("q-table-\(name).safetensors"),
            metadata: [
                "env": environmentID, "algorithm": tabular.rawValue,
                "seed": "\(command.seed)",
                "episodes": "\(episodes)", "source": "gymnasium"
            ])
        try RLFigures.learningCurve(
            history, title: "\(tabular.rawValue) on \(environmentID) (Gymnasium)",
            name: "learning-curve-\(name.lowercased())", showsEpisodes: false, folder: folder)
        print(
            String(
                format: "greedy policy: sampled mean return %.4f over %d episodes",
                evaluation.meanReturn, command.evaluationEpisodes))
    }
}
