/// Gymnasium's Taxi (v3/v4, dry roads): drive a taxi on a 5×5 grid with walls, pick up the
/// passenger at one of four stands (R, G, Y, B) and drop them at their destination.
///
/// 500 states encode `((row · 5 + column) · 5 + passenger) · 4 + destination`, where passenger 4
/// means "in the taxi". Actions: 0 south, 1 north, 2 east, 3 west, 4 pickup, 5 dropoff. Reward −1
/// per step, +20 for a correct dropoff (terminal), −10 for an illegal pickup or dropoff. Episodes
/// start with the passenger at a stand other than the destination; the limit is 200 steps.
public enum Taxi {
    /// Gymnasium's map: `|` is a wall between two cells, `:` a passage.
    public static let map = ["+---------+", "|R: | : :G|", "| : | : : |", "| : : : : |", "| | : | : |", "|Y| : |B: |",
                             "+---------+"]
    /// The four stands R, G, Y, B as (row, column).
    public static let stands = [(0, 0), (0, 4), (4, 0), (4, 3)]

    /// The state index of a taxi position, passenger location (0–3 a stand, 4 in the taxi) and
    /// destination stand.
    public static func encode(row: Int, column: Int, passenger: Int, destination: Int) -> Int {
        ((row * 5 + column) * 5 + passenger) * 4 + destination
    }

    /// The inverse of `encode`.
    public static func decode(_ state: Int) -> (row: Int, column: Int, passenger: Int, destination: Int) {
        (state / 100, state / 20 % 5, state / 4 % 5, state % 4)
    }

    /// A Taxi environment.
    public static func environment() -> TabularEnvironment {
        TabularEnvironment(name: "Taxi-v3", model: model()) { state in render(state) }
    }

    /// The transition model, identical to Gymnasium's `P` for `TaxiEnv()`.
    public static func model() -> TransitionModel {
        let board = map.map { Array($0) }
        var initial = [Double](repeating: 0, count: 500)
        for state in 0..<500 {
            let (_, _, passenger, destination) = decode(state)
            if passenger < 4 && passenger != destination { initial[state] += 1 }
        }
        let total = initial.reduce(0, +)
        return TransitionModel(stateCount: 500, actionCount: 6, initialDistribution: initial.map { $0 / total }) { state, action in
            let (row, column, passenger, destination) = decode(state)
            var (newRow, newColumn, newPassenger) = (row, column, passenger)
            var reward = -1.0
            var terminated = false
            let atStand = stands.firstIndex { $0 == (row, column) }
            switch action {
            case 0: newRow = Swift.min(row + 1, 4)
            case 1: newRow = Swift.max(row - 1, 0)
            case 2 where board[1 + row][2 * column + 2] == ":": newColumn = Swift.min(column + 1, 4)
            case 3 where board[1 + row][2 * column] == ":": newColumn = Swift.max(column - 1, 0)
            case 4:
                if passenger < 4 && stands[passenger] == (row, column) { newPassenger = 4 } else { reward = -10 }
            case 5:
                if stands[destination] == (row, column) && passenger == 4 {
                    newPassenger = destination
                    terminated = true
                    reward = 20
                } else if let atStand, passenger == 4 {
                    newPassenger = atStand
                } else {
                    reward = -10
                }
            default: break
            }
            return [.init(probability: 1, nextState: encode(row: newRow, column: newColumn, passenger: newPassenger,
                                                            destination: destination),
                          reward: reward, isTerminal: terminated)]
        }
    }

    /// The board with the taxi (`@`, or `&` when carrying the passenger), the passenger's stand in
    /// lower case and the destination stand in brackets on the line below.
    public static func render(_ state: Int) -> String {
        let (row, column, passenger, destination) = decode(state)
        var board = map.map { Array($0) }
        if passenger < 4 {
            let (r, c) = stands[passenger]
            board[1 + r][2 * c + 1] = Character(board[1 + r][2 * c + 1].lowercased())
        }
        board[1 + row][2 * column + 1] = passenger == 4 ? "&" : "@"
        return board.map { String($0) }.joined(separator: "\n") + "\ndestination: \(["R", "G", "Y", "B"][destination])"
    }
}
