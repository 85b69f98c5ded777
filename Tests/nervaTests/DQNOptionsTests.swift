import NervaRL
import Testing
@testable import nerva

/// The DQN flags start from the preset: a flag left out keeps the preset's value.
@Suite struct DQNOptionsTests {
    static func config(_ arguments: [String], environment: String = "CartPole-v1") throws -> DQNConfig {
        try DQNOptions.parse(arguments).config(environmentID: environment, learningRate: nil, discount: nil)
    }

    @Test func anUnsetTotalTimestepsIsThePresets() throws {
        // CleanRL's dqn.py runs 500,000 steps; the CLI used to replace that by 100,000.
        #expect(try Self.config(["--preset", "cleanrl"]).totalTimesteps == 500_000)
        #expect(try Self.config([], environment: "MountainCar-v0").totalTimesteps == DQNConfig().totalTimesteps)
        #expect(try Self.config([]).totalTimesteps == DQNPresets.cartPole.totalTimesteps)
        #expect(try Self.config(["--preset", "cleanrl", "--total-timesteps", "1234"]).totalTimesteps == 1_234)
    }

    @Test func theSettingsTableListsTheTotalTimesteps() throws {
        let settings = DQNOptions.settings(try Self.config(["--preset", "cleanrl"]))
        #expect(settings.contains { $0.0 == "total_timesteps" && $0.1 == "500000" })
    }
}
