/// An action-value function over finite states and actions: `Q(s, a)`, initialised to 0.
public struct QTable: Sendable, Equatable {
    /// The number of states.
    public let stateCount: Int
    /// The number of actions.
    public let actionCount: Int
    /// `Q(s, a)` at `values[s * actionCount + a]`.
    public var values: [Double]

    /// A table of zeros.
    public init(stateCount: Int, actionCount: Int) {
        precondition(
            stateCount > 0 && actionCount > 0, "QTable: needs states and actions, got \(stateCount)×\(actionCount).")
        self.stateCount = stateCount
        self.actionCount = actionCount
        self.values = [Double](repeating: 0, count: stateCount * actionCount)
    }

    /// `Q(state, action)`.
    public subscript(state: Int, action: Int) -> Double {
        get { values[state * actionCount + action] }
        set { values[state * actionCount + action] = newValue }
    }

    /// `max_a Q(state, a)`.
    public func maxValue(state: Int) -> Double {
        var best = -Double.infinity
        for action in 0..<actionCount { best = Swift.max(best, self[state, action]) }
        return best
    }

    /// The first action with the largest value (numpy's `argmax`).
    public func greedyAction(state: Int) -> Int {
        var best = 0
        for action in 1..<actionCount where self[state, action] > self[state, best] { best = action }
        return best
    }

    /// The number of actions tied at the largest value, and one of them chosen uniformly.
    func greedyAction(state: Int, breakingTiesWith generator: RandomGenerator) -> Int {
        let best = maxValue(state: state)
        var ties = 0
        for action in 0..<actionCount where self[state, action] == best { ties += 1 }
        var pick = ties == 1 ? 0 : generator.integer(below: ties)
        for action in 0..<actionCount where self[state, action] == best {
            if pick == 0 { return action }
            pick -= 1
        }
        return 0
    }

    /// The greedy policy: in each state the first action of largest value.
    public var greedyPolicy: TabularPolicy { TabularPolicy(actions: (0..<stateCount).map { greedyAction(state: $0) }) }

    /// `V(s) = max_a Q(s, a)` for every state.
    public var stateValues: ValueTable { ValueTable(values: (0..<stateCount).map { maxValue(state: $0) }) }
}

/// A state-value function over finite states, `V(s)`.
public struct ValueTable: Sendable, Equatable {
    /// `V(s)` at index `s`.
    public var values: [Double]

    public init(values: [Double]) { self.values = values }

    /// `V(state)`.
    public subscript(state: Int) -> Double { values[state] }
}

/// A policy: the rule an agent follows to choose actions from observations.
public protocol Policy<Observation> {
    /// What the policy sees.
    associatedtype Observation
    /// The action to take after seeing `observation`.
    func action(for observation: Observation) -> Int
}

/// A deterministic policy over finite states: one action per state.
public struct TabularPolicy: Policy, Sendable, Equatable {
    /// The action taken in each state.
    public var actions: [Int]

    public init(actions: [Int]) { self.actions = actions }

    public func action(for state: Int) -> Int { actions[state] }
}
