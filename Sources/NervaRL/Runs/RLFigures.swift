import Foundation
import NervaData

/// Figures of reinforcement-learning runs: learning curves, value heat maps and policy maps of
/// grid worlds, written into a run folder.
public enum RLFigures {
    /// Episodic return against environment steps, raw and as a moving mean over `window` episodes.
    /// - Parameters:
    ///   - episodes: The training episodes, in order.
    ///   - title: The figure's title.
    ///   - name: The file name, without `.svg`.
    ///   - window: How many episodes the moving mean spans.
    ///   - showsEpisodes: Whether to draw each episode's return too (grey), not only the mean.
    ///   - folder: The run folder the figure goes into.
    public static func learningCurve(
        _ episodes: [EpisodeSummary], title: String, name: String, window: Int = 100,
        showsEpisodes: Bool = true, folder: RunFolder
    ) throws {
        guard !episodes.isEmpty else { return }
        let stride = Swift.max(1, episodes.count / 2_000) // keep SVGs small
        let raw = Swift.stride(from: 0, to: episodes.count, by: stride).map {
            (x: Double(episodes[$0].totalSteps), y: episodes[$0].episodeReturn)
        }
        var mean: [(x: Double, y: Double)] = []
        var sum = 0.0
        for (index, episode) in episodes.enumerated() {
            sum += episode.episodeReturn
            if index >= window { sum -= episodes[index - window].episodeReturn }
            if index % stride == 0 || index == episodes.count - 1 {
                mean.append((Double(episode.totalSteps), sum / Double(Swift.min(index + 1, window))))
            }
        }
        let series: [LineChart.Series] =
            (showsEpisodes ? [.init(name: "episode", points: raw, color: "#bbbbbb")] : [])
            + [.init(name: "mean of last \(window)", points: mean)]
        let chart = LineChart(title: title, xLabel: "environment steps", yLabel: "episodic return", series: series)
        folder.addFigure(
            title: title, files: try Figure.write(svg: chart.svg(), to: folder.file("\(name).svg")),
            caption: showsEpisodes
                ? "Return of each training episode (grey) and its moving mean, against environment steps."
                : "Mean return of the last \(window) training episodes, against environment steps.")
    }

    /// State values of a grid world as a heat map laid out like the board; each cell shows its tile
    /// (S, F, H, G, …) and, where the agent acts, the greedy action of `policy` as an arrow.
    /// - Parameters:
    ///   - values: One value per cell, row by row.
    ///   - grid: The board, one string per row (``TabularEnvironment/grid``).
    ///   - policy: The policy whose actions to draw (none when `nil`).
    ///   - arrows: The arrow of each action (``arrows(for:)``).
    ///   - title: The figure's title.
    ///   - name: The file name, without `.svg`.
    ///   - caption: The figure's caption in the report.
    ///   - folder: The run folder the figure goes into.
    public static func valueHeatMap(
        _ values: [Double], grid: [String], policy: TabularPolicy?, arrows: [String]?,
        title: String, name: String, caption: String, folder: RunFolder
    ) throws {
        let columns = grid[0].count
        let rows = (0..<grid.count).map { row in (0..<columns).map { values[row * columns + $0] } }
        let labels = grid.enumerated().map { row, line in
            line.enumerated().map { column, tile -> String in
                guard let policy, let arrows, "SF.".contains(tile) else { return String(tile) }
                let arrow = arrows[policy.actions[row * columns + column]]
                return tile == "." ? arrow : "\(tile) \(arrow)"
            }
        }
        let map = HeatMap(
            title: title, rowLabels: (0..<grid.count).map(String.init),
            columnLabels: (0..<columns).map(String.init), values: rows, showsValues: columns <= 12,
            xLabel: "column", yLabel: "row", cellLabels: labels)
        folder.addFigure(
            title: title, files: try Figure.write(svg: map.svg(), to: folder.file("\(name).svg")), caption: caption)
    }

    /// The greedy policy of a grid world as arrows on the board (holes, cliff and goal kept).
    /// - Parameters:
    ///   - policy: The policy.
    ///   - grid: The board, one string per row.
    ///   - arrows: The arrow of each action.
    public static func policyText(_ policy: TabularPolicy, grid: [String], arrows: [String]) -> String {
        let columns = grid[0].count
        return grid.enumerated().map { row, line in
            line.enumerated().map { column, cell in
                "SF.".contains(cell) ? arrows[policy.actions[row * columns + column]] : String(cell)
            }.joined(separator: " ")
        }.joined(separator: "\n")
    }

    /// The arrows of each action of a grid world, by environment (`nil` for other environments).
    /// - Parameter environment: FrozenLake or CliffWalking.
    public static func arrows(for environment: TabularEnvironment) -> [String]? {
        switch environment.name {
        case "FrozenLake-v1": return ["←", "↓", "→", "↑"]
        case "CliffWalking-v1": return ["↑", "→", "↓", "←"]
        default: return nil
        }
    }
}
