/// Gymnasium's environment ids, made with the same settings and time limits as `gymnasium.make`.
/// Every id Gymnasium 1.4 registers for the built-in environments is accepted, plus the older ids
/// of the same dynamics (`Taxi-v3`, `CliffWalking-v0`); the command line asks this registry too.
///
/// ```swift
/// var env = try EnvironmentRegistry.tabular("FrozenLake8x8-v1")   // TimeLimit 200
/// var pole = try EnvironmentRegistry.control("CartPole-v1")       // TimeLimit 500
/// ```
public enum EnvironmentRegistry {
    /// Every registered environment, in the order they are listed to users.
    public static let specs: [EnvironmentSpec] = [
        .init(id: "FrozenLake-v1", kind: .tabular, maxEpisodeSteps: 100, rewardThreshold: 0.70, success: .reachedGoal),
        .init(
            id: "FrozenLake8x8-v1", kind: .tabular, maxEpisodeSteps: 200, rewardThreshold: 0.85, success: .reachedGoal),
        .init(id: "Taxi-v4", kind: .tabular, maxEpisodeSteps: 200, rewardThreshold: 8, success: .reachedGoal),
        .init(id: "Taxi-v3", kind: .tabular, maxEpisodeSteps: 200, rewardThreshold: 8, success: .reachedGoal),
        .init(id: "CliffWalking-v1", kind: .tabular, maxEpisodeSteps: nil, rewardThreshold: nil, success: nil),
        .init(id: "CliffWalkingSlippery-v1", kind: .tabular, maxEpisodeSteps: nil, rewardThreshold: nil, success: nil),
        .init(id: "CliffWalking-v0", kind: .tabular, maxEpisodeSteps: nil, rewardThreshold: nil, success: nil),
        .init(id: "CartPole-v1", kind: .control, maxEpisodeSteps: 500, rewardThreshold: 475, success: nil),
        .init(id: "CartPole-v0", kind: .control, maxEpisodeSteps: 200, rewardThreshold: 195, success: nil),
        .init(id: "MountainCar-v0", kind: .control, maxEpisodeSteps: 200, rewardThreshold: -110, success: .terminated),
        .init(id: "Acrobot-v1", kind: .control, maxEpisodeSteps: 500, rewardThreshold: -100, success: .terminated)
    ]

    /// The finite environments (FrozenLake, Taxi, CliffWalking), every accepted id.
    public static var tabularIDs: [String] { specs.filter { $0.kind == .tabular }.map(\.id) }
    /// The control environments with vector observations (CartPole, MountainCar, Acrobot).
    public static var controlIDs: [String] { specs.filter { $0.kind == .control }.map(\.id) }
    /// Every accepted id.
    public static var allIDs: [String] { specs.map(\.id) }

    /// The registration of `id`, or `nil` for an id Nerva does not provide.
    public static func spec(for id: String) -> EnvironmentSpec? { specs.first { $0.id == id } }

    /// A finite environment by id; `isSlippery` overrides FrozenLake's and CliffWalking's default,
    /// `map` replaces FrozenLake's board, `isRainy` gives Taxi Gymnasium's `is_rainy` roads and
    /// `ficklePassenger` its `fickle_passenger`.
    ///
    /// - Throws: `EnvironmentError` for an unknown id or an invalid map.
    public static func tabular(
        _ id: String, isSlippery: Bool? = nil, map: [String]? = nil, isRainy: Bool = false,
        ficklePassenger: TaxiFicklePassenger? = nil
    ) throws -> TimeLimit<TabularEnvironment> {
        guard let spec = spec(for: id), spec.kind == .tabular else {
            throw EnvironmentError.unknownEnvironment(id, known: tabularIDs)
        }
        let environment: TabularEnvironment
        switch id {
        case "FrozenLake-v1":
            environment = try FrozenLake.environment(map: map ?? FrozenLake.map4x4, isSlippery: isSlippery ?? true)
        case "FrozenLake8x8-v1":
            environment = try FrozenLake.environment(map: map ?? FrozenLake.map8x8, isSlippery: isSlippery ?? true)
        case "Taxi-v3", "Taxi-v4":
            environment = Taxi.environment(isRainy: isRainy, ficklePassenger: ficklePassenger)
        default: // the CliffWalking ids
            environment = CliffWalking.environment(isSlippery: isSlippery ?? (id == "CliffWalkingSlippery-v1"))
        }
        return TimeLimit(environment, maxEpisodeSteps: spec.maxEpisodeSteps ?? Int.max)
    }

    /// Gymnasium's `reward_threshold` of `id`: the mean return at which the task counts as solved.
    public static func rewardThreshold(for id: String) -> Double? { spec(for: id)?.rewardThreshold }

    /// A control environment by id, with its time limit.
    ///
    /// - Throws: `EnvironmentError.unknownEnvironment`.
    public static func control(_ id: String) throws -> any Environment<[Float], Int> {
        guard let spec = spec(for: id), spec.kind == .control, let limit = spec.maxEpisodeSteps else {
            throw EnvironmentError.unknownEnvironment(id, known: controlIDs)
        }
        switch id {
        case "CartPole-v1", "CartPole-v0": return TimeLimit(CartPole(), maxEpisodeSteps: limit)
        case "MountainCar-v0": return TimeLimit(MountainCar(), maxEpisodeSteps: limit)
        default: return TimeLimit(Acrobot(), maxEpisodeSteps: limit)
        }
    }
}

/// What Gymnasium registers for one environment id: its kind, time limit, reward threshold and
/// whether an episode can succeed.
public struct EnvironmentSpec: Sendable, Equatable {
    /// Finite (state-index observations, a transition model) or control (vector observations).
    public enum Kind: Sendable { case tabular, control }

    /// The id, such as `Taxi-v4`.
    public let id: String
    /// The kind of environment.
    public let kind: Kind
    /// The `TimeLimit` of `gymnasium.make`, `nil` for none.
    public let maxEpisodeSteps: Int?
    /// Gymnasium's `reward_threshold`, the mean return at which the task counts as solved.
    public let rewardThreshold: Double?
    /// How an episode succeeds, `nil` where the environment defines no success (CartPole only
    /// fails, CliffWalking always reaches its goal eventually): then no success rate is reported.
    public let success: SuccessCriterion?
}

/// When an episode counts as a success.
public enum SuccessCriterion: Sendable, Equatable {
    /// It terminated on a rewarded step: FrozenLake's goal, Taxi's correct dropoff.
    case reachedGoal
    /// It terminated at all (rather than being cut off): MountainCar's flag, Acrobot's swing-up.
    case terminated

    /// Whether an episode whose last step was `last` succeeded.
    public func isSuccess<Observation>(_ last: Step<Observation>) -> Bool {
        switch self {
        case .reachedGoal: return last.isTerminated && last.reward > 0
        case .terminated: return last.isTerminated
        }
    }
}
