import Foundation
import NervaRL
import NervaTestSupport
import Testing

/// Whether the Python of `.venv` (or `$NERVA_PYTHON`) has Gymnasium.
enum GymnasiumBridgeAvailability {
    static let isAvailable = PythonScript.canImport("gymnasium")
    static let python = PythonScript.python
    static let helper = PythonScript.script("gymnasium_bridge.py")
}

/// The bridge against the real Gymnasium: the same CartPole as the built-in one, training
/// through it, and clear errors. Runs where Python has gymnasium; CI requires it.
@Suite(
    .serialized,
    .enabled(
        if: GymnasiumBridgeAvailability.isAvailable || PythonScript.isRequired,
        "needs Python with gymnasium: run scripts/install-dependencies"))
struct GymnasiumBridgeTests {
    let python = GymnasiumBridgeAvailability.python
    let helper = GymnasiumBridgeAvailability.helper

    /// Gymnasium's CartPole through the bridge and Nerva's, started from the float64 state
    /// Gymnasium drew for the seed, agree exactly over a whole episode: observations, rewards and flags.
    @Test func cartPoleRoundTripMatchesTheBuiltInEnvironment() throws {
        var remote = try GymnasiumEnvironment("CartPole-v1", python: python, helper: helper)
        #expect(remote.observationSpace == CartPole().observationSpace && remote.actionSpace == .discrete(2))
        #expect(remote.session.maxEpisodeSteps == 500 && remote.session.rewardThreshold == 475)
        let first = remote.reset(seed: 42)
        #expect(remote.reset(seed: 42) == first, "the same seed gives the same first observation")
        #expect(remote.reset(seed: 43) != first)
        var local = TimeLimit(CartPole(), maxEpisodeSteps: 500)
        _ = remote.reset(seed: 42)
        _ = local.reset(seed: 0)
        let state = try #require(remote.session.lastResetState)
        var observation = local.base.reset(to: SIMD4(state))
        #expect(observation == first)
        var steps = 0
        while true {
            // A controller that keeps the pole up for a while, then a fixed pattern.
            let action = steps < 150 ? (observation[2] + 0.5 * observation[3] > 0 ? 1 : 0) : steps % 3 == 0 ? 1 : 0
            let mine = local.step(action), theirs = remote.step(action)
            steps += 1
            #expect(mine.observation == theirs.observation, "step \(steps)")
            #expect(
                mine.reward == theirs.reward && mine.isTerminated == theirs.isTerminated
                    && mine.isTruncated == theirs.isTruncated, "step \(steps)")
            if mine.isDone || theirs.isDone { break }
            observation = mine.observation
        }
        #expect(steps > 150 && remote.failure == nil)
    }

    /// FrozenLake without slipping through the bridge follows the same trajectory as Nerva's.
    @Test func frozenLakeTabularRoundTrip() throws {
        var remote = try GymnasiumTabularEnvironment(
            "FrozenLake-v1", python: python, helper: helper,
            options: #"{"is_slippery": false}"#)
        var local = try EnvironmentRegistry.tabular("FrozenLake-v1", isSlippery: false)
        #expect(remote.observationSpace == .discrete(16) && remote.actionSpace == .discrete(4))
        #expect(remote.reset(seed: 1) == local.reset(seed: 1))
        for action in [1, 1, 2, 2, 1, 2] {
            let mine = local.step(action), theirs = remote.step(action)
            #expect(mine == theirs)
            if mine.isDone { break }
        }
    }

    /// The same seed gives Gymnasium's episodes with nothing copied across: the first observation
    /// of each control task, and whole slippery FrozenLake and rainy, fickle Taxi episodes
    /// (slips, resets and destination changes drawn by Nerva's own NumPy-exact generator).
    @Test func seedsGiveGymnasiumsEpisodes() throws {
        for id in ["CartPole-v1", "MountainCar-v0", "Acrobot-v1"] {
            var remote = try GymnasiumEnvironment(id, python: python, helper: helper)
            var local = try EnvironmentRegistry.control(id)
            for seed: UInt64 in [0, 42, 123_456_789_012] {
                #expect(local.reset(seed: seed) == remote.reset(seed: seed), "\(id) seed \(seed)")
            }
        }
        let cases: [(id: String, options: String, local: TimeLimit<TabularEnvironment>)] = [
            ("FrozenLake8x8-v1", "{}", try EnvironmentRegistry.tabular("FrozenLake8x8-v1")),
            (
                "Taxi-v4", #"{"is_rainy": true, "fickle_passenger": true, "fickle_probability": 0.9}"#,
                try EnvironmentRegistry.tabular(
                    "Taxi-v4", isRainy: true,
                    ficklePassenger: TaxiFicklePassenger(probability: 0.9))
            )
        ]
        for (id, options, environment) in cases {
            var remote = try GymnasiumTabularEnvironment(id, python: python, helper: helper, options: options)
            var local = environment
            let actions = RandomGenerator(seed: 5)
            for seed: UInt64 in [3, 2_024] {
                #expect(local.reset(seed: seed) == remote.reset(seed: seed), "\(id) seed \(seed)")
                var steps = 0
                for episode in 0..<4 {
                    if episode > 0 { #expect(local.reset() == remote.reset(), "\(id) seed \(seed) episode \(episode)") }
                    while true {
                        let action = actions.integer(below: local.actionSpace.count)
                        let mine = local.step(action), theirs = remote.step(action)
                        steps += 1
                        #expect(mine == theirs, "\(id) seed \(seed) step \(steps)")
                        if mine != theirs { return }
                        if mine.isDone { break }
                    }
                }
            }
        }
    }

    /// DQN trains on Gymnasium's CartPole through the bridge and beats a random policy (≈ 22).
    @Test func dqnTrainsThroughTheBridge() throws {
        var env = try GymnasiumEnvironment("CartPole-v1", python: python, helper: helper)
        var config = DQNConfig()
        config.totalTimesteps = 4_000
        config.learningStarts = 500
        config.trainFrequency = 1
        config.batchSize = 64
        config.learningRate = 1e-3
        config.targetNetworkFrequency = 100
        config.explorationFraction = 0.5
        config.hiddenSizes = [64]
        let agent = DQN(observationSize: 4, actionCount: 2, config: config, seed: 1)
        var episodes = 0
        let session = env.session
        try agent.train(on: &env, seed: 3, shouldStop: { session.failure != nil }) { _ in episodes += 1 }
        #expect(env.failure == nil && agent.globalStep == 4_000 && episodes > 20)
        let result = evaluate(agent.greedyAction, on: &env, episodes: 5, seed: 11)
        #expect(result.meanReturn > 60, "greedy mean return \(result.meanReturn)")
    }

    @Test func unknownEnvironmentIsNamed() {
        #expect {
            _ = try GymnasiumEnvironment("NoSuchEnv-v9", python: python, helper: helper)
        } throws: { error in
            "\(error)".contains("NoSuchEnv-v9") && "\(error)".contains("Gymnasium")
        }
        #expect(throws: GymnasiumBridgeError.self) {
            _ = try GymnasiumEnvironment("FrozenLake-v1", python: python, helper: helper) // Discrete observations
        }
    }

    @Test func missingPythonOrHelperIsExplained() {
        #expect(throws: GymnasiumBridgeError.pythonNotFound("/nonexistent/python3")) {
            _ = try GymnasiumSession(environmentID: "CartPole-v1", python: "/nonexistent/python3", helper: helper)
        }
        #expect(throws: GymnasiumBridgeError.pythonNotFound("no-such-python-xyz")) {
            _ = try GymnasiumSession(environmentID: "CartPole-v1", python: "no-such-python-xyz", helper: helper)
        }
        #expect(throws: GymnasiumBridgeError.helperNotFound("/nonexistent/bridge.py")) {
            _ = try GymnasiumSession(environmentID: "CartPole-v1", python: python, helper: "/nonexistent/bridge.py")
        }
    }

    /// A helper that dies mid-episode ends the episode; the error keeps its exit status and stderr.
    @Test func helperCrashIsReported() throws {
        let script = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nerva-crashing-bridge-\(UUID().uuidString).py")
        defer { try? FileManager.default.removeItem(at: script) }
        // The real helper, made to die on the third step.
        let source = try String(contentsOfFile: helper, encoding: .utf8).replacingOccurrences(
            of: "        if command == \"step\":\n",
            with:
                "        if command == \"step\":\n            self.steps = getattr(self, 'steps', 0) + 1\n            if self.steps == 3:\n                sys.stderr.write('simulated crash\\n'); sys.stderr.flush(); os._exit(7)\n"
        )
        #expect(source.contains("simulated crash"))
        try source.write(to: script, atomically: true, encoding: .utf8)
        var env = try GymnasiumEnvironment("CartPole-v1", python: python, helper: script.path)
        _ = env.reset(seed: 0)
        #expect(!env.step(0).isDone && !env.step(0).isDone)
        let third = env.step(0)
        #expect(third.isTerminated && third.reward == 0)
        guard case let .helperExited(status, stderr)? = env.failure else {
            Issue.record("expected helperExited, got \(String(describing: env.failure))")
            return
        }
        #expect(status == 7 && stderr.contains("simulated crash"))
        #expect(env.step(0).isTerminated, "a failed bridge keeps ending episodes without the helper")
    }
}
