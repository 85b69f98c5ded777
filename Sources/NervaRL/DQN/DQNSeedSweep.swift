import Foundation

/// The outcome of the same DQN settings over several seeds (`nerva rl train --seeds 1-10`): each
/// seed's greedy mean return, how many reach the environment's reward threshold, and the learning
/// curves as the mean and range over seeds.
public struct DQNSeedSweep: Sendable {
    /// One seed's result.
    public struct SeedResult: Sendable {
        /// The seed.
        public let seed: UInt64
        /// The greedy policy's returns after training.
        public let evaluation: EvaluationResult
        /// The step whose network was kept, `nil` for the last network.
        public let selectedStep: Int?
        /// Environment steps that trained the agent.
        public let trainingSteps: Int
        /// Environment steps spent on selection evaluations.
        public let selectionSteps: Int
        /// Seconds of training.
        public let seconds: Double
        /// The training episodes.
        public let history: [EpisodeSummary]

        /// A seed's result from its run.
        public init(seed: UInt64, run: DQNTrainingRun.Result) {
            self.seed = seed
            evaluation = run.evaluation
            selectedStep = run.agent.bestSelectionStep
            trainingSteps = run.trainingSteps
            selectionSteps = run.selectionSteps
            seconds = run.seconds
            history = run.history
        }
    }

    /// The return that counts as solved (Gymnasium's `reward_threshold`), if known.
    public let threshold: Double?
    /// The seeds' results, in the order they ran.
    public private(set) var results: [SeedResult] = []

    /// An empty sweep against `threshold`.
    public init(threshold: Double?) { self.threshold = threshold }

    /// Runs `run` for every seed in turn, calling `onSeed` after each.
    public static func run(
        seeds: [UInt64], threshold: Double?, onSeed: (SeedResult) -> Void = { _ in },
        run: (UInt64) throws -> DQNTrainingRun.Result
    ) rethrows -> DQNSeedSweep {
        var sweep = DQNSeedSweep(threshold: threshold)
        for seed in seeds {
            let result = SeedResult(seed: seed, run: try run(seed))
            sweep.results.append(result)
            onSeed(result)
        }
        return sweep
    }

    /// Each seed's greedy mean return.
    public var meanReturns: [Double] { results.map(\.evaluation.meanReturn) }
    /// The mean over seeds of the greedy mean returns.
    public var meanReturn: Double { meanReturns.reduce(0, +) / Double(Swift.max(results.count, 1)) }
    /// The seeds whose greedy mean return reaches `threshold` (`nil` without a threshold).
    public var solvedCount: Int? { threshold.map { threshold in meanReturns.filter { $0 >= threshold }.count } }

    /// A sentence for people: the mean, range and solved count.
    public var summary: String {
        let returns = meanReturns
        let low = Self.format(returns.min() ?? 0), high = Self.format(returns.max() ?? 0)
        var text = "\(results.count) seeds: greedy mean return \(Self.format(meanReturn)) (min \(low), max \(high))"
        if let threshold, let solved = solvedCount {
            text += "; \(solved)/\(results.count) seeds reach \(Self.format(threshold))"
        }
        return text
    }

    private static func format(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// Mean and range over seeds of each seed's moving mean return (last `window` episodes) on a
    /// grid of steps; points where some seed has no finished episode yet are left out.
    public func curves(window: Int = 20, grid: [Int]) -> [(step: Int, mean: Double, low: Double, high: Double)] {
        let curves = results.map { Self.movingMean($0.history, window: window, at: grid) }
        return grid.enumerated().compactMap { index, step in
            let values = curves.compactMap { $0[index] }
            guard !values.isEmpty, values.count == curves.count, let low = values.min(), let high = values.max() else {
                return nil
            }
            return (step, values.reduce(0, +) / Double(values.count), low, high)
        }
    }

    /// The mean return of the last `window` episodes that ended by each step of `grid` (`nil`
    /// before the first episode ends).
    public static func movingMean(_ history: [EpisodeSummary], window: Int, at grid: [Int]) -> [Double?] {
        var result: [Double?] = []
        var next = 0
        var sum = 0.0
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

/// A list of seeds written as `1-5`, `1,3,7` or `1-3,10` (at most 1,000 in a range).
public enum SeedList {
    /// The seeds `text` lists, in order.
    ///
    /// - Throws: `SeedListError` for empty parts, bad numbers or reversed ranges.
    public static func parse(_ text: String) throws -> [UInt64] {
        var seeds: [UInt64] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
                .map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
            switch bounds.count {
            case 1 where bounds[0] != nil: seeds.append(bounds[0]!)
            case 2
            where bounds[0] != nil && bounds[1] != nil && bounds[0]! <= bounds[1]! && bounds[1]! - bounds[0]! < 1_000:
                seeds.append(contentsOf: bounds[0]!...bounds[1]!)
            default:
                throw SeedListError(text: text)
            }
        }
        guard !seeds.isEmpty else { throw SeedListError(text: text) }
        return seeds
    }
}

/// A `--seeds` text that is not a seed list.
public struct SeedListError: Error, CustomStringConvertible, Equatable {
    /// The text given.
    public let text: String

    /// The error for `text`.
    public init(text: String) { self.text = text }
    public var description: String { "--seeds '\(text)' is not a seed list such as 1-5, 1,3,7 or 1-3,10." }
}
