import Foundation
import NervaRL
import Testing

/// CartPole-v1, MountainCar-v0 and Acrobot-v1 against Gymnasium: from the initial state Gymnasium
/// drew, the recorded actions give the same Float32 observations, Float64 states, rewards and flags.
@Suite struct ClassicControlParityTests {
    static let cases = GymnasiumFixtures.classicControl.rollouts.indices.map { $0 }

    /// Replays a rollout in `environment` (already in the initial state) under `limit` steps.
    static func replay<E: Environment>(
        _ rollout: GymnasiumFixtures.Rollout, in environment: inout E, limit: Int,
        state: (E) -> [Double]
    ) -> (worstObservation: Double, worstState: Double)
    where E.Observation == [Float], E.Action == Int {
        var worstObservation = 0.0, worstState = 0.0
        for (number, expected) in rollout.steps.enumerated() {
            let step = environment.step(expected.action)
            let truncated = number + 1 >= limit
            #expect(
                step.reward == expected.reward && step.isTerminated == expected.terminated
                    && truncated == expected.truncated,
                "\(rollout.id) seed \(rollout.seed) step \(number): reward \(step.reward), terminated \(step.isTerminated)"
            )
            for (actual, wanted) in zip(step.observation, expected.observation) {
                worstObservation = max(worstObservation, abs(Double(actual) - wanted))
            }
            for (actual, wanted) in zip(state(environment), expected.state) {
                worstState = max(worstState, abs(actual - wanted) / max(1, abs(wanted)))
            }
            if number == 0 {
                #expect(step.observation.map(Double.init) == expected.observation, "\(rollout.id) first step is exact")
            }
        }
        return (worstObservation, worstState)
    }

    @Test(arguments: cases) func rolloutMatchesGymnasium(_ index: Int) throws {
        let rollout = GymnasiumFixtures.classicControl.rollouts[index]
        let s = rollout.initial_state
        let worst: (worstObservation: Double, worstState: Double)
        switch rollout.id {
        case "CartPole-v1", "CartPole-v0":
            var env = CartPole()
            #expect(env.reset(to: SIMD4(s[0], s[1], s[2], s[3])).map(Double.init) == rollout.initial_observation)
            worst = Self.replay(rollout, in: &env, limit: rollout.id == "CartPole-v0" ? 200 : 500) { env in
                (0..<4).map { env.state[$0] }
            }
        case "MountainCar-v0":
            var env = MountainCar()
            #expect(env.reset(to: SIMD2(s[0], s[1])).map(Double.init) == rollout.initial_observation)
            worst = Self.replay(rollout, in: &env, limit: 200) { env in [env.state[0], env.state[1]] }
        case "Acrobot-v1":
            var env = Acrobot()
            #expect(env.reset(to: SIMD4(s[0], s[1], s[2], s[3])).map(Double.init) == rollout.initial_observation)
            worst = Self.replay(rollout, in: &env, limit: 500) { env in (0..<4).map { env.state[$0] } }
        default:
            Issue.record("unknown environment \(rollout.id)")
            return
        }
        // Observations and Float64 states bit for bit, Acrobot's long chaotic episodes included.
        #expect(
            worst.worstObservation == 0,
            "\(rollout.id) seed \(rollout.seed): observations differ by \(worst.worstObservation)")
        #expect(
            worst.worstState == 0,
            "\(rollout.id) seed \(rollout.seed): states differ by \(worst.worstState)")
        print(
            "\(rollout.id) seed \(rollout.seed): \(rollout.steps.count) steps, max |Δobservation| \(worst.worstObservation), max relative |Δstate| \(worst.worstState)"
        )
    }

    /// `reset(seed:)` draws the very initial state Gymnasium's `reset(seed=)` draws.
    @Test(arguments: cases) func resetBySeedDrawsGymnasiumsInitialState(_ index: Int) throws {
        let rollout = GymnasiumFixtures.classicControl.rollouts[index]
        var env = try EnvironmentRegistry.control(rollout.id)
        #expect(env.reset(seed: UInt64(rollout.seed)).map(Double.init) == rollout.initial_observation)
        let state: [Double]
        switch env {
        case let pole as TimeLimit<CartPole>: state = (0..<4).map { pole.base.state[$0] }
        case let car as TimeLimit<MountainCar>: state = [car.base.state[0], car.base.state[1]]
        case let acrobot as TimeLimit<Acrobot>: state = (0..<4).map { acrobot.base.state[$0] }
        default: state = []
        }
        #expect(state == rollout.initial_state, "\(rollout.id) seed \(rollout.seed)")
        // The whole rollout then follows from the seed alone.
        for (number, expected) in rollout.steps.enumerated() {
            let step = env.step(expected.action)
            #expect(
                step.observation.map(Double.init) == expected.observation && step.isTruncated == expected.truncated,
                "\(rollout.id) seed \(rollout.seed) step \(number)")
        }
    }
}
