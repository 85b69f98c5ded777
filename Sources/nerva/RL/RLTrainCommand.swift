import ArgumentParser
import Foundation
import NervaData
import NervaNN
import NervaRL

/// `nerva rl train`: trains an agent and writes curves, heat maps, a checkpoint and a report.
struct RLTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract:
            "Train an agent (tabular methods on FrozenLake/Taxi/CliffWalking, DQN on CartPole/MountainCar/Acrobot, or any Gymnasium environment).",
        discussion: """
            Defaults: tuned presets for the tabular environments; for DQN, CleanRL's dqn.py settings, except on \
            CartPole-v1 where the tuned preset is used (--preset cleanrl for CleanRL's). --gymnasium ENV_ID trains on an \
            environment of the Python Gymnasium in .venv (or $NERVA_PYTHON) through scripts/gymnasium_bridge.py: \
            DQN for Box observations, tabular methods for Discrete ones.
            """
    )

    @Option(
        help:
            "The algorithm: \(RLAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")) (default: dqn for vector observations, q-learning otherwise)."
    )
    var algorithm: RLAlgorithm?

    @Option(help: "The built-in environment id, such as FrozenLake-v1 or CartPole-v1 (default FrozenLake-v1).")
    var env: String?

    @Option(help: "Train on this environment of the Python Gymnasium instead (any id gymnasium.make accepts).")
    var gymnasium: String?

    @Option(help: "Keyword arguments for gymnasium.make, as a JSON object (e.g. '{\"is_slippery\": false}').")
    var gymnasiumOptions: String = "{}"

    @Option(help: "DQN: several seeds, such as 1-5 or 1,3,7: per-seed results and learning curves as mean and range.")
    var seeds: String?

    @Option(parsing: .unconditional, help: "Tabular: training episodes (default: the environment's preset).")
    var episodes: Int?

    @Option(
        parsing: .unconditional, help: "Learning rate (tabular α, default from the preset; DQN Adam, default 2.5e-4).")
    var learningRate: Double?

    @Option(parsing: .unconditional, help: "Discount factor γ (default from the preset; DQN 0.99).")
    var discount: Double?

    @OptionGroup var dqn: DQNOptions

    @Option(help: "FrozenLake: a custom map, rows separated by '/' (e.g. SFFF/FHFH/FFFH/HFFG).")
    var map: String?

    @Option(parsing: .unconditional, help: "FrozenLake: a random valid map of this size instead of the built-in one.")
    var randomMap: Int?

    @Flag(inversion: .prefixedNo, help: "FrozenLake/CliffWalking: slippery moves (FrozenLake default: on).")
    var slippery: Bool?

    @Flag(help: "Taxi: rainy roads (Gymnasium's is_rainy: the intended move with probability 0.8, else sideways).")
    var rainy = false

    @Option(parsing: .unconditional, help: "Greedy evaluation episodes after training.")
    var evaluationEpisodes: Int = 100

    @Option(help: "DQN: start from this Q-network checkpoint.")
    var checkpoint: String?

    @Option(help: "Output folder (default ./nerva-out/rl-train-<timestamp>).")
    var out: String?

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = 0

    /// The environment id trained on.
    var environmentID: String { gymnasium ?? env ?? "FrozenLake-v1" }

    func validate() throws {
        if gymnasium != nil {
            guard env == nil else { throw ValidationError("give either --env (built-in) or --gymnasium, not both.") }
            guard (try? JSONSerialization.jsonObject(with: Data(gymnasiumOptions.utf8))) is [String: Any] else {
                throw ValidationError("--gymnasium-options must be a JSON object, got '\(gymnasiumOptions)'.")
            }
            if map != nil || randomMap != nil || slippery != nil || rainy {
                throw ValidationError(
                    "--map, --random-map, --slippery and --rainy are for built-in environments; pass options with --gymnasium-options."
                )
            }
        } else {
            let id = environmentID
            let isControl = EnvironmentRegistry.controlIDs.contains(id)
            let algorithm = self.algorithm ?? (isControl ? .dqn : .qLearning)
            let known = algorithm == .dqn ? EnvironmentRegistry.controlIDs : EnvironmentRegistry.tabularIDs
            guard known.contains(id) else {
                throw ValidationError(
                    "--env \(id) is not available for \(algorithm.rawValue); choose one of \(known.joined(separator: ", ")), or use --gymnasium."
                )
            }
            try rejectInapplicable(algorithm: algorithm, environmentID: id)
        }
        if let episodes, episodes <= 0 { throw ValidationError("--episodes must be positive, got \(episodes).") }
        if let steps = dqn.totalTimesteps, steps <= 0 {
            throw ValidationError("--total-timesteps must be positive, got \(steps).")
        }
        if let learningRate, !(learningRate > 0 && learningRate <= 1) {
            throw ValidationError("--learning-rate must be in (0, 1], got \(learningRate).")
        }
        if let discount, !(0...1).contains(discount) {
            throw ValidationError("--discount must be in [0, 1], got \(discount).")
        }
        guard evaluationEpisodes > 0 else {
            throw ValidationError("--evaluation-episodes must be positive, got \(evaluationEpisodes).")
        }
        if let map { do { _ = try FrozenLake.parseMap(map) } catch { throw ValidationError("--map: \(error)") } }
        if rainy && !environmentID.hasPrefix("Taxi") { throw ValidationError("--rainy is a Taxi option.") }
        if let randomMap {
            try rejectingInvalid {
                try ConfigurationError.check("--random-map", randomMap, in: 2...FrozenLake.maximumRandomMapSize)
            }
        }
        if let seeds {
            do { _ = try SeedList.parse(seeds) } catch { throw ValidationError("\(error)") }
            if let algorithm, algorithm != .dqn {
                throw ValidationError("--seeds is available for DQN; run tabular seeds one by one with --seed.")
            }
        }
    }

    /// Flags that the algorithm or environment would ignore are errors that say so.
    func rejectInapplicable(algorithm: RLAlgorithm, environmentID id: String) throws {
        if algorithm == .dqn {
            if episodes != nil {
                throw ValidationError("--episodes applies to tabular methods; DQN runs for --total-timesteps.")
            }
            let tabularOnly = [
                ("--map", map != nil), ("--random-map", randomMap != nil), ("--slippery", slippery != nil),
                ("--rainy", rainy)
            ]
            if let flag = tabularOnly.first(where: \.1)?.0 {
                throw ValidationError("\(flag) applies to tabular environments, not \(id).")
            }
            try rejectingInvalid {
                _ = try dqn.config(environmentID: id, learningRate: learningRate, discount: discount)
            }
        } else {
            if seeds != nil {
                throw ValidationError("--seeds is available for DQN; run tabular seeds one by one with --seed.")
            }
            if checkpoint != nil {
                throw ValidationError("--checkpoint (a Q-network) applies to DQN, not \(algorithm.rawValue).")
            }
            if let flag = dqn.givenFlags.first {
                throw ValidationError("\(flag) is a DQN option; it does not apply to \(algorithm.rawValue).")
            }
            if (map != nil || randomMap != nil) && !id.hasPrefix("FrozenLake") {
                throw ValidationError("--map and --random-map are FrozenLake options; they do not apply to \(id).")
            }
            if slippery != nil && !(id.hasPrefix("FrozenLake") || id.hasPrefix("CliffWalking")) {
                throw ValidationError("--slippery is a FrozenLake/CliffWalking option; it does not apply to \(id).")
            }
        }
    }

    func run() throws {
        let folder = try RunFolder(
            command: "rl-train", out: out,
            settings: [
                ("algorithm", algorithm?.rawValue ?? "default"), ("env", environmentID), ("seed", seeds ?? "\(seed)")
            ])
        print("nerva rl train → \(folder.url.path)")
        if let gymnasium {
            try GymnasiumRun(command: self, environmentID: gymnasium).run(folder: folder)
        } else if let tabular =
            (algorithm ?? (EnvironmentRegistry.controlIDs.contains(environmentID) ? .dqn : .qLearning)).tabular
        {
            try trainTabular(tabular, folder: folder)
        } else {
            let config = try dqn.config(environmentID: environmentID, learningRate: learningRate, discount: discount)
            try trainDQN(
                config: config, threshold: EnvironmentRegistry.rewardThreshold(for: environmentID), folder: folder
            ) { run in
                try run.run(folder: folder)
            }
        }
        try folder.writeReport()
        print("report: \(folder.file("index.html").path)")
    }

    private func trainTabular(_ tabular: TabularAlgorithm, folder: RunFolder) throws {
        let env = environmentID
        let customMap =
            try randomMap.map { try FrozenLake.randomMap(size: $0, seed: seed) }
            ?? map.map(FrozenLake.parseMap)
        let environment = try EnvironmentRegistry.tabular(env, isSlippery: slippery, map: customMap, isRainy: rainy)
        var (config, presetEpisodes) = TabularPresets.settings(for: env, algorithm: tabular)
        config = TabularConfig(
            algorithm: tabular, learningRate: learningRate ?? config.learningRate,
            discount: discount ?? config.discount, epsilon: config.epsilon)
        let result = try TabularRun(
            environmentID: env, environment: environment, config: config,
            episodes: episodes ?? presetEpisodes, seed: seed,
            evaluationEpisodes: evaluationEpisodes
        ).run(folder: folder)
        print(
            String(
                format:
                    "greedy policy: expected return %.4f (value iteration's policy: %.4f); sampled mean over %d episodes %.4f",
                result.greedyValue, result.optimalValue, evaluationEpisodes, result.sampledReturn))
    }

    /// Trains DQN with one seed or several (`--seeds`); `runOne` runs a prepared `DQNRun`.
    func trainDQN(
        config: DQNConfig, threshold: Double?, folder: RunFolder,
        runOne: (DQNRun) throws -> DQNTrainingRun.Result
    ) throws {
        folder.addTable(
            title: "DQN settings", header: ["setting", "value"],
            rows: config.settings.map { [$0.name, $0.value] })
        let checkpointURL = checkpoint.map { URL(fileURLWithPath: $0) }
        if let seeds {
            let list = try SeedList.parse(seeds)
            try DQNSeedsRun(
                environmentID: environmentID, config: config, seeds: list, evaluationEpisodes: evaluationEpisodes,
                threshold: threshold
            ).run(folder: folder) { seed in
                var run = DQNRun(
                    environmentID: environmentID, config: config, seed: seed,
                    evaluationEpisodes: evaluationEpisodes, checkpoint: checkpointURL)
                run.isOneOfSeveral = true
                return try runOne(run)
            }
        } else {
            let result = try runOne(
                DQNRun(
                    environmentID: environmentID, config: config, seed: seed,
                    evaluationEpisodes: evaluationEpisodes, checkpoint: checkpointURL))
            print(
                String(
                    format: "trained %@ in %.1f s; greedy mean return over %d episodes: %.1f ± %.1f",
                    DQNRun.stepsText(result), result.seconds, evaluationEpisodes, result.evaluation.meanReturn,
                    result.evaluation.standardDeviation))
            folder.addText(title: "Environment steps", text: DQNRun.stepsText(result))
        }
    }
}
