import ArgumentParser
import Foundation
import NervaRL

/// Which settings DQN starts from before the flags are applied.
enum DQNPreset: String, ExpressibleByArgument, CaseIterable {
    /// The environment's tuned preset where Nerva has one (CartPole-v1), else CleanRL's.
    case auto
    /// CleanRL's `dqn.py` defaults (`DQNConfig()`).
    case cleanrl
    /// The tuned CartPole recipe (`DQNPresets.cartPole`).
    case cartpole
}

/// The DQN flags of `nerva rl train`. Every flag left out keeps the preset's value.
struct DQNOptions: ParsableArguments {
    @Option(
        help:
            "DQN: the settings to start from: auto (CartPole-v1's tuned preset, else CleanRL's dqn.py), cleanrl, cartpole."
    )
    var preset: DQNPreset = .auto

    @Option(
        parsing: .unconditional,
        help: "DQN: total environment steps (default: the preset's, 100000 for CartPole-v1's, 500000 for CleanRL's).")
    var totalTimesteps: Int?

    @Option(parsing: .unconditional, help: "DQN: steps of pure collection before learning (CleanRL 10000).")
    var learningStarts: Int?

    @Option(parsing: .unconditional, help: "DQN: replay buffer capacity (CleanRL 10000).")
    var bufferSize: Int?

    @Option(
        parsing: .unconditional, help: "DQN: fraction of the steps over which ε falls from 1 to 0.05 (CleanRL 0.5).")
    var explorationFraction: Double?

    @Option(parsing: .unconditional, help: "DQN: environment steps between gradient steps (CleanRL 10).")
    var trainFrequency: Int?

    @Option(parsing: .unconditional, help: "DQN: gradient steps each time training happens (CleanRL 1).")
    var gradientSteps: Int?

    @Option(parsing: .unconditional, help: "DQN: steps between target network updates (CleanRL 500).")
    var targetNetworkFrequency: Int?

    @Option(parsing: .unconditional, help: "DQN: transitions per gradient step (CleanRL 128).")
    var batchSize: Int?

    @Option(help: "DQN: hidden layer widths, comma-separated (CleanRL 120,84).")
    var hiddenSizes: String?

    @Flag(help: "DQN: Huber loss instead of MSE.")
    var huber = false

    @Option(parsing: .unconditional, help: "DQN: clip the gradient norm to this value.")
    var maxGradientNorm: Float?

    @Flag(
        inversion: .prefixedNo,
        help: """
            DQN: keep the best network of periodic greedy evaluations (default: the preset's: on for CartPole-v1's, \
            off for CleanRL's).
            """)
    var selectBest: Bool?

    @Option(
        parsing: .unconditional,
        help: "DQN: every N steps evaluate the greedy policy and keep the best network (CleanRL: off).")
    var selectEvery: Int?

    @Option(parsing: .unconditional, help: "DQN: episodes of each selection evaluation (10).")
    var selectionEpisodes: Int?

    @Option(
        parsing: .unconditional,
        help: """
            DQN: a network reaching the best selection mean so far plays this many episodes in all, and that mean \
            decides (default: the preset's).
            """)
    var selectionConfirmationEpisodes: Int?

    @Flag(help: "DQN: Double DQN targets.")
    var double = false

    @Flag(help: "DQN: dueling value/advantage heads.")
    var dueling = false

    @Flag(help: "DQN: proportional prioritised replay (α 0.6, β 0.4 → 1 over the run).")
    var prioritized = false

    @Option(parsing: .unconditional, help: "DQN: prioritised replay α (0.6).")
    var priorityAlpha: Double?

    @Option(parsing: .unconditional, help: "DQN: prioritised replay initial β (0.4).")
    var priorityBeta: Double?

