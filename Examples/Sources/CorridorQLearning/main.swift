import NervaRL

/// An environment of one's own: a corridor of `length` cells, the agent starting in cell 0. Action
/// 0 steps left, 1 steps right; each step costs 0.01 and reaching the last cell pays 1 and ends
/// the episode. With probability `slip` a step goes the other way, drawn from the environment's
/// own seeded random numbers, as Gymnasium environments do.
struct Corridor: Environment {
    let length: Int
    let slip: Float
    private var position = 0
    private var generator = RandomGenerator(seed: 0)

    init(length: Int, slip: Float) {
        self.length = length
        self.slip = slip
    }

    var observationSpace: Space { .discrete(length) }
    var actionSpace: Space { .discrete(2) }

    mutating func reset(seed: UInt64?) -> Int {
        if let seed { generator = RandomGenerator(seed: seed) }
        position = 0
        return position
    }

    mutating func step(_ action: Int) -> Step<Int> {
        let slipped = generator.bernoulli(slip)
        let right = (action == 1) != slipped
        position = min(max(position + (right ? 1 : -1), 0), length - 1)
        let arrived = position == length - 1
        return Step(observation: position, reward: arrived ? 1 : -0.01, isTerminated: arrived)
    }
}

// Tabular Q-learning exactly as in Sutton & Barto: Q starts at 0, ε-greedy actions, and
// Q(S, A) ← Q(S, A) + α[R + γ·max_a Q(S', a) − Q(S, A)]. A time limit ends wandering episodes.
var corridor = TimeLimit(Corridor(length: 8, slip: 0.1), maxEpisodeSteps: 100)
var learner = TabularLearner(
    stateCount: 8, actionCount: 2,
    config: TabularConfig(
        learningRate: 0.2, discount: 0.95,
        epsilon: .linear(start: 1, end: 0.05, duration: 300)),
    seed: 3)
var returns: [Double] = []
learner.train(on: &corridor, episodes: 500, seed: 11) { returns.append($0.episodeReturn) }

let policy = learner.qTable.greedyPolicy
let arrows = (0..<7).map { policy.action(for: $0) == 1 ? "→" : "←" }.joined()
let early = returns.prefix(50).reduce(0, +) / 50, late = returns.suffix(50).reduce(0, +) / 50
print("corridor: greedy policy \(arrows)G, mean return of the first 50 episodes \(early), of the last 50 \(late)")
print("corridor: Q(0, →) = \(learner.qTable[0, 1]), Q(0, ←) = \(learner.qTable[0, 0])")
guard arrows == String(repeating: "→", count: 7), late > early else { fatalError("the example did not learn") }
