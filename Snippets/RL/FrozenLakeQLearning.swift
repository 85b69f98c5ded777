// Tabular Q-learning on FrozenLake-v1 (4×4, slippery, 100-step limit), the environment as
// Gymnasium defines it, then the learned policy against the optimum computed from the model.
import NervaRL

// snippet.environment
var lake = try EnvironmentRegistry.tabular("FrozenLake-v1") // TimeLimit(FrozenLake, 100 steps)
let model = lake.base.model // Gymnasium's P: the exact dynamics
// snippet.end

// snippet.learn
// Q(S, A) ← Q(S, A) + α[R + γ·max_a Q(S′, a) − Q(S, A)], ε-greedy from 1 down to 0.01.
let config = TabularConfig(
    algorithm: .qLearning, learningRate: 0.1, discount: 0.99,
    epsilon: .linear(start: 1, end: 0.01, duration: 10_000))
var learner = TabularLearner(stateCount: 16, actionCount: 4, config: config, seed: 1)
var successes = 0
learner.train(on: &lake, episodes: 20_000, seed: 2) { episode in
    if episode.episodeReturn > 0 { successes += 1 }
    if (episode.episode + 1) % 5_000 == 0 {
        print("episode \(episode.episode + 1): ε \(episode.epsilon), successes so far \(successes)")
        successes = 0
    }
}
// snippet.end

// snippet.evaluate
let policy = learner.qTable.greedyPolicy
let played = evaluate({ policy.action(for: $0) }, on: &lake, episodes: 2_000, seed: 3)
let success = played.successRate ?? 0 // FrozenLake defines success: reaching the goal
let exact = Planning.evaluate(policy, on: model, horizon: 100)[0] // success probability from S
let optimal = Planning.valueIteration(model, discount: 0.999).policy
let best = Planning.evaluate(optimal, on: model, horizon: 100)[0]
print("greedy policy: success rate \(success) in 2,000 episodes, exactly \(exact); optimum \(best)")
// snippet.end

// snippet.hide
precondition(exact > 0.6 && success > 0.6, "Q-learning did not learn FrozenLake")
