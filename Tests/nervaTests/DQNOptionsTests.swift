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
        let settings = try Self.config(["--preset", "cleanrl"]).settings
        #expect(settings.contains { $0.name == "total_timesteps" && $0.value == "500000" })
    }

    /// The table is read from the config: one row per stored field, none restated by hand.
    @Test func theSettingsTableHasEveryConfigField() throws {
        let config = try Self.config(["--preset", "cleanrl", "--double", "--hidden-sizes", "64,32"])
        let settings = Dictionary(uniqueKeysWithValues: config.settings.map { ($0.name, $0.value) })
        #expect(settings.count == Mirror(reflecting: config).children.count)
        #expect(settings["start_epsilon"] == "1.0" && settings["end_epsilon"] == "0.05")
        #expect(settings["exploration_fraction"] == "0.5")
        #expect(settings["double"] == "true" && settings["hidden_sizes"] == "64,32")
        #expect(settings["selection_frequency"] == "off" && settings["max_gradient_norm"] == "off")
    }

    /// CleanRL's ε schedule: 1 → 0.05 over half of 500,000 steps.
    @Test func cleanRLPresetIsCleanRLsRun() throws {
        let config = try Self.config(["--preset", "cleanrl"])
        #expect(config.epsilon == .linear(start: 1, end: 0.05, duration: 250_000))
        #expect(config.selectionFrequency == nil && config.trainFrequency == 10 && config.learningStarts == 10_000)
    }

    @Test func selectBestIsOptional() throws {
        #expect(try Self.config([]).selectionFrequency == DQNPresets.cartPole.selectionFrequency)
        #expect(try Self.config(["--no-select-best"]).selectionFrequency == nil)
        let selecting = try Self.config(["--preset", "cleanrl", "--select-best"])
        #expect(selecting.selectionFrequency == DQNOptions.defaultSelectionFrequency)
        let every = try Self.config(["--preset", "cleanrl", "--select-best", "--select-every", "1000"])
        #expect(every.selectionFrequency == 1_000)
        #expect(throws: (any Error).self) { try Self.config(["--no-select-best", "--select-every", "1000"]) }
        #expect(try DQNOptions.parse(["--no-select-best"]).givenFlags == ["--no-select-best"])
    }
}
