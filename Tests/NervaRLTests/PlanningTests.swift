import NervaRL
import Testing

@Suite struct PlanningTests {
    @Test func valueIterationOnTheChainHasTheKnownAnswer() {
        // V(1) = 1 (terminal reward), V(0) = γ · V(1) = 0.9; policy: move (action 1) from state 0.
        let result = Planning.valueIteration(chainModel(), discount: 0.9)
        #expect(abs(result.values[0] - 0.9) < 1e-12 && abs(result.values[1] - 1) < 1e-12)
        #expect(result.policy.actions[0] == 1)
        let iterated = Planning.policyIteration(chainModel(), discount: 0.9)
        #expect(iterated.policy.actions[0] == 1 && abs(iterated.values[0] - 0.9) < 1e-9)
    }

    @Test func frozenLake4x4OptimumUnderTheTimeLimit() throws {
        let model = try FrozenLake.model(map: FrozenLake.map4x4)
        let optimum = model.expectedInitialValue(Planning.finiteHorizonValues(model, horizon: 100).values)
        #expect(abs(optimum - 0.7442) < 1e-4, "\(optimum)")
        let stationary = Planning.valueIteration(model, discount: 1)
        #expect(abs(stationary.values[0] - 0.8235) < 1e-4) // 14/17 without a time limit
        let withinLimit = model.expectedInitialValue(
            Planning.evaluate(stationary.policy, on: model, horizon: 100).values)
        #expect(abs(withinLimit - 0.7402) < 1e-4, "\(withinLimit)")
    }

    @Test func frozenLake8x8Optimum() throws {
        let model = try FrozenLake.model(map: FrozenLake.map8x8)
        let optimum = model.expectedInitialValue(Planning.finiteHorizonValues(model, horizon: 200).values)
        #expect(abs(optimum - 0.9132) < 1e-4, "\(optimum)")
        // With γ = 1 every state of the 8×8 map reaches the goal eventually (V = 1) and the greedy
        // policy is all ties; a discount of 0.995 picks the stationary policy that does best
        // within 200 steps: 0.894, the "best stationary policy".
        let stationary = Planning.valueIteration(model, discount: 0.995)
        let withinLimit = model.expectedInitialValue(
            Planning.evaluate(stationary.policy, on: model, horizon: 200).values)
        #expect(abs(withinLimit - 0.8936) < 1e-4, "\(withinLimit)")
    }

    @Test func taxiAndCliffWalkingOptima() {
        let taxi = Taxi.model()
        let taxiOptimum = Planning.valueIteration(taxi, discount: 1)
        #expect(abs(taxi.expectedInitialValue(taxiOptimum.values.values) - 7.93) < 1e-9)
        let cliff = CliffWalking.model()
        let cliffOptimum = Planning.valueIteration(cliff, discount: 1)
        #expect(cliffOptimum.values[CliffWalking.startState] == -13)
        let policyIteration = Planning.policyIteration(cliff, discount: 0.99)
        #expect(policyIteration.policy.actions[CliffWalking.startState] == 0) // up, then along the edge
    }
}
