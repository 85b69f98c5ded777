import Foundation
import NervaData
import NervaNN
import NervaRL

/// A Deep Q-Learning run into a run folder: training with progress, greedy evaluation over
/// `evaluationEpisodes` episodes, learning and loss curves, and a checkpoint of the Q-network
/// (CleanRL's parameter names). Used by `nerva rl train --algorithm dqn` and the tour.
struct DQNRun {
    let environmentID: String
    let config: DQNConfig
    let seed: UInt64
    let evaluationEpisodes: Int
    let checkpoint: URL?

    struct Result {
        let agent: DQN
        let evaluation: EvaluationResult
        let seconds: Double
        let checkpoint: URL
    }

    func run(folder: RunFolder, part: String = "rl") throws -> Result {
        var env = try EnvironmentRegistry.control(environmentID)
        let agent = DQN(observationSize: env.observationSpace.flatSize, actionCount: env.actionSpace.count,
                        config: config, seed: seed)
        if let checkpoint {
            _ = try agent.qNetwork.load(from: checkpoint)
            agent.targetNetwork.update(from: agent.qNetwork)
        }
        let progress = ProgressBar(label: "dqn \(environmentID)", total: config.totalTimesteps)
        var history: [EpisodeSummary] = []
        var losses: [(x: Double, y: Double)] = []
        var recent = 0.0, lastLoss = 0.0
        let start = Date()
        agent.train(on: &env, seed: seed, onEpisode: { episode in
            history.append(episode)
            recent = history.count == 1 ? episode.episodeReturn : 0.95 * recent + 0.05 * episode.episodeReturn
            folder.log(["part": part, "algorithm": "dqn", "env": environmentID, "episode": episode.episode + 1,
                        "steps": episode.totalSteps, "return": episode.episodeReturn, "length": episode.length,
                        "epsilon": episode.epsilon])
            progress.update(step: episode.totalSteps, values: [("return", recent), ("loss", lastLoss), ("ε", episode.epsilon)])
        }, onUpdate: { update in
            lastLoss = Double(update.loss)
            if losses.count < 5_000 || update.step % 1_000 == 0 { losses.append((Double(update.step), lastLoss)) }
            if update.step % 1_000 == 0 {
                folder.log(["part": part, "algorithm": "dqn", "env": environmentID, "steps": update.step,
                            "loss": update.loss, "mean_q": update.meanQ])
            }
        })
        progress.finish()
        let seconds = Date().timeIntervalSince(start)
        if let best = agent.bestSelectionReturn, let step = agent.bestSelectionStep {
            print(String(format: "kept the network evaluated at step %d (mean return %.1f over %d selection episodes)",
                         step, best, config.selectionEpisodes))
            folder.log(["part": part, "algorithm": "dqn", "env": environmentID, "selected_step": step, "selection_return": best])
        }
        let evaluation = evaluate(agent.greedyAction, on: &env, episodes: evaluationEpisodes, seed: seed &+ 10_000)
        folder.log(["part": part, "algorithm": "dqn", "env": environmentID, "train_seconds": seconds,
                    "evaluation_mean_return": evaluation.meanReturn, "evaluation_std_return": evaluation.standardDeviation,
                    "evaluation_episodes": evaluationEpisodes])

        let saved = folder.file("q-network-\(environmentID).safetensors")
        try agent.qNetwork.save(to: saved, metadata: ["env": environmentID, "algorithm": "dqn", "seed": "\(seed)",
                                                      "total_timesteps": "\(config.totalTimesteps)",
                                                      "hidden_sizes": config.hiddenSizes.map(String.init).joined(separator: ","),
                                                      "dueling": "\(config.isDueling)"])
        let name = environmentID.lowercased()
        try RLFigures.learningCurve(history, title: "DQN on \(environmentID)", name: "learning-curve-dqn-\(name)",
                                    window: 20, folder: folder)
        if losses.count > 1 {
            let chart = LineChart(title: "TD loss (DQN, \(environmentID))", xLabel: "environment steps", yLabel: "loss",
                                  series: [.init(name: "loss", points: losses)])
            folder.addFigure(title: "TD loss", files: try Figure.write(svg: chart.svg(), to: folder.file("td-loss-\(name).svg")),
                             caption: "The TD loss of each gradient step.")
        }
        return Result(agent: agent, evaluation: evaluation, seconds: seconds, checkpoint: saved)
    }
}
