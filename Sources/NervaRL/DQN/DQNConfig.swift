/// The loss between predicted Q-values and TD targets.
public enum TDLoss: Sendable, Equatable {
    /// Mean squared error (CleanRL's `F.mse_loss`).
    case mse
    /// Huber loss with threshold `delta` (Mnih et al. 2015's error clipping).
    case huber(delta: Float)
}

/// Settings of Deep Q-Learning that cannot be used, with the sentence `DQNConfig.problem()` gives.
public struct DQNConfigError: Error, CustomStringConvertible, Equatable {
    /// What is wrong, naming the setting and its value.
    public let problem: String
    public var description: String { "DQN settings: \(problem)" }
}

/// Settings of Deep Q-Learning. The defaults are CleanRL's `dqn.py` (`Args`), field for field.
public struct DQNConfig: Sendable {
    /// Total environment steps (CleanRL: 500,000).
    public var totalTimesteps = 500_000
    /// Adam's learning rate (2.5e-4).
    public var learningRate: Float = 2.5e-4
    /// The replay memory capacity (10,000 transitions).
    public var bufferSize = 10_000
    /// γ, the discount factor (0.99).
    public var discount: Float = 0.99
    /// The target network update rate: 1 is a hard copy, below 1 Polyak averaging (1.0).
    public var tau: Float = 1.0
    /// Steps between target network updates (500).
    public var targetNetworkFrequency = 500
    /// Transitions per gradient step (128).
    public var batchSize = 128
    /// ε at the start (1).
    public var startEpsilon = 1.0
    /// ε at the end of exploration (0.05).
    public var endEpsilon = 0.05
    /// The fraction of `totalTimesteps` over which ε falls linearly from start to end (0.5).
    public var explorationFraction = 0.5
    /// Steps of pure collection before learning starts (10,000).
    public var learningStarts = 10_000
    /// Steps between gradient steps (10).
    public var trainFrequency = 10
    /// Gradient steps each time training happens (1; Stable-Baselines3's `gradient_steps`).
    public var gradientSteps = 1
    /// Hidden layer widths of the Q-network (120, 84).
    public var hiddenSizes = [120, 84]
    /// The TD loss (MSE).
    public var loss: TDLoss = .mse
    /// Double DQN (van Hasselt et al. 2016): the online network picks the next action, the target
    /// network values it (off in CleanRL's `dqn.py`).
    public var isDouble = false
    /// Dueling value/advantage heads (off).
    public var isDueling = false
    /// Proportional prioritised replay instead of uniform sampling when set (off in CleanRL).
    public var prioritizedReplay: PrioritizedReplayConfig? = nil
    /// Clip the global gradient norm to this value when set (not in CleanRL).
    public var maxGradientNorm: Float? = nil
    /// When set, every this many steps (after learning starts) the greedy policy is evaluated on
    /// a separately seeded copy of the environment and the best network so far is kept; training
    /// ends with the best one restored (Stable-Baselines3's `EvalCallback` best model). Off in CleanRL.
    public var selectionFrequency: Int? = nil
    /// Episodes per selection evaluation (10).
    public var selectionEpisodes = 10
    /// When set (above `selectionEpisodes`), a network whose first `selectionEpisodes` episodes
    /// reach the best mean so far plays this many episodes in all, and that mean decides (off).
    public var selectionConfirmationEpisodes: Int? = nil

    public init() {}

    /// ε at `step`: CleanRL's `linear_schedule(start_e, end_e, exploration_fraction · total, step)`.
    public var epsilon: EpsilonSchedule {
        .linear(
            start: startEpsilon, end: endEpsilon,
            duration: Int(min(explorationFraction * Double(totalTimesteps), 0x1p62)))
    }

    /// The most transitions a replay buffer holds: 2^26, 67 million (64 times CleanRL's Atari
    /// buffer), so that one stays well within memory for small observations.
    public static let maximumBufferSize = 1 << 26

    /// Checks the settings; returns a sentence naming the first bad one, or `nil`.
    public func problem() -> String? {
        if totalTimesteps <= 0 { return "total timesteps must be positive, got \(totalTimesteps)." }
        if !(learningRate > 0 && learningRate.isFinite) {
            return "learning rate must be finite and positive, got \(learningRate)."
        }
        if learningStarts < 0 { return "learning starts must be at least 0, got \(learningStarts)." }
        if !(0...1).contains(explorationFraction) {
            return "exploration fraction must be in [0, 1], got \(explorationFraction)."
        }
        if !(1...Self.maximumBufferSize).contains(bufferSize) {
            return
                "buffer size must be in 1…\(Self.maximumBufferSize) (the replay buffer must fit in memory), got \(bufferSize)."
        }
        if !(0...1).contains(discount) { return "discount must be in [0, 1], got \(discount)." }
        if !(tau > 0 && tau <= 1) { return "tau must be in (0, 1], got \(tau)." }
        if targetNetworkFrequency <= 0 || trainFrequency <= 0 { return "frequencies must be positive." }
        if gradientSteps <= 0 { return "gradient steps must be positive, got \(gradientSteps)." }
        if let problem = prioritizedReplay?.problem() { return "prioritized replay: \(problem)" }
        if let maxGradientNorm, !(maxGradientNorm > 0 && maxGradientNorm.isFinite) {
            return "max gradient norm must be finite and positive, got \(maxGradientNorm)."
        }
        if !(1...bufferSize).contains(batchSize) {
            return "batch size must be in 1…\(bufferSize) (the buffer size), got \(batchSize)."
        }
        if !(0...1).contains(startEpsilon) || !(0...1).contains(endEpsilon) { return "epsilons must be in [0, 1]." }
        if let selectionFrequency, selectionFrequency <= 0 {
            return "selection frequency must be positive, got \(selectionFrequency)."
        }
        if selectionEpisodes <= 0 { return "selection episodes must be positive, got \(selectionEpisodes)." }
        if let confirmation = selectionConfirmationEpisodes, confirmation <= 0 || confirmation > 1_000_000 {
            return "selection confirmation episodes must be in 1…1000000, got \(confirmation)."
        }
        if hiddenSizes.isEmpty || hiddenSizes.contains(where: { $0 <= 0 }) {
            return "hidden sizes must be positive, got \(hiddenSizes)."
        }
        return nil
    }
}

extension DQNConfig {
    /// Every setting as `(snake_case name, value)`, in declaration order, read from the config
    /// itself (a new field appears without being restated): unset options read `off`, lists are
    /// comma-separated. Reports and run folders show this table.
    public var settings: [(name: String, value: String)] {
        Mirror(reflecting: self).children.compactMap { child in
            guard let label = child.label else { return nil }
            return (Self.snakeCase(label), Self.format(child.value))
        }
    }

    /// `totalTimesteps` → `total_timesteps`, `isDouble` → `double`.
    static func snakeCase(_ name: String) -> String {
        let isFlag = name.hasPrefix("is") && name.dropFirst(2).first?.isUppercase == true
        let base = isFlag ? String(name.dropFirst(2)) : name
        var result = ""
        for (index, character) in base.enumerated() {
            if character.isUppercase {
                if index > 0 { result += "_" }
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    private static func format(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return "off" }
            return format(wrapped)
        }
        if let list = value as? [Int] { return list.map(String.init).joined(separator: ",") }
        if let replay = value as? PrioritizedReplayConfig { return "α \(replay.alpha), β \(replay.betaStart)" }
        return "\(value)"
    }
}
