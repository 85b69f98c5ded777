/// The temporal-difference control algorithms of Sutton & Barto, chapter 6.
public enum TabularAlgorithm: String, CaseIterable, Sendable {
    /// Off-policy: target `R + γ · max_a Q(S′, a)` (Watkins 1989).
    case qLearning = "q-learning"
    /// On-policy: target `R + γ · Q(S′, A′)` with `A′` the next action actually taken.
    case sarsa
    /// Target `R + γ · Σ_a π(a|S′) Q(S′, a)` under the ε-greedy policy.
    case expectedSarsa = "expected-sarsa"
}

/// Settings of a tabular learner.
public struct TabularConfig: Sendable {
    /// The update rule.
    public var algorithm: TabularAlgorithm = .qLearning
    /// α, the step size of each update.
    public var learningRate: Double = 0.1
    /// γ, the discount factor.
    public var discount: Double = 0.99
    /// ε as a function of the episode index.
    public var epsilon: EpsilonSchedule = .linear(start: 1, end: 0.01, duration: 5_000)

    public init(
        algorithm: TabularAlgorithm = .qLearning, learningRate: Double = 0.1, discount: Double = 0.99,
        epsilon: EpsilonSchedule = .linear(start: 1, end: 0.01, duration: 5_000)
    ) {
        precondition(
            learningRate > 0 && learningRate <= 1, "TabularConfig: learningRate must be in (0, 1], got \(learningRate)."
        )
        precondition(discount >= 0 && discount <= 1, "TabularConfig: discount must be in [0, 1], got \(discount).")
        self.algorithm = algorithm
        self.learningRate = learningRate
        self.discount = discount
        self.epsilon = epsilon
    }
}

/// What happened in one training episode.
public struct EpisodeSummary: Sendable {
    /// The episode's index, from 0.
    public var episode: Int
    /// The sum of rewards.
    public var episodeReturn: Double
    /// The number of steps.
    public var length: Int
    /// Whether the episode ended in a terminal state (not by a time limit).
    public var isTerminated: Bool
    /// ε during the episode.
    public var epsilon: Double
    /// Environment steps so far, this episode included.
    public var totalSteps: Int

    /// A summary with these values.
    public init(
        episode: Int, episodeReturn: Double, length: Int, isTerminated: Bool, epsilon: Double,
        totalSteps: Int
    ) {
        self.episode = episode
        self.episodeReturn = episodeReturn
        self.length = length
        self.isTerminated = isTerminated
        self.epsilon = epsilon
        self.totalSteps = totalSteps
    }
}

/// Q-learning, SARSA and Expected SARSA on a `QTable`, exactly as in Sutton & Barto:
///
///     Q(S, A) ← Q(S, A) + α · [target − Q(S, A)]
///
/// where the target does not bootstrap past a terminal state (`target = R`) but does past a
/// truncation (time limit), since a truncated state still has a future. Actions are ε-greedy:
/// with probability ε a uniformly random action, otherwise a greedy one (ties broken uniformly).
///
/// ```swift
/// var env = TimeLimit(try FrozenLake.environment(), maxEpisodeSteps: 100)
/// var learner = TabularLearner(stateCount: 16, actionCount: 4, config: TabularConfig(), seed: 0)
/// learner.train(on: &env, episodes: 20_000)
/// let policy = learner.qTable.greedyPolicy
/// ```
public struct TabularLearner {
    /// The settings.
    public let config: TabularConfig
    /// The learned action values.
    public var qTable: QTable
    /// Drives exploration and tie-breaking.
    public let generator: RandomGenerator
    /// Episodes trained so far (the time of the ε schedule).
    public private(set) var episodesTrained = 0
    /// Environment steps taken so far.
    public private(set) var stepsTaken = 0

    public init(stateCount: Int, actionCount: Int, config: TabularConfig, seed: UInt64) {
        self.config = config
        self.qTable = QTable(stateCount: stateCount, actionCount: actionCount)
        self.generator = RandomGenerator(seed: seed)
    }

