/// A model of a finite environment, Gymnasium's `P`: for every state and action, the possible
/// outcomes with their probabilities, rewards and terminal flags, plus the distribution of first
/// states. The toy-text environments are defined by their model; planners
/// (`ValueIteration`, `PolicyIteration`) read it to compute optimal values.
///
/// Outcomes are kept in Gymnasium's order, duplicates included (a slippery FrozenLake move into a
/// wall lists the same next state twice), so that sampling with the same uniform number picks the
/// same outcome as Gymnasium's `categorical_sample`.
public struct TransitionModel: Sendable, Equatable {
    /// One possible result of taking an action in a state.
    public struct Outcome: Sendable, Equatable {
        /// The probability of this outcome.
        public var probability: Double
        /// The state reached.
        public var nextState: Int
        /// The reward received.
        public var reward: Double
        /// Whether the episode terminates on reaching `nextState`.
        public var isTerminal: Bool

        public init(probability: Double, nextState: Int, reward: Double, isTerminal: Bool) {
            self.probability = probability
            self.nextState = nextState
            self.reward = reward
            self.isTerminal = isTerminal
        }
    }

    /// The number of states.
    public let stateCount: Int
    /// The number of actions.
    public let actionCount: Int
    /// The probability of starting an episode in each state.
    public let initialDistribution: [Double]
    /// All outcomes, grouped by (state, action) in row-major order.
    private let allOutcomes: [Outcome]
    /// `allOutcomes[offsets[s * actionCount + a] ..< offsets[s * actionCount + a + 1]]`.
    private let offsets: [Int]

    /// Builds a model by asking `outcomes` for the outcomes of every state and action.
    ///
    /// - Precondition: each state's outcome probabilities sum to 1 (within 1e-9) and every next
    ///   state is in range.
    public init(
        stateCount: Int, actionCount: Int, initialDistribution: [Double],
        outcomes: (_ state: Int, _ action: Int) -> [Outcome]
    ) {
        precondition(
            initialDistribution.count == stateCount,
            "TransitionModel: \(initialDistribution.count) initial probabilities for \(stateCount) states.")
        var all: [Outcome] = []
        var offsets = [0]
        offsets.reserveCapacity(stateCount * actionCount + 1)
        for state in 0..<stateCount {
            for action in 0..<actionCount {
                let list = outcomes(state, action)
                let total = list.reduce(0) { $0 + $1.probability }
                precondition(
                    Swift.abs(total - 1) < 1e-9 && list.allSatisfy { (0..<stateCount).contains($0.nextState) },
                    "TransitionModel: the outcomes of state \(state), action \(action) are not a distribution over the states."
                )
                all += list
                offsets.append(all.count)
            }
        }
        self.stateCount = stateCount
        self.actionCount = actionCount
        self.initialDistribution = initialDistribution
        self.allOutcomes = all
        self.offsets = offsets
    }

    /// The outcomes of taking `action` in `state`, in Gymnasium's order.
    public func outcomes(state: Int, action: Int) -> ArraySlice<Outcome> {
        let index = state * actionCount + action
        return allOutcomes[offsets[index]..<offsets[index + 1]]
    }

    /// The outcome Gymnasium's `categorical_sample` picks for the uniform number `draw` in `[0, 1)`:
    /// the first whose cumulative probability exceeds `draw`.
    public func outcome(state: Int, action: Int, draw: Double) -> Outcome {
        let list = outcomes(state: state, action: action)
        var cumulative = 0.0
        for outcome in list {
            cumulative += outcome.probability
            if cumulative > draw { return outcome }
        }
        return list[list.startIndex] // numpy's argmax of an all-false mask
    }

    /// The first state Gymnasium's `categorical_sample` picks for `draw`.
    public func initialState(draw: Double) -> Int {
        var cumulative = 0.0
        for (state, probability) in initialDistribution.enumerated() {
            cumulative += probability
            if cumulative > draw { return state }
        }
        return 0
    }

    /// `Σ_s' p(s'|s,a) · (r + discount · V(s'))`, with no value after terminal outcomes.
    public func actionValue(state: Int, action: Int, values: [Double], discount: Double) -> Double {
        var total = 0.0
        for outcome in outcomes(state: state, action: action) {
            let future = outcome.isTerminal ? 0 : discount * values[outcome.nextState]
            total += outcome.probability * (outcome.reward + future)
        }
        return total
    }

    /// `Σ_s p₀(s) · V(s)`: the expected return of an episode given the state values.
    public func expectedInitialValue(_ values: [Double]) -> Double {
        zip(initialDistribution, values).reduce(0) { $0 + $1.0 * $1.1 }
    }
}
