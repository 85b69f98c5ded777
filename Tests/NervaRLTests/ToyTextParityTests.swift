import Foundation
import NervaRL
import Testing

/// FrozenLake, Taxi and CliffWalking against Gymnasium: the full transition model P, the initial
/// distribution, trajectories replayed with Gymnasium's own uniform draws, and the same
/// trajectories from the seed alone (Nerva draws what Gymnasium draws).
@Suite struct ToyTextParityTests {
    static func environment(for fixture: GymnasiumFixtures.ToyTextEnvironment) throws -> TimeLimit<TabularEnvironment> {
        switch fixture.id {
        case "FrozenLake-v1", "FrozenLake8x8-v1":
            let map =
                fixture.kwargs.desc
                ?? (fixture.id == "FrozenLake8x8-v1" || fixture.kwargs.map_name == "8x8"
                    ? FrozenLake.map8x8 : FrozenLake.map4x4)
            return try EnvironmentRegistry.tabular(fixture.id, isSlippery: fixture.kwargs.is_slippery, map: map)
        case "Taxi-v4":
            let fickle =
                try fixture.kwargs.fickle_passenger == true
                ? TaxiFicklePassenger(probability: fixture.kwargs.fickle_probability ?? 0.3) : nil
            return try EnvironmentRegistry.tabular(
                "Taxi-v4", isRainy: fixture.kwargs.is_rainy ?? false,
                ficklePassenger: fickle)
        default: return try EnvironmentRegistry.tabular(fixture.id, isSlippery: fixture.kwargs.is_slippery)
        }
    }

    static let cases = GymnasiumFixtures.toyText.environments.indices.map { $0 }

    @Test(arguments: cases) func transitionModelEqualsGymnasiumsP(_ index: Int) throws {
        let fixture = GymnasiumFixtures.toyText.environments[index]
        let model = try Self.environment(for: fixture).base.model
        #expect(model.stateCount == fixture.model.count)
        #expect(model.actionCount == fixture.model[0].count)
        #expect(model.initialDistribution == fixture.initial, "\(fixture.id) initial distribution")
        var mismatches = 0
        for (state, actions) in fixture.model.enumerated() {
            for (action, expected) in actions.enumerated() {
                let outcomes = Array(model.outcomes(state: state, action: action))
                let same =
                    outcomes.count == expected.count
                    && zip(outcomes, expected).allSatisfy { outcome, entry in
                        outcome.probability == entry[0].value && Double(outcome.nextState) == entry[1].value
                            && outcome.reward == entry[2].value && (outcome.isTerminal ? 1 : 0) == entry[3].value
                    }
                if !same {
                    mismatches += 1
                    if mismatches <= 3 {
                        Issue.record(
                            "\(fixture.id) \(fixture.kwargs) P[\(state)][\(action)]: \(outcomes) vs \(expected.map { $0.map(\.value) })"
                        )
                    }
                }
            }
        }
        #expect(mismatches == 0)
        #expect(fixture.max_episode_steps ?? Int.max == (try Self.environment(for: fixture)).maxEpisodeSteps)
    }

    @Test(arguments: cases) func trajectoryReplaysGymnasiumsDraws(_ index: Int) throws {
        let fixture = GymnasiumFixtures.toyText.environments[index]
        guard fixture.trajectory.destination_changes == nil else { return } // recorded by seed only
        var env = try Self.environment(for: fixture)
        _ = env.reset(seed: 0)
        #expect(env.base.reset(draw: fixture.trajectory.initial_draw) == fixture.trajectory.initial_observation)
        var elapsed = 0
        for (number, expected) in fixture.trajectory.steps.enumerated() {
            let step = env.base.step(expected.action, draw: expected.draw)
            elapsed += 1
            let truncated = elapsed >= env.maxEpisodeSteps
            #expect(
                step.observation == expected.observation && step.reward == expected.reward
                    && step.isTerminated == expected.terminated && truncated == expected.truncated,
                "\(fixture.id) step \(number)")
            if let draw = expected.reset_draw {
                #expect(
                    env.base.reset(draw: draw) == expected.reset_observation, "\(fixture.id) reset after step \(number)"
                )
                elapsed = 0
            }
        }
    }

    /// `reset(seed: 7)` and the same actions give Gymnasium's observations, rewards and flags at
    /// every step, with the slips, the resets after each episode and Taxi's fickle passenger
    /// drawn from Nerva's own NumPy-exact generator.
    @Test(arguments: cases) func trajectoryFollowsGymnasiumBySeed(_ index: Int) throws {
        let fixture = GymnasiumFixtures.toyText.environments[index]
        var env = try Self.environment(for: fixture)
        #expect(env.reset(seed: UInt64(fixture.trajectory.seed)) == fixture.trajectory.initial_observation)
        for (number, expected) in fixture.trajectory.steps.enumerated() {
            let step = env.step(expected.action)
            let same =
                step.observation == expected.observation && step.reward == expected.reward
                && step.isTerminated == expected.terminated && step.isTruncated == expected.truncated
            #expect(same, "\(fixture.id) \(fixture.kwargs) step \(number): \(step) vs \(expected)")
            if !same { return }
            if let observation = expected.reset_observation {
                #expect(env.reset() == observation, "\(fixture.id) reset after step \(number)")
            }
        }
    }
}
