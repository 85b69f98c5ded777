import Foundation
import NervaData

/// Renders a `DQNSeedSweep` into a run folder (`nerva rl train --seeds 1-5`): a line and a table
/// row per seed (training and selection steps included), how many seeds reach the environment's
/// reward threshold, and the learning curve as the mean over seeds with the range around it.
public struct DQNSeedsRun {
    /// The environment's id, in records, titles and file names.
    public let environmentID: String
    /// DQN's settings, the same for every seed.
    public let config: DQNConfig
    /// The seeds, in order.
    public let seeds: [UInt64]
    /// How many greedy episodes evaluate each seed's network.
    public let evaluationEpisodes: Int
    /// The return that counts as solved (Gymnasium's `reward_threshold`), if known.
    public let threshold: Double?

    /// A sweep to write into a folder.
    /// - Parameters:
    ///   - environmentID: The environment's id.
    ///   - config: DQN's settings, the same for every seed.
    ///   - seeds: The seeds, in order.
    ///   - evaluationEpisodes: How many greedy episodes evaluate each seed's network.
    ///   - threshold: The return that counts as solved, if known.
    public init(
        environmentID: String, config: DQNConfig, seeds: [UInt64], evaluationEpisodes: Int, threshold: Double?
    ) {
        self.environmentID = environmentID
        self.config = config
        self.seeds = seeds
        self.evaluationEpisodes = evaluationEpisodes
        self.threshold = threshold
    }

    /// Runs every seed with `runSeed`, which trains and evaluates one seed (a `DQNRun`).
    /// - Parameters:
    ///   - folder: The run folder.
    ///   - runSeed: Trains and evaluates the given seed.
    public func run(folder: RunFolder, runSeed: (UInt64) throws -> DQNTrainingRun.Result) throws {
        var rows: [[String]] = []
        let sweep = try DQNSeedSweep.run(
            seeds: seeds, threshold: threshold,
            onSeed: { result in
                let selected = result.selectedStep.map { "step \($0)" } ?? "last"
                print(
                    String(
                        format: "seed %llu: greedy mean return %.1f ± %.1f over %d episodes "
                            + "(network: %@; %d training + %d selection steps; %.1f s)",
                        result.seed, result.evaluation.meanReturn, result.evaluation.standardDeviation,
                        evaluationEpisodes,
                        selected, result.trainingSteps, result.selectionSteps, result.seconds))
                rows.append([
                    "\(result.seed)", String(format: "%.1f", result.evaluation.meanReturn),
                    String(format: "%.1f", result.evaluation.standardDeviation), selected, "\(result.trainingSteps)",
                    "\(result.selectionSteps)", String(format: "%.1f", result.seconds)
                ])
            }, run: runSeed)
        if let threshold, let solved = sweep.solvedCount {
            folder.log([
                "part": "rl", "algorithm": "dqn", "env": environmentID, "seeds": seeds.count,
                "seeds_solved": solved, "threshold": threshold, "mean_evaluation_return": sweep.meanReturn
            ])
        }
        print(sweep.summary)
        folder.addTable(
            title: "Greedy evaluation per seed (\(evaluationEpisodes) episodes)",
            header: ["seed", "mean return", "std", "network kept", "training steps", "selection steps", "train s"],
            rows: rows)
        folder.addText(title: "Summary", text: sweep.summary)
        try writeCurves(sweep, folder: folder)
    }

    /// Mean and range over seeds of each seed's moving mean return (last 20 episodes).
    private func writeCurves(_ sweep: DQNSeedSweep, folder: RunFolder) throws {
        let spacing = Swift.max(1, config.totalTimesteps / 200)
        let curves = sweep.curves(
            window: 20, grid: Swift.stride(from: spacing, through: config.totalTimesteps, by: spacing).map { $0 })
        guard curves.count > 1, let first = curves.first, let last = curves.last else { return }
        var series: [LineChart.Series] = [
            .init(name: "max over seeds", points: curves.map { (Double($0.step), $0.high) }, color: "#9ecae1"),
            .init(name: "min over seeds", points: curves.map { (Double($0.step), $0.low) }, color: "#9ecae1"),
            .init(
                name: "mean over \(sweep.results.count) seeds", points: curves.map { (Double($0.step), $0.mean) },
                color: "#08519c")
        ]
        if let threshold {
            series.append(
                .init(
                    name: "threshold", points: [(Double(first.step), threshold), (Double(last.step), threshold)],
                    color: "#d62728"))
        }
        let title = "DQN on \(environmentID), seeds \(seeds.map(String.init).joined(separator: ", "))"
        let chart = LineChart(
            title: title, xLabel: "environment steps", yLabel: "episodic return (mean of last 20)",
            series: series)
        let name = "learning-curve-dqn-seeds-\(DQNRun.fileName(environmentID).lowercased())"
        folder.addFigure(
            title: title, files: try Figure.write(svg: chart.svg(), to: folder.file("\(name).svg")),
            caption: "For each seed, the mean return of its last 20 training episodes (ε-greedy); the dark line is "
                + "the mean over seeds, the light lines the lowest and highest seed."
        )
    }
}
