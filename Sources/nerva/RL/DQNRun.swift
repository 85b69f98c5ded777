import Foundation
import NervaData
import NervaNN
import NervaRL

/// A Deep Q-Learning run into a run folder: training with progress, greedy evaluation over
/// `evaluationEpisodes` episodes, learning and loss curves, and a checkpoint of the Q-network
/// (CleanRL's parameter names). Used by `nerva rl train --algorithm dqn` (one seed or several,
/// built-in or Gymnasium environments) and the tour.
struct DQNRun {
    let environmentID: String
    let config: DQNConfig
    let seed: UInt64
    let evaluationEpisodes: Int
    let checkpoint: URL?
    /// One of several seeds: files are suffixed `-seed-N`, per-run figures are left out (the
    /// caller draws them for all seeds together) and progress is labelled.
    var isOneOfSeveral = false

    struct Result {
        let agent: DQN
        let evaluation: EvaluationResult
        let seconds: Double
        let checkpoint: URL
        let history: [EpisodeSummary]
    }

    /// Trains on the built-in environment `environmentID`.
    func run(folder: RunFolder, part: String = "rl") throws -> Result {
        let environment = try EnvironmentRegistry.control(environmentID)
        return try run(on: environment, folder: folder, part: part)
    }

    private func run<E: Environment>(on environment: E, folder: RunFolder, part: String) throws -> Result
    where E.Observation == [Float], E.Action == Int {
        try run(environment: environment, selectionEnvironment: nil, failure: { nil }, folder: folder, part: part)
    }

    /// Trains on `environment`; selection evaluations run on `selectionEnvironment` (a copy of
    /// `environment` when `nil`); `failure` reports an environment that broke (a bridge), which
    /// ends training and is thrown.
    func run<E: Environment>(environment: E, selectionEnvironment: (any Environment<[Float], Int>)?, failure: () -> Error?,
                             folder: RunFolder, part: String = "rl") throws -> Result
    where E.Observation == [Float], E.Action == Int {
        var env = environment
        let agent = DQN(observationSize: env.observationSpace.flatSize, actionCount: env.actionSpace.count,
                        config: config, seed: seed)
        if let checkpoint {
            _ = try agent.qNetwork.load(from: checkpoint)
            agent.targetNetwork.update(from: agent.qNetwork)
        }
        let label = isOneOfSeveral ? "dqn \(environmentID) seed \(seed)" : "dqn \(environmentID)"
        let progress = ProgressBar(label: label, total: config.totalTimesteps)
        var history: [EpisodeSummary] = []
        var losses: [(x: Double, y: Double)] = []
        var recent = 0.0, lastLoss = 0.0
        func log(_ values: MetricRecord) {
            var record: MetricRecord = ["part": part, "algorithm": "dqn", "env": environmentID, "seed": Int(truncatingIfNeeded: seed)]
            for field in values.fields { record[field.key] = field.value }
            folder.log(record)
        }
        let start = Date()
        try agent.train(on: &env, seed: seed, selectionEnvironment: selectionEnvironment, shouldStop: { failure() != nil },
                    onEpisode: { episode in
            history.append(episode)
            recent = history.count == 1 ? episode.episodeReturn : 0.95 * recent + 0.05 * episode.episodeReturn
            log(["episode": episode.episode + 1, "steps": episode.totalSteps, "return": episode.episodeReturn,
                 "length": episode.length, "epsilon": episode.epsilon])
            progress.update(step: episode.totalSteps, values: [("return", recent), ("loss", lastLoss), ("ε", episode.epsilon)])
        }, onUpdate: { update in
            lastLoss = Double(update.loss)
            if losses.count < 5_000 || update.step % 1_000 == 0 { losses.append((Double(update.step), lastLoss)) }
            if update.step % 1_000 == 0 { log(["steps": update.step, "loss": update.loss, "mean_q": update.meanQ]) }
        })
        progress.finish()
        if let error = failure() { throw error }
        let seconds = Date().timeIntervalSince(start)
        if let best = agent.bestSelectionReturn, let step = agent.bestSelectionStep {
            print(String(format: "kept the network evaluated at step %d (mean return %.1f over %d selection episodes)",
                         step, best, config.selectionEpisodes))
            log(["selected_step": step, "selection_return": best])
        }
        let evaluation = evaluate(agent.greedyAction, on: &env, episodes: evaluationEpisodes, seed: seed &+ 10_000)
        if let error = failure() { throw error }
        log(["train_seconds": seconds, "evaluation_mean_return": evaluation.meanReturn,
             "evaluation_std_return": evaluation.standardDeviation, "evaluation_episodes": evaluationEpisodes])

        let suffix = isOneOfSeveral ? "-seed-\(seed)" : ""
        let saved = folder.file("q-network-\(Self.fileName(environmentID))\(suffix).safetensors")
        try agent.qNetwork.save(to: saved, metadata: ["env": environmentID, "algorithm": "dqn", "seed": "\(seed)",
                                                      "total_timesteps": "\(config.totalTimesteps)",
                                                      "hidden_sizes": config.hiddenSizes.map(String.init).joined(separator: ","),
                                                      "dueling": "\(config.isDueling)"])
        if !isOneOfSeveral { try writeFigures(history: history, losses: losses, folder: folder) }
        return Result(agent: agent, evaluation: evaluation, seconds: seconds, checkpoint: saved, history: history)
    }

    private func writeFigures(history: [EpisodeSummary], losses: [(x: Double, y: Double)], folder: RunFolder) throws {
        let name = Self.fileName(environmentID).lowercased()
        try RLFigures.learningCurve(history, title: "DQN on \(environmentID)", name: "learning-curve-dqn-\(name)",
                                    window: 20, folder: folder)
        guard losses.count > 1 else { return }
        let chart = LineChart(title: "TD loss (DQN, \(environmentID))", xLabel: "environment steps", yLabel: "loss",
                              series: [.init(name: "loss", points: losses)])
        folder.addFigure(title: "TD loss", files: try Figure.write(svg: chart.svg(), to: folder.file("td-loss-\(name).svg")),
                         caption: "The TD loss of each gradient step.")
    }

    /// An environment id as a file name part (Gymnasium ids may hold `/` and `:`).
    static func fileName(_ environmentID: String) -> String {
        String(environmentID.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}
