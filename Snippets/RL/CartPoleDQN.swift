// Deep Q-Learning on CartPole-v1 (Gymnasium's dynamics and 500-step limit): the tuned CartPole
// preset (RL Baselines3 Zoo's settings, the best greedy network kept), then the greedy policy's
// mean return.
//
// Run it with `swift run -c release CartPoleDQN [steps]` (default 50,000 environment steps).
import NervaRL

// snippet.hide
let steps = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 50_000
// snippet.show

// snippet.configure
var config = DQNPresets.cartPole // 256-256 network, Adam 2.3e-3, 128 gradient steps every 256, …
config.totalTimesteps = steps // the preset's: 100,000
if let problem = config.problem() { fatalError(problem) }
// snippet.end

// snippet.train
var cartPole = TimeLimit(CartPole(), maxEpisodeSteps: 500)
let agent = DQN(observationSize: 4, actionCount: 2, config: config, seed: 1)
var recentReturns: [Double] = []
try agent.train(
    on: &cartPole, seed: 1,
    onEpisode: { episode in
        recentReturns.append(episode.episodeReturn)
        if recentReturns.count == 50 {
            print("step \(episode.totalSteps): mean return of the last 50 episodes \(recentReturns.reduce(0, +) / 50)")
            recentReturns.removeAll()
        }
    })
// snippet.end

// snippet.evaluate
var evaluation = TimeLimit(CartPole(), maxEpisodeSteps: 500)
let result = evaluate(agent.greedyAction, on: &evaluation, episodes: 20, seed: 1_000)
print("greedy policy: mean return \(result.meanReturn) ± \(result.standardDeviation) over 20 episodes")
// snippet.end

// snippet.hide
// A random policy averages about 22 on CartPole.
precondition(result.meanReturn > 100, "DQN did not learn CartPole")
