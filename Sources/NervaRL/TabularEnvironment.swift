/// A finite environment run from its `TransitionModel`, as Gymnasium's toy-text environments
/// (FrozenLake, Taxi, CliffWalking) are: each step draws one uniform number and picks the outcome
/// whose cumulative probability first exceeds it.
///
/// ```swift
/// var env = try FrozenLake.environment(map: FrozenLake.map4x4, isSlippery: true)
/// var state = env.reset(seed: 0)
/// let step = env.step(FrozenLake.Action.right.rawValue)
/// ```
public struct TabularEnvironment: Environment {
    /// The environment's name, such as `FrozenLake-v1`.
    public let name: String
    /// The transition model that defines the environment.
    public let model: TransitionModel
    /// The board for grid worlds (one string per row), used for text frames and heat maps.
    public let grid: [String]?
    /// Renders a state as text; grid worlds mark the agent with `@` on the board.
    private let renderer: @Sendable (Int) -> String
    /// The current state.
    public private(set) var state = 0
    private var random: RandomGenerator

    /// An environment that follows `model`.
    public init(name: String, model: TransitionModel, grid: [String]? = nil,
                renderer: (@Sendable (Int) -> String)? = nil) {
        self.name = name
        self.model = model
        self.grid = grid
        self.renderer = renderer ?? { state in
            guard let grid else { return "state \(state)" }
            return TabularEnvironment.mark(state, on: grid)
        }
        self.random = RandomGenerator.environment(seed: nil)
    }

    public var observationSpace: Space { .discrete(model.stateCount) }
    public var actionSpace: Space { .discrete(model.actionCount) }

    public mutating func reset(seed: UInt64?) -> Int {
        if let seed { random = RandomGenerator(seed: seed) }
        return reset(draw: random.uniformDouble())
    }

    public mutating func step(_ action: Int) -> Step<Int> {
        step(action, draw: random.uniformDouble())
    }

    /// Starts an episode with the given uniform number in place of the environment's own draw
    /// (replays Gymnasium's random numbers in parity tests).
    public mutating func reset(draw: Double) -> Int {
        state = model.initialState(draw: draw)
        return state
    }

    /// Steps with the given uniform number in place of the environment's own draw.
    public mutating func step(_ action: Int, draw: Double) -> Step<Int> {
        precondition(actionSpace.contains(action), "\(name): action \(action) is outside \(actionSpace).")
        let outcome = model.outcome(state: state, action: action, draw: draw)
        state = outcome.nextState
        return Step(observation: outcome.nextState, reward: outcome.reward, isTerminated: outcome.isTerminal)
    }

    /// The current state as a text frame.
    public func render() -> String { renderer(state) }

    /// The board with the cell of `state` (row-major index) replaced by `@`.
    static func mark(_ state: Int, on grid: [String]) -> String {
        let columns = grid.first?.count ?? 1
        return grid.enumerated().map { row, line in
            String(line.enumerated().map { column, cell in row * columns + column == state ? "@" : cell })
        }.joined(separator: "\n")
    }
}
