/// A finite environment run from its `TransitionModel`, as Gymnasium's toy-text environments
/// (FrozenLake, Taxi, CliffWalking) are: each step draws one uniform number and picks the outcome
/// whose cumulative probability first exceeds it. The draws come from a `NumPyGenerator` seeded
/// as Gymnasium seeds its environments, so a seed gives Gymnasium's start and slips.
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
    /// Taxi's fickle passenger (randomness outside `model`), when enabled.
    public private(set) var ficklePassenger: TaxiFicklePassenger?
    /// The current state.
    public private(set) var state = 0
    private var random = NumPyGenerator(seedOrEntropy: nil)

    /// An environment that follows `model`; `ficklePassenger` adds Taxi's destination changes.
    public init(
        name: String, model: TransitionModel, grid: [String]? = nil,
        ficklePassenger: TaxiFicklePassenger? = nil, renderer: (@Sendable (Int) -> String)? = nil
    ) {
        self.name = name
        self.model = model
        self.grid = grid
        self.ficklePassenger = ficklePassenger
        self.renderer =
            renderer ?? { state in
                guard let grid else { return "state \(state)" }
                return TabularEnvironment.mark(state, on: grid)
            }
    }

    public var observationSpace: Space { .discrete(model.stateCount) }
    public var actionSpace: Space { .discrete(model.actionCount) }

    public mutating func reset(seed: UInt64?) -> Int {
        if let seed { random = NumPyGenerator(seed: seed) }
        let first = reset(draw: random.random())
        ficklePassenger?.startEpisode(random: &random)
        return first
    }

    public mutating func step(_ action: Int) -> Step<Int> {
        let previous = state
        var result = step(action, draw: random.random())
        if let fickle = ficklePassenger {
            var changed = fickle
            state = changed.destinationChange(from: previous, to: state, random: &random)
            ficklePassenger = changed
            result.observation = state
        }
        return result
    }

    /// Starts an episode with the given uniform number in place of the environment's own draw
    /// (replays Gymnasium's random numbers in parity tests; no fickle-passenger draw).
    public mutating func reset(draw: Double) -> Int {
        state = model.initialState(draw: draw)
        return state
    }

    /// Steps with the given uniform number in place of the environment's own draw (the transition
    /// model alone: no fickle-passenger draw).
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
