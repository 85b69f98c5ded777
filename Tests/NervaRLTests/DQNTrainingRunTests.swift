import Foundation
import NervaRL
import Testing

/// The library's DQN run and seed sweep (what `nerva rl train --algorithm dqn [--seeds]` renders).
@Suite struct DQNTrainingRunTests {
    static var tinyConfig: DQNConfig {
        var config = DQNConfig()
        config.totalTimesteps = 600
        config.learningStarts = 100
        config.trainFrequency = 4
        config.batchSize = 32
        config.bufferSize = 1_000
        config.hiddenSizes = [16]
        return config
    }

    @Test func selectionStepsAreCountedApartFromTrainingSteps() throws {
        var config = Self.tinyConfig
        let plain = try DQNTrainingRun(config: config, seed: 1, evaluationEpisodes: 3)
            .run(on: try EnvironmentRegistry.control("CartPole-v1"))
        #expect(plain.trainingSteps == 600 && plain.selectionSteps == 0 && plain.evaluation.returns.count == 3)
        config.selectionFrequency = 200
        config.selectionEpisodes = 2
        let selecting = try DQNTrainingRun(config: config, seed: 1, evaluationEpisodes: 3)
            .run(on: try EnvironmentRegistry.control("CartPole-v1"))
        // Evaluations at steps 200, 400 and the end: at least 3 × 2 episodes of at least 8 steps.
        #expect(selecting.trainingSteps == 600 && selecting.selectionSteps >= 48)
        #expect(selecting.agent.bestSelectionStep != nil)
        config.selectionConfirmationEpisodes = 6
        let confirming = try DQNTrainingRun(config: config, seed: 1, evaluationEpisodes: 3)
            .run(on: try EnvironmentRegistry.control("CartPole-v1"))
        // The first evaluation always confirms (no best yet): 6 episodes there alone.
        #expect(confirming.selectionSteps > selecting.selectionSteps)
    }

    /// The preset `nerva rl train --env CartPole-v1` uses solves the task (≥ 475 over 100 greedy
    /// episodes) within its 100,000 steps; seeds 1–20 all reached 500 when it was chosen.
    @Test func theCartPolePresetSolvesCartPole() throws {
        let result = try DQNTrainingRun(config: DQNPresets.cartPole, seed: 1, evaluationEpisodes: 100)
            .run(on: try EnvironmentRegistry.control("CartPole-v1"))
        #expect(result.trainingSteps == 100_000)
        #expect(result.evaluation.meanReturn >= 475, "\(result.evaluation.meanReturn)")
    }

    @Test func badSettingsAreThrown() {
        var config = Self.tinyConfig
        config.batchSize = 0
        #expect(throws: DQNConfigError.self) {
            try DQNTrainingRun(config: config, seed: 1).run(on: try EnvironmentRegistry.control("CartPole-v1"))
        }
    }

    @Test func sweepCountsSolvedSeedsAndAveragesCurves() throws {
        let sweep = try DQNSeedSweep.run(seeds: [1, 2], threshold: 30) { seed in
            try DQNTrainingRun(config: Self.tinyConfig, seed: seed, evaluationEpisodes: 2)
                .run(on: try EnvironmentRegistry.control("CartPole-v1"))
        }
        #expect(sweep.results.map(\.seed) == [1, 2])
        #expect(sweep.solvedCount == sweep.meanReturns.filter { $0 >= 30 }.count)
        #expect(sweep.summary.hasPrefix("2 seeds: greedy mean return") && sweep.summary.contains("/2 seeds reach 30"))
        let curves = sweep.curves(window: 5, grid: [100, 300, 600])
        #expect(!curves.isEmpty && curves.allSatisfy { $0.low <= $0.mean && $0.mean <= $0.high })
    }

    @Test func movingMeanOverEpisodes() {
        let history = [10.0, 20, 30, 40].enumerated().map {
            EpisodeSummary(
                episode: $0.offset, episodeReturn: $0.element, length: 10, isTerminated: true, epsilon: 0,
                totalSteps: 10 * ($0.offset + 1))
        }
        #expect(DQNSeedSweep.movingMean(history, window: 2, at: [5, 10, 25, 40]) == [nil, 10, 15, 35])
    }

    @Test func seedLists() throws {
        #expect(try SeedList.parse("1-3,10") == [1, 2, 3, 10])
        #expect(try SeedList.parse("7") == [7])
        for bad in ["", "1,,3", "5-1", "a", "1-5000"] {
            #expect(throws: SeedListError(text: bad)) { try SeedList.parse(bad) }
        }
    }
}
