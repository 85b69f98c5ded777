import Foundation
import NervaData

/// Renders a `DQNTrainingRun` into a run folder: progress, metric lines, the kept network's step,
/// learning and loss curves, and the Q-network checkpoint. Used by `nerva rl train --algorithm
/// dqn` (one seed or several, built-in or Gymnasium environments) and the tour.
public struct DQNRun {
    /// The environment's id, in records and file names.
    public let environmentID: String
    /// The training run this renders.
    public let training: DQNTrainingRun
    /// One of several seeds: files are suffixed `-seed-N`, per-run figures are left out (the
    /// caller draws them for all seeds together) and progress is labelled.
    public var isOneOfSeveral = false

    /// A DQN run to write into a folder.
    /// - Parameters:
    ///   - environmentID: The environment's id, in records and file names.
    ///   - config: DQN's settings.
    ///   - seed: The seed of the agent and the environment.
    ///   - evaluationEpisodes: How many greedy episodes evaluate the trained network.
    ///   - checkpoint: A Q-network to start from (`nil`: a new one).
    public init(environmentID: String, config: DQNConfig, seed: UInt64, evaluationEpisodes: Int, checkpoint: URL?) {
        self.environmentID = environmentID
        training = DQNTrainingRun(
            config: config, seed: seed, evaluationEpisodes: evaluationEpisodes,
            initialNetwork: checkpoint)
    }

    /// DQN's settings.
    public var config: DQNConfig { training.config }
    /// The seed of the agent and the environment.
    public var seed: UInt64 { training.seed }

    /// Trains on the built-in environment `environmentID`.
    /// - Parameters:
    ///   - folder: The run folder.
    ///   - part: The `part` field of the metric records.
    /// - Returns: The training run's result.
    public func run(folder: RunFolder, part: String = "rl") throws -> DQNTrainingRun.Result {
        try run(
            environment: try EnvironmentRegistry.control(environmentID), selectionEnvironment: nil, failure: { nil },
            folder: folder, part: part)
    }

    /// Trains on `environment` (selection on `selectionEnvironment`, a copy when `nil`); `failure`
    /// reports an environment that broke (a bridge), which ends training and is thrown.
    /// - Parameters:
    ///   - environment: The environment to train on.
    ///   - selectionEnvironment: Where the periodic selection evaluations play (a copy of `environment` when `nil`).
    ///   - failure: The error of an environment that broke, if any.
    ///   - folder: The run folder.
    ///   - part: The `part` field of the metric records.
    /// - Returns: The training run's result.
    public func run<E: Environment>(
        environment: E, selectionEnvironment: (any Environment<[Float], Int>)?, failure: () -> Error?,
        folder: RunFolder, part: String = "rl"
    ) throws -> DQNTrainingRun.Result
    where E.Observation == [Float], E.Action == Int {
        let label = isOneOfSeveral ? "dqn \(environmentID) seed \(seed)" : "dqn \(environmentID)"
        let progress = ProgressBar(label: label, total: config.totalTimesteps)
        var losses: [(x: Double, y: Double)] = []
        var recent = 0.0
        var lastLoss = 0.0
        var episodes = 0
        func log(_ values: MetricRecord) {
            var record: MetricRecord = [
                "part": part, "algorithm": "dqn", "env": environmentID, "seed": Int(truncatingIfNeeded: seed)
            ]
            for field in values.fields { record[field.key] = field.value }
            folder.log(record)
        }
        let result = try training.run(
            on: environment, selectionEnvironment: selectionEnvironment, failure: failure,
            onEpisode: { episode in
                episodes += 1
                recent = episodes == 1 ? episode.episodeReturn : 0.95 * recent + 0.05 * episode.episodeReturn
                log([
                    "episode": episode.episode + 1, "steps": episode.totalSteps, "return": episode.episodeReturn,
                    "length": episode.length, "epsilon": episode.epsilon
                ])
                progress.update(
                    step: episode.totalSteps, values: [("return", recent), ("loss", lastLoss), ("ε", episode.epsilon)])
            },
            onUpdate: { update in
                lastLoss = Double(update.loss)
                if losses.count < 5_000 || update.step % 1_000 == 0 { losses.append((Double(update.step), lastLoss)) }
                if update.step % 1_000 == 0 {
                    log(["steps": update.step, "loss": update.loss, "mean_q": update.meanQ])
                }
            })
        progress.finish()
        if let best = result.agent.bestSelectionReturn, let step = result.agent.bestSelectionStep {
            print(
                String(
                    format: "kept the network evaluated at step %d (mean return %.1f on the selection episodes)", step,
                    best))
            log(["selected_step": step, "selection_return": best])
        }
        log([
            "train_seconds": result.seconds, "training_steps": result.trainingSteps,
            "selection_steps": result.selectionSteps,
            "evaluation_mean_return": result.evaluation.meanReturn,
            "evaluation_std_return": result.evaluation.standardDeviation,
            "evaluation_episodes": training.evaluationEpisodes
        ])
        let suffix = isOneOfSeveral ? "-seed-\(seed)" : ""
        try training.saveNetwork(
            result.agent, to: folder.file("q-network-\(Self.fileName(environmentID))\(suffix).safetensors"),
            environmentID: environmentID)
        if !isOneOfSeveral { try writeFigures(history: result.history, losses: losses, folder: folder) }
        return result
    }

    private func writeFigures(history: [EpisodeSummary], losses: [(x: Double, y: Double)], folder: RunFolder) throws {
        let name = Self.fileName(environmentID).lowercased()
        try RLFigures.learningCurve(
            history, title: "DQN on \(environmentID)", name: "learning-curve-dqn-\(name)",
            window: 20, folder: folder)
        guard losses.count > 1 else { return }
        let chart = LineChart(
            title: "TD loss (DQN, \(environmentID))", xLabel: "environment steps", yLabel: "loss",
            series: [.init(name: "loss", points: losses)])
        folder.addFigure(
            title: "TD loss", files: try Figure.write(svg: chart.svg(), to: folder.file("td-loss-\(name).svg")),
            caption: "The TD loss of each gradient step.")
    }

    /// The environment steps of a run for people: training steps, and the selection steps beside them.
    /// - Parameter result: A finished run.
    public static func stepsText(_ result: DQNTrainingRun.Result) -> String {
        result.selectionSteps > 0
            ? "\(result.trainingSteps) training steps + \(result.selectionSteps) selection-evaluation steps"
            : "\(result.trainingSteps) training steps"
    }

    /// An environment id as a file name part (Gymnasium ids may hold `/` and `:`).
    /// - Parameter environmentID: The id.
    public static func fileName(_ environmentID: String) -> String {
        String(environmentID.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}
