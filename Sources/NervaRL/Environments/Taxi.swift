/// Gymnasium's Taxi (v3/v4, dry roads): drive a taxi on a 5×5 grid with walls, pick up the
/// passenger at one of four stands (R, G, Y, B) and drop them at their destination.
///
/// 500 states encode `((row · 5 + column) · 5 + passenger) · 4 + destination`, where passenger 4
/// means "in the taxi". Actions: 0 south, 1 north, 2 east, 3 west, 4 pickup, 5 dropoff. Reward −1
/// per step, +20 for a correct dropoff (terminal), −10 for an illegal pickup or dropoff. Episodes
/// start with the passenger at a stand other than the destination; the limit is 200 steps.
///
/// `isRainy` is Gymnasium 1.x's `is_rainy` (v4 semantics): a move goes the intended way with
/// `rainyProbability` and to either side (left and right of the heading) with the rest split
/// evenly; a move blocked by a wall or the edge does not drift. `TaxiFicklePassenger` is its `fickle_passenger`.
public enum Taxi {
    /// Gymnasium's map: `|` is a wall between two cells, `:` a passage.
    public static let map = [
        "+---------+", "|R: | : :G|", "| : | : : |", "| : : : : |", "| | : | : |", "|Y| : |B: |",
        "+---------+"
    ]
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

    /// A Taxi environment; rainy roads as Gymnasium's `is_rainy` and a fickle passenger as its
    /// `fickle_passenger` when asked.
    public static func environment(
        isRainy: Bool = false, rainyProbability: Double = 0.8,
        ficklePassenger: TaxiFicklePassenger? = nil
    ) -> TabularEnvironment {
        TabularEnvironment(
            name: "Taxi-v4", model: model(isRainy: isRainy, rainyProbability: rainyProbability),
            ficklePassenger: ficklePassenger
        ) { state in render(state) }
    }

    /// The transition model, identical to Gymnasium's `P` for `TaxiEnv(is_rainy=isRainy, rainy_probability=…)`.
    public static func model(isRainy: Bool = false, rainyProbability: Double = 0.8) -> TransitionModel {
        precondition(
            (0...1).contains(rainyProbability), "Taxi: rainyProbability must be in [0, 1], got \(rainyProbability).")
        let board = map.map { Array($0) }
        var initial = [Double](repeating: 0, count: 500)
        for state in 0..<500 {
            let (_, _, passenger, destination) = decode(state)
            if passenger < 4 && passenger != destination { initial[state] += 1 }
        }
        let total = initial.reduce(0, +)
        return TransitionModel(stateCount: 500, actionCount: 6, initialDistribution: initial.map { $0 / total }) {
            state, action in
            let (row, column, passenger, destination) = decode(state)
            var (newRow, newColumn, newPassenger) = (row, column, passenger)
            var reward = -1.0
            var terminated = false
            let atStand = stands.firstIndex { $0 == (row, column) }
            if isRainy && action < 4 {
                return rainyMove(
                    board: board, row: row, column: column, passenger: passenger, destination: destination,
                    action: action, probability: rainyProbability)
            }
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
            return [
                .init(
                    probability: 1,
                    nextState: encode(
                        row: newRow, column: newColumn, passenger: newPassenger,
                        destination: destination),
                    reward: reward, isTerminal: terminated)
            ]
        }
    }

    /// The three outcomes of a move on rainy roads, in Gymnasium's order: intended, left, right.
    static func rainyMove(
        board: [[Character]], row: Int, column: Int, passenger: Int, destination: Int, action: Int,
        probability: Double
    ) -> [TransitionModel.Outcome] {
        // (forward, left, right) of each heading: south, north, east, west.
        let moves = [
            [(1, 0), (0, 1), (0, -1)], [(-1, 0), (0, -1), (0, 1)], [(0, 1), (-1, 0), (1, 0)], [(0, -1), (1, 0), (-1, 0)]
        ]
        func moved(_ move: (Int, Int)) -> (Int, Int) {
            let newRow = Swift.max(0, Swift.min(row + move.0, 4)),
                newColumn = Swift.max(0, Swift.min(column + move.1, 4))
            if move.1 == 1 && board[1 + newRow][2 * newColumn] != ":" { return (row, column) }
            if move.1 == -1 && board[1 + newRow][2 * newColumn + 2] != ":" { return (row, column) }
            return (newRow, newColumn)
        }
        let possible =
            (action == 0 && row < 4) || (action == 1 && row > 0)
            || (action == 2 && board[1 + row][2 * column + 2] == ":")
            || (action == 3 && board[1 + row][2 * column] == ":")
        var targets = [(row, column), (row, column), (row, column)]
        if possible {
            let forward = moves[action][0]
            targets = [
                (Swift.max(0, Swift.min(row + forward.0, 4)), Swift.max(0, Swift.min(column + forward.1, 4))),
                moved(moves[action][1]), moved(moves[action][2])
            ]
        }
        let lateral = (1.0 - probability) / 2.0
        return zip(targets, [probability, lateral, lateral]).map { target, chance in
            .init(
                probability: chance,
                nextState: encode(row: target.0, column: target.1, passenger: passenger, destination: destination),
                reward: -1, isTerminal: false)
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
