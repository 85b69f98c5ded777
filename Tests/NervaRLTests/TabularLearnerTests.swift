import NervaRL
import Testing

/// A two-state chain: in state 0, action 1 reaches state 1 (reward 0), action 0 stays (reward 0);
/// in state 1 every action ends the episode with reward 1.
func chainModel() -> TransitionModel {
    TransitionModel(stateCount: 2, actionCount: 2, initialDistribution: [1, 0]) { state, action in
        if state == 1 { return [.init(probability: 1, nextState: 1, reward: 1, isTerminal: true)] }
        return [.init(probability: 1, nextState: action, reward: 0, isTerminal: false)]
    }
}

@Suite struct TabularLearnerTests {
    @Test func qLearningUpdateMatchesTheHandWorkedExample() {
        // Prepare: Q(1, ·) = (2, 5), α = 0.5, γ = 0.9.
        var learner = TabularLearner(
            stateCount: 2, actionCount: 2,
            config: TabularConfig(algorithm: .qLearning, learningRate: 0.5, discount: 0.9), seed: 0)
        learner.qTable[1, 0] = 2
        learner.qTable[1, 1] = 5
        learner.qTable[0, 1] = 1
        // Execute: Q(0,1) ← 1 + 0.5 · (3 + 0.9 · 5 − 1) = 4.25
        learner.update(state: 0, action: 1, reward: 3, nextState: 1, nextAction: nil, isTerminated: false, epsilon: 0.1)
        #expect(learner.qTable[0, 1] == 4.25)
        // No bootstrap past a terminal state: Q(0,0) ← 0 + 0.5 · (3 − 0) = 1.5
        learner.update(state: 0, action: 0, reward: 3, nextState: 1, nextAction: nil, isTerminated: true, epsilon: 0.1)
        #expect(learner.qTable[0, 0] == 1.5)
    }

    @Test func sarsaAndExpectedSarsaTargets() {
        var sarsa = TabularLearner(
            stateCount: 2, actionCount: 2,
            config: TabularConfig(algorithm: .sarsa, learningRate: 1, discount: 0.5), seed: 0)
        sarsa.qTable[1, 0] = 2
        sarsa.qTable[1, 1] = 6
        sarsa.update(state: 0, action: 0, reward: 1, nextState: 1, nextAction: 0, isTerminated: false, epsilon: 0.2)
        #expect(sarsa.qTable[0, 0] == 1 + 0.5 * 2) // uses A′, not the max

        var expected = TabularLearner(
            stateCount: 2, actionCount: 2,
            config: TabularConfig(algorithm: .expectedSarsa, learningRate: 1, discount: 0.5), seed: 0)
        expected.qTable[1, 0] = 2
        expected.qTable[1, 1] = 6
        expected.update(
            state: 0, action: 0, reward: 1, nextState: 1, nextAction: nil, isTerminated: false, epsilon: 0.2)
        // π(0|1) = 0.1, π(1|1) = 0.9: expectation 0.2 + 5.4 = 5.6
        #expect(abs(expected.qTable[0, 0] - (1 + 0.5 * 5.6)) < 1e-12)
    }

    @Test func truncationBootstrapsButTerminationDoesNot() {
        // A one-state loop with reward 1, cut by a time limit of 1 step: each episode is
        // truncated, so Q keeps bootstrapping and approaches 1 / (1 − γ) = 2.
        let loop = TransitionModel(stateCount: 1, actionCount: 1, initialDistribution: [1]) { _, _ in
            [.init(probability: 1, nextState: 0, reward: 1, isTerminal: false)]
        }
        var env = TimeLimit(TabularEnvironment(name: "loop", model: loop), maxEpisodeSteps: 1)
        var learner = TabularLearner(
            stateCount: 1, actionCount: 1,
            config: TabularConfig(learningRate: 0.5, discount: 0.5, epsilon: .constant(0)), seed: 0)
        learner.train(on: &env, episodes: 150)
        #expect(abs(learner.qTable[0, 0] - 2) < 1e-9)
    }

    @Test func epsilonSchedules() {
        #expect(EpsilonSchedule.constant(0.3).value(at: 1000) == 0.3)
        let linear = EpsilonSchedule.linear(start: 1, end: 0.05, duration: 100)
        #expect(linear.value(at: 0) == 1)
        #expect(abs(linear.value(at: 50) - 0.525) < 1e-12)
        #expect(linear.value(at: 500) == 0.05)
        let exponential = EpsilonSchedule.exponential(start: 1, end: 0.1, rate: 0.01)
        #expect(abs(exponential.value(at: 100) - (0.1 + 0.9 * 0.36787944117144233)) < 1e-12)
    }

    @Test func learnsTheChain() {
        var env = TimeLimit(TabularEnvironment(name: "chain", model: chainModel()), maxEpisodeSteps: 20)
        var learner = TabularLearner(stateCount: 2, actionCount: 2, config: TabularConfig(discount: 0.9), seed: 1)
        learner.train(on: &env, episodes: 500)
        #expect(learner.qTable.greedyAction(state: 0) == 1)
        #expect(abs(learner.qTable[1, 0] - 1) < 1e-6)
    }

    @Test func sameSeedSameTable() {
        func run() -> QTable {
            var env = try! EnvironmentRegistry.tabular("FrozenLake-v1")
            var learner = TabularLearner(stateCount: 16, actionCount: 4, config: TabularConfig(), seed: 5)
            learner.train(on: &env, episodes: 300, seed: 9)
            return learner.qTable
        }
        #expect(run() == run())
    }
}