    /// The DQN flags given on the command line (none of them applies to tabular methods).
    var givenFlags: [String] {
        let flags: [(String, Bool)] = [
            ("--preset", preset != .auto), ("--total-timesteps", totalTimesteps != nil),
            ("--learning-starts", learningStarts != nil),
            ("--buffer-size", bufferSize != nil), ("--exploration-fraction", explorationFraction != nil),
            ("--train-frequency", trainFrequency != nil), ("--gradient-steps", gradientSteps != nil),
            ("--target-network-frequency", targetNetworkFrequency != nil), ("--batch-size", batchSize != nil),
            ("--hidden-sizes", hiddenSizes != nil), ("--huber", huber), ("--max-gradient-norm", maxGradientNorm != nil),
            ("--select-best", selectBest == true), ("--no-select-best", selectBest == false),
            ("--select-every", selectEvery != nil), ("--selection-episodes", selectionEpisodes != nil),
            ("--selection-confirmation-episodes", selectionConfirmationEpisodes != nil), ("--double", double),
            ("--dueling", dueling), ("--prioritized", prioritized), ("--priority-alpha", priorityAlpha != nil),
            ("--priority-beta", priorityBeta != nil)
        ]
        return flags.filter(\.1).map(\.0)
    }

    /// The settings: the preset for `environmentID`, then each flag given, then the shared
    /// learning rate and discount.
    func config(environmentID: String, learningRate: Double?, discount: Double?) throws -> DQNConfig {
        var config: DQNConfig
        switch preset {
        case .auto: config = DQNPresets.config(for: environmentID) ?? DQNConfig()
        case .cleanrl: config = DQNConfig()
        case .cartpole: config = DQNPresets.cartPole
        }
        if let totalTimesteps { config.totalTimesteps = totalTimesteps }
        if let learningStarts { config.learningStarts = learningStarts }
        if let bufferSize { config.bufferSize = bufferSize }
        if let explorationFraction { config.explorationFraction = explorationFraction }
        if let trainFrequency { config.trainFrequency = trainFrequency }
        if let gradientSteps { config.gradientSteps = gradientSteps }
        if let targetNetworkFrequency { config.targetNetworkFrequency = targetNetworkFrequency }
        if let batchSize { config.batchSize = batchSize }
        if let hiddenSizes {
            let sizes = hiddenSizes.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw ValidationError(
                    "--hidden-sizes must be positive integers separated by commas, got '\(hiddenSizes)'.")
            }
            config.hiddenSizes = sizes.compactMap { $0 }
        }
        if huber { config.loss = .huber(delta: 1) }
        if let maxGradientNorm { config.maxGradientNorm = maxGradientNorm }
        if selectBest == false {
            guard selectEvery == nil && selectionEpisodes == nil && selectionConfirmationEpisodes == nil else {
                throw ValidationError("--no-select-best turns selection off; --select-every and --selection-… need it.")
            }
            config.selectionFrequency = nil
        } else if selectBest == true && config.selectionFrequency == nil {
            config.selectionFrequency = Self.defaultSelectionFrequency
        }
        if let selectEvery { config.selectionFrequency = selectEvery }
        if let selectionEpisodes { config.selectionEpisodes = selectionEpisodes }
        if let selectionConfirmationEpisodes { config.selectionConfirmationEpisodes = selectionConfirmationEpisodes }
        if double { config.isDouble = true }
        if dueling { config.isDueling = true }
        if prioritized || priorityAlpha != nil || priorityBeta != nil {
            var replay = config.prioritizedReplay ?? PrioritizedReplayConfig()
            if let priorityAlpha { replay.alpha = priorityAlpha }
            if let priorityBeta { replay.betaStart = priorityBeta }
            config.prioritizedReplay = replay
        }
        if let learningRate { config.learningRate = Float(learningRate) }
        if let discount { config.discount = Float(discount) }
        if let problem = config.problem() { throw ValidationError(problem) }
        return config
    }

    /// How often `--select-best` evaluates when the preset does not select (the CartPole preset's period).
    static let defaultSelectionFrequency = DQNPresets.cartPole.selectionFrequency ?? 2_500
}
