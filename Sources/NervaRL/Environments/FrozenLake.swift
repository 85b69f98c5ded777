/// Gymnasium's FrozenLake-v1: walk from `S` to `G` over frozen tiles `F` without falling into a
/// hole `H`. Reward 1 on reaching the goal, 0 otherwise; holes and the goal are terminal.
///
/// On slippery ice the agent moves in the intended direction or in either perpendicular one,
/// with probability 1/3 each. `FrozenLake-v1` (4×4) is limited to 100 steps and
/// `FrozenLake8x8-v1` to 200 (see `EnvironmentRegistry`).
///
/// ```swift
/// var env = try FrozenLake.environment(map: FrozenLake.map8x8, isSlippery: true)
/// let model = env.model   // Gymnasium's P, for planning
/// ```
public enum FrozenLake {
    /// The actions, numbered as in Gymnasium.
    public enum Action: Int, CaseIterable, Sendable { case left = 0, down, right, up }

    /// Gymnasium's `MAPS["4x4"]`.
    public static let map4x4 = ["SFFF", "FHFH", "FFFH", "HFFG"]
    /// Gymnasium's `MAPS["8x8"]`.
    public static let map8x8 = [
        "SFFFFFFF", "FFFFFFFF", "FFFHFFFF", "FFFFFHFF",
        "FFFHFFFF", "FHHFFFHF", "FHFFHFHF", "FFFHFFFG"
    ]

    /// An environment on `map`.
    ///
    /// - Parameters:
    ///   - map: One string per row of `S`, `F`, `H` and `G`, all of the same length, with one `S`.
    ///   - isSlippery: Moves go sideways with probability `1 − successRate`, split evenly.
    ///   - successRate: The probability of moving as intended on slippery ice (Gymnasium: 1/3).
    /// - Throws: `EnvironmentError.invalidMap` naming the problem.
    public static func environment(
        map: [String] = map4x4, isSlippery: Bool = true,
        successRate: Double = 1.0 / 3.0
    ) throws -> TabularEnvironment {
        TabularEnvironment(
            name: "FrozenLake-v1",
            model: try model(map: map, isSlippery: isSlippery, successRate: successRate), grid: map)
    }

    /// The transition model of FrozenLake on `map`, identical to Gymnasium's `P`.
    public static func model(
        map: [String], isSlippery: Bool = true,
        successRate: Double = 1.0 / 3.0
    ) throws -> TransitionModel {
        try validate(map)
        let board = map.map { Array($0) }
        let rows = board.count, columns = board[0].count
        let failRate = (1.0 - successRate) / 2.0
        func move(_ row: Int, _ column: Int, _ action: Int) -> TransitionModel.Outcome? {
            var (row, column) = (row, column)
            switch action {
            case 0: column = Swift.max(column - 1, 0)
            case 1: row = Swift.min(row + 1, rows - 1)
            case 2: column = Swift.min(column + 1, columns - 1)
            default: row = Swift.max(row - 1, 0)
            }
            let letter = board[row][column]
            return .init(
                probability: 0, nextState: row * columns + column, reward: letter == "G" ? 1 : 0,
                isTerminal: letter == "G" || letter == "H")
        }
        let starts = board.joined().map { $0 == "S" ? 1.0 : 0.0 }
        let startCount = starts.reduce(0, +)
        return TransitionModel(
            stateCount: rows * columns, actionCount: 4,
            initialDistribution: starts.map { $0 / startCount }
        ) { state, action in
            let row = state / columns, column = state % columns
            if "GH".contains(board[row][column]) {
                return [.init(probability: 1, nextState: state, reward: 0, isTerminal: true)]
            }
            let directions = isSlippery ? [(action + 3) % 4, action, (action + 1) % 4] : [action]
            return directions.map { direction in
                var outcome = move(row, column, direction)!
                outcome.probability = !isSlippery ? 1 : direction == action ? successRate : failRate
                return outcome
            }
        }
    }

    /// A random map with a path from start to goal, Gymnasium's `generate_random_map(size, p, seed)`:
    /// each tile is frozen with probability `frozenProbability` (NumPy's `choice` with those
    /// weights, from the generator Gymnasium seeds), maps are drawn until one is valid. The same
    /// seed gives the same map as Gymnasium.
    ///
    /// - Throws: `ConfigurationError` when `size` is outside `2…maximumRandomMapSize` (a tabular
    ///   learner keeps a row per tile) or `frozenProbability` outside (0, 1].
    public static func randomMap(size: Int = 8, frozenProbability: Double = 0.8, seed: UInt64) throws -> [String] {
        try ConfigurationError.check("random map size", size, in: 2...maximumRandomMapSize)
        try ConfigurationError.require(
            frozenProbability > 0 && frozenProbability <= 1, "frozen probability",
            frozenProbability, allowed: "in (0, 1]")
        var generator = NumPyGenerator(seed: seed)
        let weights = [frozenProbability, 1 - frozenProbability]
        while true {
            var board = (0..<size).map { _ in
                (0..<size).map { _ in generator.choice(probabilities: weights) == 0 ? Character("F") : "H" }
            }
            board[0][0] = "S"
            board[size - 1][size - 1] = "G"
            let map = board.map { String($0) }
            if hasPath(map) { return map }
        }
    }

    /// The largest side of a random map: 256 × 256 = 65,536 tiles.
    public static let maximumRandomMapSize = 256

    /// Gymnasium's `is_valid`: whether the goal can be reached from the start without a hole.
    public static func hasPath(_ map: [String]) -> Bool {
        let board = map.map { Array($0) }
        let rows = board.count, columns = board.first?.count ?? 0
        guard let start = Array(board.joined()).firstIndex(of: "S") else { return false }
        var frontier = [(start / columns, start % columns)]
        var discovered = Set<Int>()
        while let (row, column) = frontier.popLast() {
            guard discovered.insert(row * columns + column).inserted else { continue }
            for (dr, dc) in [(1, 0), (0, 1), (-1, 0), (0, -1)] {
                let r = row + dr, c = column + dc
                guard (0..<rows).contains(r), (0..<columns).contains(c) else { continue }
                if board[r][c] == "G" { return true }
                if board[r][c] != "H" { frontier.append((r, c)) }
            }
        }
        return false
    }

    /// Checks that `map` is a rectangle of `S`, `F`, `H`, `G` with exactly one `S`.
    public static func validate(_ map: [String]) throws {
        guard let width = map.first?.count, width > 0 else { throw EnvironmentError.invalidMap("the map is empty.") }
        for (row, line) in map.enumerated() {
            guard line.count == width else {
                throw EnvironmentError.invalidMap("row \(row + 1) has \(line.count) tiles, row 1 has \(width).")
            }
            if let bad = line.first(where: { !"SFHG".contains($0) }) {
                throw EnvironmentError.invalidMap("row \(row + 1) has '\(bad)'; tiles are S, F, H and G.")
            }
        }
        let starts = map.joined().filter { $0 == "S" }.count
        guard starts == 1 else { throw EnvironmentError.invalidMap("it has \(starts) start tiles (S); it needs one.") }
    }

    /// Parses a map written as rows separated by `/` or `,` (`SFFF/FHFH/FFFH/HFFG`).
    public static func parseMap(_ text: String) throws -> [String] {
        let map = text.split(whereSeparator: { $0 == "/" || $0 == "," }).map(String.init)
        try validate(map)
        return map
    }
}
