import Foundation
import NervaData
import NervaRL

/// DQN with several seeds into one run folder (`nerva rl train --seeds 1-5`): a line and a table
/// row per seed, how many seeds reach the environment's reward threshold, and the learning
/// curve as the mean over seeds with the range (min to max) around it.
struct DQNSeedsRun {
    let environmentID: String
    let config: DQNConfig
    let seeds: [UInt64]
    let evaluationEpisodes: Int
    /// The return that counts as solved (Gymnasium's `reward_threshold`), if known.
    let threshold: Double?

    /// Runs every seed with `runSeed`, which trains and evaluates one seed (a `DQNRun`).
    func run(folder: RunFolder, runSeed: (UInt64) throws -> DQNRun.Result) throws {
        var rows: [[String]] = []
        var histories: [[EpisodeSummary]] = []
        var returns: [Double] = []
        for seed in seeds {
            let result = try runSeed(seed)
            histories.append(result.history)
            returns.append(result.evaluation.meanReturn)
            let selected = result.agent.bestSelectionStep.map { "step \($0)" } ?? "last"
            print(String(format: "seed %llu: greedy mean return %.1f ± %.1f over %d episodes (network: %@, %.1f s)",
                         seed, result.evaluation.meanReturn, result.evaluation.standardDeviation, evaluationEpisodes,
                         selected, result.seconds))
            rows.append(["\(seed)", String(format: "%.1f", result.evaluation.meanReturn),
                         String(format: "%.1f", result.evaluation.standardDeviation), selected,
                         String(format: "%.1f", result.seconds)])
        }
        let mean = returns.reduce(0, +) / Double(returns.count)
        var summary = String(format: "%d seeds: greedy mean return %.1f (min %.1f, max %.1f)", seeds.count, mean,
                             returns.min() ?? 0, returns.max() ?? 0)
        if let threshold {
            let solved = returns.filter { $0 >= threshold }.count
            summary += String(format: "; %d/%d seeds reach %.0f", solved, seeds.count, threshold)
            folder.log(["part": "rl", "algorithm": "dqn", "env": environmentID, "seeds": seeds.count,
                        "seeds_solved": solved, "threshold": threshold, "mean_evaluation_return": mean])
        }
        print(summary)
        folder.addTable(title: "Greedy evaluation per seed (\(evaluationEpisodes) episodes)",
                        header: ["seed", "mean return", "std", "network kept", "train s"], rows: rows)
        folder.addText(title: "Summary", text: summary)
        try writeCurves(histories, folder: folder)
    }

    /// Mean and range over seeds of each seed's moving mean return (last 20 episodes), on a grid
    /// of environment steps.
    private func writeCurves(_ histories: [[EpisodeSummary]], folder: RunFolder) throws {
        let spacing = Swift.max(1, config.totalTimesteps / 200)
        let grid = Swift.stride(from: spacing, through: config.totalTimesteps, by: spacing).map { $0 }
        let curves = histories.map { Self.movingMean($0, window: 20, at: grid) }
        var mean: [(x: Double, y: Double)] = [], low: [(x: Double, y: Double)] = [], high: [(x: Double, y: Double)] = []
        for (index, step) in grid.enumerated() {
            let values = curves.compactMap { $0[index] }
            guard values.count == curves.count else { continue }
            mean.append((Double(step), values.reduce(0, +) / Double(values.count)))
            low.append((Double(step), values.min()!))
            high.append((Double(step), values.max()!))
        }
        guard mean.count > 1 else { return }
        var series: [LineChart.Series] = [.init(name: "max over seeds", points: high, color: "#9ecae1"),
                                          .init(name: "min over seeds", points: low, color: "#9ecae1"),
                                          .init(name: "mean over \(histories.count) seeds", points: mean, color: "#08519c")]
        if let threshold {
            series.append(.init(name: "threshold", points: [(mean[0].x, threshold), (mean[mean.count - 1].x, threshold)],
                                color: "#d62728"))
        }
        let title = "DQN on \(environmentID), seeds \(seeds.map(String.init).joined(separator: ", "))"
        let chart = LineChart(title: title, xLabel: "environment steps", yLabel: "episodic return (mean of last 20)",
                              series: series)
        let name = "learning-curve-dqn-seeds-\(DQNRun.fileName(environmentID).lowercased())"
        folder.addFigure(title: title, files: try Figure.write(svg: chart.svg(), to: folder.file("\(name).svg")),
                         caption: "For each seed, the mean return of its last 20 training episodes (ε-greedy); the dark line is the mean over seeds, the light lines the lowest and highest seed.")
    }

    /// The mean return of the last `window` episodes that ended by each step of `grid` (`nil`
    /// before the first episode ends).
    static func movingMean(_ history: [EpisodeSummary], window: Int, at grid: [Int]) -> [Double?] {
        var result: [Double?] = []
        var next = 0, sum = 0.0
        for step in grid {
            while next < history.count && history[next].totalSteps <= step {
                sum += history[next].episodeReturn
                if next >= window { sum -= history[next - window].episodeReturn }
                next += 1
            }
            result.append(next == 0 ? nil : sum / Double(Swift.min(next, window)))
        }
        return result
    }
}

/// `--seeds` values: `1-5`, `1,3,7` or `1-3,10`.
enum SeedList {
    static func parse(_ text: String) throws -> [UInt64] {
        var seeds: [UInt64] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
            switch bounds.count {
            case 1 where bounds[0] != nil: seeds.append(bounds[0]!)
            case 2 where bounds[0] != nil && bounds[1] != nil && bounds[0]! <= bounds[1]! && bounds[1]! - bounds[0]! < 1_000:
                seeds.append(contentsOf: bounds[0]!...bounds[1]!)
            default:
                throw SeedListError(text: text)
            }
        }
        guard !seeds.isEmpty else { throw SeedListError(text: text) }
        return seeds
    }

    struct SeedListError: Error, CustomStringConvertible {
        let text: String
        var description: String { "--seeds '\(text)' is not a seed list such as 1-5, 1,3,7 or 1-3,10." }
    }
}
