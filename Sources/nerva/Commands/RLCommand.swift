import ArgumentParser
import Foundation
import NervaData
import NervaNN
import NervaRL

/// `nerva rl`: reinforcement learning on Gymnasium-compatible built-in environments.
struct RLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl",
        abstract: "Reinforcement learning: tabular Q-learning/SARSA, value iteration, Deep Q-Learning.",
        discussion: """
        Environments: \((EnvironmentRegistry.tabularIDs + EnvironmentRegistry.controlIDs).joined(separator: ", ")), \
        made as gymnasium.make makes them (same dynamics, rewards and time limits).
        """,
        subcommands: [RLTrainCommand.self, RLEvaluateCommand.self, RLPlanCommand.self, RLPlayCommand.self]
    )
}

/// The learning algorithms `nerva rl train` offers.
enum RLAlgorithm: String, ExpressibleByArgument, CaseIterable {
    case qLearning = "q-learning", sarsa, expectedSarsa = "expected-sarsa", dqn

    var tabular: TabularAlgorithm? { TabularAlgorithm(rawValue: rawValue) }
}

/// `nerva rl train`: trains an agent and writes curves, heat maps, a checkpoint and a report.
struct RLTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an agent (tabular methods on FrozenLake/Taxi/CliffWalking, DQN on CartPole/MountainCar/Acrobot).",
        discussion: "Defaults: tuned presets for the tabular environments; CleanRL's dqn.py settings for DQN."
    )

    @Option(help: "The algorithm: \(RLAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")).")
    var algorithm: RLAlgorithm = .qLearning

    @Option(help: "The environment id, such as FrozenLake-v1 or CartPole-v1.")
    var env: String = "FrozenLake-v1"

    @Option(help: "Tabular: training episodes (default: the environment's preset).")
    var episodes: Int?

    @Option(help: "DQN: total environment steps.")
    var totalTimesteps: Int = 100_000

    @Option(help: "Learning rate (tabular α, default from the preset; DQN Adam, default 2.5e-4).")
    var learningRate: Double?

    @Option(help: "Discount factor γ (default from the preset; DQN 0.99).")
    var discount: Double?

    @Option(help: "DQN: steps of pure collection before learning (CleanRL 10000).")
    var learningStarts: Int = 10_000

    @Option(help: "DQN: replay buffer capacity (CleanRL 10000).")
    var bufferSize: Int = 10_000

    @Option(help: "DQN: fraction of the steps over which ε falls from 1 to 0.05 (CleanRL 0.5).")
    var explorationFraction: Double = 0.5

    @Option(help: "DQN: environment steps between gradient steps (CleanRL 10).")
    var trainFrequency: Int = 10

    @Option(help: "DQN: steps between target network updates (CleanRL 500).")
    var targetNetworkFrequency: Int = 500

    @Option(help: "DQN: transitions per gradient step (CleanRL 128).")
    var batchSize: Int = 128

    @Flag(help: "DQN: Huber loss instead of MSE.")
    var huber = false

    @Option(help: "DQN: clip the gradient norm to this value.")
    var maxGradientNorm: Float?

    @Option(help: "DQN: every N steps evaluate the greedy policy (10 episodes) and keep the best network (off by default).")
    var selectEvery: Int?

    @Flag(help: "DQN: Double DQN targets.")
    var double = false

    @Flag(help: "DQN: dueling value/advantage heads.")
    var dueling = false

    @Option(help: "FrozenLake: a custom map, rows separated by '/' (e.g. SFFF/FHFH/FFFH/HFFG).")
    var map: String?

    @Option(help: "FrozenLake: a random valid map of this size instead of the built-in one.")
    var randomMap: Int?

    @Flag(inversion: .prefixedNo, help: "FrozenLake/CliffWalking: slippery moves (FrozenLake default: on).")
    var slippery: Bool?

    @Option(help: "Greedy evaluation episodes after training.")
    var evaluationEpisodes: Int = 100

    @Option(help: "DQN: start from this Q-network checkpoint.")
    var checkpoint: String?

    @Option(help: "Output folder (default ./nerva-out/rl-train-<timestamp>).")
    var out: String?

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    func validate() throws {
        let known = algorithm == .dqn ? EnvironmentRegistry.controlIDs : EnvironmentRegistry.tabularIDs
        guard known.contains(env) else {
            throw ValidationError("--env \(env) is not available for \(algorithm.rawValue); choose one of \(known.joined(separator: ", ")).")
        }
        if let episodes, episodes <= 0 { throw ValidationError("--episodes must be positive, got \(episodes).") }
        guard totalTimesteps > 0 else { throw ValidationError("--total-timesteps must be positive, got \(totalTimesteps).") }
        if let learningRate, !(learningRate > 0 && learningRate <= 1) { throw ValidationError("--learning-rate must be in (0, 1], got \(learningRate).") }
        if let discount, !(0...1).contains(discount) { throw ValidationError("--discount must be in [0, 1], got \(discount).") }
        guard evaluationEpisodes > 0 else { throw ValidationError("--evaluation-episodes must be positive, got \(evaluationEpisodes).") }
        if let map { do { _ = try FrozenLake.parseMap(map) } catch { throw ValidationError("--map: \(error)") } }
        if let randomMap, randomMap < 2 { throw ValidationError("--random-map must be at least 2, got \(randomMap).") }
    }

    func run() throws {
        let folder = try RunFolder(command: "rl-train", out: out, settings: [
            ("algorithm", algorithm.rawValue), ("env", env), ("seed", "\(seed)"),
        ])
        print("nerva rl train → \(folder.url.path)")
        if let tabular = algorithm.tabular {
            let customMap = try randomMap.map { FrozenLake.randomMap(size: $0, generator: RandomGenerator(seed: seed)) }
                ?? map.map(FrozenLake.parseMap)
            let environment = try EnvironmentRegistry.tabular(env, isSlippery: slippery, map: customMap)
            var (config, presetEpisodes) = TabularPresets.settings(for: env, algorithm: tabular)
            config = TabularConfig(algorithm: tabular, learningRate: learningRate ?? config.learningRate,
                                   discount: discount ?? config.discount, epsilon: config.epsilon)
            let result = try TabularRun(environmentID: env, environment: environment, config: config,
                                        episodes: episodes ?? presetEpisodes, seed: seed,
                                        evaluationEpisodes: evaluationEpisodes).run(folder: folder)
            print(String(format: "greedy policy: expected return %.4f (value iteration's policy: %.4f); sampled mean over %d episodes %.4f",
                         result.greedyValue, result.optimalValue, evaluationEpisodes, result.sampledReturn))
        } else {
            var config = DQNConfig()
            config.totalTimesteps = totalTimesteps
            config.learningStarts = learningStarts
            config.isDouble = double
            config.isDueling = dueling
            config.bufferSize = bufferSize
            config.explorationFraction = explorationFraction
            config.trainFrequency = trainFrequency
            config.targetNetworkFrequency = targetNetworkFrequency
            config.batchSize = batchSize
            config.loss = huber ? .huber(delta: 1) : .mse
            config.maxGradientNorm = maxGradientNorm
            config.selectionFrequency = selectEvery
            if let learningRate { config.learningRate = Float(learningRate) }
            if let discount { config.discount = Float(discount) }
            if let problem = config.problem() { throw ValidationError(problem) }
            let result = try DQNRun(environmentID: env, config: config, seed: seed, evaluationEpisodes: evaluationEpisodes,
                                    checkpoint: checkpoint.map { URL(fileURLWithPath: $0) }).run(folder: folder)
            print(String(format: "trained %d steps in %.1f s; greedy mean return over %d episodes: %.1f ± %.1f",
                         totalTimesteps, result.seconds, evaluationEpisodes, result.evaluation.meanReturn,
                         result.evaluation.standardDeviation))
        }
        try folder.writeReport()
        print("report: \(folder.file("index.html").path)")
    }
}
