/// Gymnasium's CliffWalking-v1 (Sutton & Barto, example 6.6): a 4×12 grid, start at the bottom
/// left, goal at the bottom right, the cells between them are a cliff. Reward −1 per step, −100
/// for stepping into the cliff, which sends the agent back to the start (not terminal). Reaching
/// the goal terminates. Actions: 0 up, 1 right, 2 down, 3 left. No time limit.
public enum CliffWalking {
    /// The board: `S` start, `C` cliff, `G` goal, `.` ground.
    public static let grid = ["............", "............", "............", "SCCCCCCCCCCG"]
    /// The start state, (3, 0).
    public static let startState = 36

    /// A CliffWalking environment; with `isSlippery` a move goes sideways with probability 2/3.
    public static func environment(isSlippery: Bool = false) -> TabularEnvironment {
        TabularEnvironment(name: "CliffWalking-v1", model: model(isSlippery: isSlippery), grid: grid)
    }

    /// The transition model, identical to Gymnasium's `P`.
    public static func model(isSlippery: Bool = false) -> TransitionModel {
        let moves = [(-1, 0), (0, 1), (1, 0), (0, -1)]
        var initial = [Double](repeating: 0, count: 48)
        initial[startState] = 1
        return TransitionModel(stateCount: 48, actionCount: 4, initialDistribution: initial) { state, action in
            let directions = isSlippery ? [(action + 3) % 4, action, (action + 1) % 4] : [action]
            let probability = 1 / Double(directions.count)
            return directions.map { direction in
                let row = Swift.max(Swift.min(state / 12 + moves[direction].0, 3), 0)
                let column = Swift.max(Swift.min(state % 12 + moves[direction].1, 11), 0)
                if row == 3 && (1...10).contains(column) {
                    return .init(probability: probability, nextState: startState, reward: -100, isTerminal: false)
                }
                return .init(
                    probability: probability, nextState: row * 12 + column, reward: -1,
                    isTerminal: row == 3 && column == 11)
            }
        }
    }
}
