import ArgumentParser
import Foundation
import NervaData
import NervaNN
import NervaRL

/// `nerva rl train --gymnasium ENV_ID`: a Nerva agent trained on an environment of the Python
/// Gymnasium through the bridge. Box observations get DQN (with `DQNRun`, one seed or several),
/// Discrete observations a tabular learner (`GymnasiumTabularRun`).
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
        let preset = TabularPresets.gymnasiumSettings(algorithm: tabular, episodes: command.episodes)
        var config = preset.config
        if let learningRate = command.learningRate { config.learningRate = learningRate }
        if let discount = command.discount { config.discount = discount }
        let meanReturn = try GymnasiumTabularRun(
            environmentID: environmentID, config: config, episodes: preset.episodes, seed: command.seed,
            evaluationEpisodes: command.evaluationEpisodes
        ).run(on: environment, folder: folder)
        print(
            String(
                format: "greedy policy: sampled mean return %.4f over %d episodes",
                meanReturn, command.evaluationEpisodes))
    }
}
