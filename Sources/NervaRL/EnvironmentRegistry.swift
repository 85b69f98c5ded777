/// Gymnasium's environment ids, made with the same settings and time limits as `gymnasium.make`.
///
/// ```swift
/// var env = try EnvironmentRegistry.tabular("FrozenLake8x8-v1")   // TimeLimit 200
/// var pole = try EnvironmentRegistry.control("CartPole-v1")       // TimeLimit 500
/// ```
public enum EnvironmentRegistry {
    /// The finite environments: FrozenLake 4×4 (100 steps) and 8×8 (200), Taxi (200),
    /// CliffWalking (no limit).
    public static let tabularIDs = ["FrozenLake-v1", "FrozenLake8x8-v1", "Taxi-v3", "CliffWalking-v1"]
    /// The control environments with vector observations.
    public static let controlIDs = ["CartPole-v1", "MountainCar-v0", "Acrobot-v1"]

    /// A finite environment by id; `isSlippery` overrides FrozenLake's and CliffWalking's default,
    /// `map` replaces FrozenLake's board, `isRainy` gives Taxi Gymnasium's `is_rainy` roads.
    ///
    /// - Throws: `EnvironmentError` for an unknown id or an invalid map.
    public static func tabular(_ id: String, isSlippery: Bool? = nil, map: [String]? = nil,
                               isRainy: Bool = false) throws -> TimeLimit<TabularEnvironment> {
        switch id {
        case "FrozenLake-v1":
            return TimeLimit(try FrozenLake.environment(map: map ?? FrozenLake.map4x4, isSlippery: isSlippery ?? true),
                             maxEpisodeSteps: 100)
        case "FrozenLake8x8-v1":
            return TimeLimit(try FrozenLake.environment(map: map ?? FrozenLake.map8x8, isSlippery: isSlippery ?? true),
                             maxEpisodeSteps: 200)
        case "Taxi-v3", "Taxi-v4":
            return TimeLimit(Taxi.environment(isRainy: isRainy), maxEpisodeSteps: 200)
        case "CliffWalking-v1":
            return TimeLimit(CliffWalking.environment(isSlippery: isSlippery ?? false), maxEpisodeSteps: Int.max)
        default:
            throw EnvironmentError.unknownEnvironment(id, known: tabularIDs)
        }
    }

    /// Gymnasium's `reward_threshold` of `id`: the mean return at which the task counts as solved.
    public static func rewardThreshold(for id: String) -> Double? {
        ["CartPole-v1": 475, "MountainCar-v0": -110, "Acrobot-v1": -100, "FrozenLake-v1": 0.70,
         "FrozenLake8x8-v1": 0.85, "Taxi-v3": 8, "Taxi-v4": 8][id]
    }

    /// A control environment by id, with its time limit.
    ///
    /// - Throws: `EnvironmentError.unknownEnvironment`.
    public static func control(_ id: String) throws -> any Environment<[Float], Int> {
        switch id {
        case "CartPole-v1": return TimeLimit(CartPole(), maxEpisodeSteps: 500)
        case "MountainCar-v0": return TimeLimit(MountainCar(), maxEpisodeSteps: 200)
        case "Acrobot-v1": return TimeLimit(Acrobot(), maxEpisodeSteps: 500)
        default: throw EnvironmentError.unknownEnvironment(id, known: controlIDs)
        }
    }
}