    /// An ε-greedy action in `state`.
    public func action(state: Int, epsilon: Double) -> Int {
        if generator.uniformDouble() < epsilon { return generator.integer(below: qTable.actionCount) }
        return qTable.greedyAction(state: state, breakingTiesWith: generator)
    }

    /// `Σ_a π(a|state) Q(state, a)` for the ε-greedy policy (greedy mass shared among ties).
    public func expectedValue(state: Int, epsilon: Double) -> Double {
        let best = qTable.maxValue(state: state)
        let count = qTable.actionCount
        var sum = 0.0
        for action in 0..<count { sum += qTable[state, action] }
        // The greedy mass 1 − ε goes to actions of value `best`, however it is split among ties.
        return epsilon / Double(count) * sum + (1 - epsilon) * best
    }

    /// Applies one update of the configured algorithm to `Q(state, action)`.
    ///
    /// - Parameters:
    ///   - state: `S`, the state the action was taken in.
    ///   - action: `A`, the action taken.
    ///   - reward: `R`, the reward received.
    ///   - nextState: `S′`, the state reached.
    ///   - nextAction: `A′`, needed by SARSA only.
    ///   - isTerminated: `S′` is terminal: the target is `R` alone.
    ///   - epsilon: The exploration rate of the policy (Expected SARSA).
    public mutating func update(
        state: Int, action: Int, reward: Double, nextState: Int, nextAction: Int?,
        isTerminated: Bool, epsilon: Double
    ) {
        var target = reward
        if !isTerminated {
            let future: Double
            switch config.algorithm {
            case .qLearning: future = qTable.maxValue(state: nextState)
            case .sarsa:
                guard let nextAction else { preconditionFailure("SARSA needs the next action.") }
                future = qTable[nextState, nextAction]
            case .expectedSarsa: future = expectedValue(state: nextState, epsilon: epsilon)
            }
            target += config.discount * future
        }
        qTable[state, action] += config.learningRate * (target - qTable[state, action])
    }

    /// Runs one episode with learning and returns its summary. The environment is seeded with
    /// `seed` at the first episode of the learner only (later episodes continue its stream).
    @discardableResult
    public mutating func runEpisode<E: Environment>(on environment: inout E, seed: UInt64? = nil) -> EpisodeSummary
    where E.Observation == Int, E.Action == Int {
        let epsilon = config.epsilon.value(at: episodesTrained)
        var state = environment.reset(seed: seed)
        var action = self.action(state: state, epsilon: epsilon)
        var total = 0.0, length = 0
        while true {
            let step = environment.step(action)
            total += step.reward
            length += 1
            let nextAction =
                step.isDone && config.algorithm != .sarsa ? nil : self.action(state: step.observation, epsilon: epsilon)
            update(
                state: state, action: action, reward: step.reward, nextState: step.observation,
                nextAction: nextAction, isTerminated: step.isTerminated, epsilon: epsilon)
            if step.isDone {
                episodesTrained += 1
                stepsTaken += length
                return EpisodeSummary(
                    episode: episodesTrained - 1, episodeReturn: total, length: length,
                    isTerminated: step.isTerminated, epsilon: epsilon, totalSteps: stepsTaken)
            }
            state = step.observation
            action = nextAction ?? self.action(state: state, epsilon: epsilon)
        }
    }

    /// Trains for `episodes` episodes, seeding the environment with `seed` at the start, and
    /// calls `onEpisode` after each.
    public mutating func train<E: Environment>(
        on environment: inout E, episodes: Int, seed: UInt64 = 0,
        onEpisode: (EpisodeSummary) -> Void = { _ in }
    )
    where E.Observation == Int, E.Action == Int {
        for index in 0..<episodes {
            onEpisode(runEpisode(on: &environment, seed: index == 0 && episodesTrained == 0 ? seed : nil))
        }
    }
}
