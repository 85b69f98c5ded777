/// An environment with Gymnasium's semantics: `reset(seed:)` starts an episode, `step(_:)` applies
/// an action and reports the next observation, the reward and whether the episode ended.
///
/// An episode ends either because the environment reached a terminal state (`isTerminated`: the
/// value of what follows is zero, so learners must not bootstrap past it) or because an outside
/// limit cut it short (`isTruncated`, as `TimeLimit` does: the state still has a value, learners
/// bootstrap from it). Keeping the two apart is what makes value targets correct.
///
/// ```swift
/// var env = TimeLimit(CartPole(), maxEpisodeSteps: 500)
/// var observation = env.reset(seed: 42)
/// while true {
///     let step = env.step(env.actionSpace.sample(using: rng))
///     if step.isTerminated || step.isTruncated { break }
///     observation = step.observation
/// }
/// ```
public protocol Environment<Observation, Action> {
    /// What the agent sees: a state index for grid worlds, a Float32 vector for control tasks.
    associatedtype Observation
    /// What the agent does: an action index for every built-in environment.
    associatedtype Action

    /// The valid observations.
    var observationSpace: Space { get }
    /// The valid actions.
    var actionSpace: Space { get }

    /// Starts a new episode and returns its first observation.
    ///
    /// - Parameter seed: Reseeds the environment's random numbers when given, exactly as Gymnasium's
    ///   `reset(seed=)` does (`NumPyGenerator`: SeedSequence → PCG64), so the built-in environments
    ///   start and move as Gymnasium's do for the same seed; with `nil` the stream continues, so a
    ///   run seeded once at its first reset is reproducible.
    mutating func reset(seed: UInt64?) -> Observation

    /// Applies `action` and returns what happened. Call `reset(seed:)` once an episode has ended.
    mutating func step(_ action: Action) -> Step<Observation>
}

extension Environment {
    /// Starts a new episode, continuing the random stream.
    public mutating func reset() -> Observation { reset(seed: nil) }
}

/// The result of one environment step: Gymnasium's `(observation, reward, terminated, truncated)`.
public struct Step<Observation> {
    /// The observation after the action.
    public var observation: Observation
    /// The reward for the transition.
    public var reward: Double
    /// The episode reached a terminal state: no future reward, no bootstrapping.
    public var isTerminated: Bool
    /// The episode was cut short (time limit): the state still has a value.
    public var isTruncated: Bool

    public init(observation: Observation, reward: Double, isTerminated: Bool, isTruncated: Bool = false) {
        self.observation = observation
        self.reward = reward
        self.isTerminated = isTerminated
        self.isTruncated = isTruncated
    }

    /// Whether the episode is over, for either reason.
    public var isDone: Bool { isTerminated || isTruncated }
}

extension Step: Equatable where Observation: Equatable {}

/// Gymnasium's `TimeLimit` wrapper: truncates an episode after `maxEpisodeSteps` steps.
///
/// A step that both terminates and reaches the limit reports both flags, as Gymnasium does.
public struct TimeLimit<Base: Environment>: Environment {
    /// The wrapped environment.
    public var base: Base
    /// The number of steps after which an episode is truncated.
    public let maxEpisodeSteps: Int
    /// Steps taken in the current episode.
    public private(set) var elapsedSteps = 0

    /// Wraps `base` so that its episodes last at most `maxEpisodeSteps` steps.
    public init(_ base: Base, maxEpisodeSteps: Int) {
        precondition(maxEpisodeSteps > 0, "TimeLimit: maxEpisodeSteps must be positive, got \(maxEpisodeSteps).")
        self.base = base
        self.maxEpisodeSteps = maxEpisodeSteps
    }

    public var observationSpace: Space { base.observationSpace }
    public var actionSpace: Space { base.actionSpace }

    public mutating func reset(seed: UInt64?) -> Base.Observation {
        elapsedSteps = 0
        return base.reset(seed: seed)
    }

    public mutating func step(_ action: Base.Action) -> Step<Base.Observation> {
        var result = base.step(action)
        elapsedSteps += 1
        if elapsedSteps >= maxEpisodeSteps { result.isTruncated = true }
        return result
    }
}

extension RandomGenerator {
    /// A uniform double in `[0, 1)` with 53 random bits (numpy's `random()`).
    func uniformDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform double in `[low, high)`.
    func uniformDouble(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniformDouble() }
}
