import Foundation
import NervaRL
import NervaTestSupport
import Testing

/// One registry of environment ids, Gymnasium 1.4's included, with limits, thresholds and success.
@Suite struct EnvironmentRegistryTests {
    @Test func everyGymnasiumIdOfTheBuiltInEnvironmentsIsAccepted() throws {
        for id in [
            "FrozenLake-v1", "FrozenLake8x8-v1", "Taxi-v4", "Taxi-v3", "CliffWalking-v1", "CliffWalkingSlippery-v1",
            "CliffWalking-v0"
        ] {
            #expect(EnvironmentRegistry.tabularIDs.contains(id))
            _ = try EnvironmentRegistry.tabular(id)
        }
        for id in ["CartPole-v1", "CartPole-v0", "MountainCar-v0", "Acrobot-v1"] {
            #expect(EnvironmentRegistry.controlIDs.contains(id))
            _ = try EnvironmentRegistry.control(id)
        }
        #expect(throws: EnvironmentError.self) { try EnvironmentRegistry.tabular("CartPole-v1") }
        #expect(throws: EnvironmentError.self) { try EnvironmentRegistry.control("Taxi-v4") }
        #expect(throws: EnvironmentError.self) { try EnvironmentRegistry.control("NoSuch-v0") }
    }

    @Test func limitsAndDefaultsAreGymnasiums() throws {
        #expect(try EnvironmentRegistry.tabular("CliffWalking-v0").maxEpisodeSteps == Int.max)
        #expect(try EnvironmentRegistry.tabular("Taxi-v4").maxEpisodeSteps == 200)
        // CliffWalkingSlippery-v1 is CliffWalking-v1 with is_slippery=True: three outcomes per move.
        #expect(
            try EnvironmentRegistry.tabular("CliffWalkingSlippery-v1").base.model.outcomes(state: 0, action: 1).count
                == 3)
        #expect(try EnvironmentRegistry.tabular("CliffWalking-v1").base.model.outcomes(state: 0, action: 1).count == 1)
        #expect(EnvironmentRegistry.rewardThreshold(for: "CartPole-v0") == 195)
        var pole = try EnvironmentRegistry.control("CartPole-v0")
        _ = pole.reset(seed: 1)
        var steps = 0
        while !pole.step(steps % 2).isTruncated && steps < 300 { steps += 1 }
        #expect(steps + 1 <= 200)
    }

    /// Success is reported only where the environment defines it.
    @Test func successRateOnlyWhereDefined() throws {
        #expect(EnvironmentRegistry.spec(for: "CartPole-v1")?.success == nil)
        #expect(EnvironmentRegistry.spec(for: "CliffWalking-v1")?.success == nil)
        #expect(EnvironmentRegistry.spec(for: "FrozenLake-v1")?.success == .reachedGoal)
        var lake = try EnvironmentRegistry.tabular("FrozenLake-v1", isSlippery: false)
        let path = [1, 1, 2, 2, 1, 2] // down, down, right, right, down, right: S to G
        var index = 0
        let result = evaluate(
            { _ in
                defer { index = (index + 1) % path.count }
                return path[index]
            }, on: &lake,
            episodes: 3, seed: 0, success: .reachedGoal)
        #expect(result.successRate == 1)
        var pole = try EnvironmentRegistry.control("CartPole-v1")
        #expect(evaluate({ _ in 0 }, on: &pole, episodes: 2, seed: 0).successRate == nil)
        var car = try EnvironmentRegistry.control("MountainCar-v0")
        #expect(evaluate({ _ in 1 }, on: &car, episodes: 2, seed: 0, success: .terminated).successRate == 0)
    }

    @Test func ficklePassengerProbabilityIsChecked() {
        #expect(throws: ConfigurationError.self) { try TaxiFicklePassenger(probability: 1.5) }
        #expect(throws: ConfigurationError.self) { try TaxiFicklePassenger(probability: .nan) }
    }

    /// Every id Gymnasium in `.venv` registers for these environment families is one Nerva accepts.
    @Test(.enabled(if: PythonScript.canImport("gymnasium") || PythonScript.isRequired, "needs Python with gymnasium"))
    func theRegistryCoversGymnasiumsIds() throws {
        let code = """
            import gymnasium as gym
            names = ("FrozenLake", "Taxi", "CliffWalking", "CartPole", "MountainCar-", "Acrobot")
            for key, spec in gym.registry.items():
                if "/" not in key and key.startswith(names):
                    print(key, spec.max_episode_steps)
            """
        let output = PythonScript.run(["-c", code])
        try #require(output.status == 0, "\(output.log)")
        let lines = output.stdout.split(separator: "\n")
        #expect(lines.count >= 9)
        for line in lines {
            let parts = line.split(separator: " ").map(String.init)
            let spec = EnvironmentRegistry.spec(for: parts[0])
            #expect(spec != nil, "Gymnasium registers \(parts[0])")
            #expect(spec?.maxEpisodeSteps.map(String.init) ?? "None" == parts[1], "\(parts[0]) time limit")
        }
    }
}
