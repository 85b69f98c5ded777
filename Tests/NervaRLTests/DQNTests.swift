import Foundation
import NervaRL
import NervaTestSupport
import Testing

/// A one-step bandit with a 2-D observation: the better of two actions depends on the sign of
/// the first component (reward 1 for the right choice, 0 otherwise); every step terminates.
struct SignBandit: Environment {
    var observation: [Float] = [0, 0]
    var random = RandomGenerator(seed: 0)
    var observationSpace: Space { .box(low: [-1, -1], high: [1, 1]) }
    var actionSpace: Space { .discrete(2) }
    mutating func reset(seed: UInt64?) -> [Float] {
        if let seed { random = RandomGenerator(seed: seed) }
        observation = [random.uniform(-1, 1), random.uniform(-1, 1)]
        return observation
    }
    mutating func step(_ action: Int) -> Step<[Float]> {
        let correct = observation[0] > 0 ? 1 : 0
        return Step(observation: observation, reward: action == correct ? 1 : 0, isTerminated: true)
    }
}

@Suite struct DQNTests {
    @Test(arguments: [false, true]) func fastForwardMatchesTheTensorForward(_ isDueling: Bool) {
        let network = QNetwork(
            inputSize: 4, actionCount: 3, hiddenSizes: [13, 9], isDueling: isDueling,
            generator: RandomGenerator(seed: 2))
        let observation: [Float] = [0.3, -1.2, 0.05, 2]
        let viaTensors = withoutGradients { network(Tensor(observation, shape: [1, 4])) }.scalars
        expectClose(network.qValues(observation), viaTensors, relativeTolerance: 1e-5, absoluteTolerance: 1e-6)
    }

    @Test func checkpointNamesAreCleanRLs() {
        let network = QNetwork(inputSize: 4, actionCount: 2, generator: RandomGenerator(seed: 0))
        #expect(
            network.namedParameters().map(\.name) == [
                "network.0.weight", "network.0.bias", "network.2.weight",
                "network.2.bias", "network.4.weight", "network.4.bias"
            ])
    }

    @Test func targetNetworkSyncCopiesOrAverages() {
        var config = DQNConfig()
        config.hiddenSizes = [8]
        let agent = DQN(observationSize: 2, actionCount: 2, config: config, seed: 1)
        #expect(agent.qNetwork.parameters().map(\.scalars) == agent.targetNetwork.parameters().map(\.scalars))
        agent.qNetwork.parameters()[0].withUnsafeMutableBufferPointer { $0[0] += 1 }
        let before = agent.targetNetwork.parameters()[0].scalars[0]
        agent.targetNetwork.update(from: agent.qNetwork, tau: 0.25)
        #expect(abs(agent.targetNetwork.parameters()[0].scalars[0] - (before + 0.25)) < 1e-6)
        agent.targetNetwork.update(from: agent.qNetwork)
        #expect(agent.qNetwork.parameters().map(\.scalars) == agent.targetNetwork.parameters().map(\.scalars))
    }

    @Test func tdTargetDoesNotBootstrapPastTermination() {
        var config = DQNConfig()
        config.hiddenSizes = [4]
        config.learningRate = 1e-9
        let agent = DQN(observationSize: 1, actionCount: 2, config: config, seed: 0)
        var buffer = ReplayBuffer(capacity: 2, observationSize: 1)
        buffer.add(observation: [0], action: 0, reward: 5, nextObservation: [1], isTerminated: true)
        let batch = buffer.batch(at: [0])
        let q = withoutGradients { agent.qNetwork(batch.observations) }.scalars[0]
        let summary = agent.update(on: batch)
        #expect(abs(summary.loss - (q - 5) * (q - 5)) < 1e-4) // target is the reward alone
    }

    @Test(arguments: [false, true]) func learnsATrivialEnvironmentInSeconds(_ isDouble: Bool) throws {
        var config = DQNConfig()
        config.totalTimesteps = 3_000
        config.learningStarts = 200
        config.trainFrequency = 1
        config.batchSize = 32
        config.learningRate = 1e-3
        config.hiddenSizes = [16]
        config.targetNetworkFrequency = 50
        config.isDouble = isDouble
        config.isDueling = isDouble
        config.loss = isDouble ? .huber(delta: 1) : .mse
        let agent = DQN(observationSize: 2, actionCount: 2, config: config, seed: 4)
        var env = SignBandit()
        try agent.train(on: &env, seed: 1)
        let result = evaluate(agent.greedyAction, on: &env, episodes: 500, seed: 99)
        #expect(result.meanReturn > 0.95, "\(result.meanReturn)")
    }

    @Test func selectionRestoresTheBestEvaluatedNetwork() throws {
        var config = DQNConfig()
        config.totalTimesteps = 1_200
        config.learningStarts = 100
        config.trainFrequency = 1
        config.batchSize = 32
        config.learningRate = 1e-3
        config.hiddenSizes = [16]
        config.selectionFrequency = 200
        config.selectionEpisodes = 50
        let agent = DQN(observationSize: 2, actionCount: 2, config: config, seed: 4)
        var env = SignBandit()
        try agent.train(on: &env, seed: 1)
        let best = try #require(agent.bestSelectionReturn)
        let step = try #require(agent.bestSelectionStep)
        // Re-running the kept network on the evaluation that selected it gives the same mean.
        let again = evaluate(agent.greedyAction, on: &env, episodes: 50, seed: 1 &+ UInt64(step))
        #expect(again.meanReturn == best)
    }
}

/// Hostile settings and checkpoints (issue #18): errors that name the value, never a trap.
@Suite struct DQNValidationTests {
    @Test func outOfRangeSettingsAreProblems() {
        var config = DQNConfig()
        config.learningStarts = -1
        #expect(config.problem()?.contains("learning starts") == true)
        config = DQNConfig()
        config.explorationFraction = -1
        #expect(config.problem()?.contains("exploration fraction") == true)
        config = DQNConfig()
        config.learningRate = .infinity
        #expect(config.problem()?.contains("learning rate") == true)
        config = DQNConfig()
        config.bufferSize = Int.max
        #expect(config.problem()?.contains("buffer size must be in 1…67108864") == true)
        config = DQNConfig()
        config.batchSize = config.bufferSize + 1
        #expect(config.problem()?.contains("batch size must be in 1…") == true)
        config = DQNConfig()
        config.maxGradientNorm = .infinity
        #expect(config.problem()?.contains("max gradient norm must be finite") == true)
    }

    @Test func divergedTrainingStopsWithAnError() {
        var config = DQNConfig()
        config.totalTimesteps = 400
        config.learningStarts = 10
        config.trainFrequency = 1
        config.batchSize = 8
        config.learningRate = 1e30
        config.hiddenSizes = [8]
        let agent = DQN(observationSize: 2, actionCount: 2, config: config, seed: 4)
        var env = SignBandit()
        #expect(throws: TrainingDivergedError.self) { try agent.train(on: &env, seed: 1) }
    }

    @Test func qNetworkSizesInACheckpointAreBounded() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "q-\(UInt64.random(in: 0 ... .max)).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let network = QNetwork(inputSize: 4, actionCount: 2, hiddenSizes: [8], generator: RandomGenerator(seed: 1))
        for hidden in ["-5,-5", "100000,100000", "8,,8", "x"] {
            try network.save(to: url, metadata: ["hidden_sizes": hidden])
            #expect(throws: ConfigurationError.self) {
                try QNetwork.load(from: url, observationSize: 4, actionCount: 2)
            }
        }
        try network.save(to: url, metadata: ["hidden_sizes": "8"])
        let loaded = try QNetwork.load(from: url, observationSize: 4, actionCount: 2)
        #expect(loaded.parameters().map(\.scalars) == network.parameters().map(\.scalars))
    }

    @Test func randomMapsAreBounded() throws {
        #expect(throws: ConfigurationError.self) { try FrozenLake.randomMap(size: 100_000, seed: 1) }
        #expect(throws: ConfigurationError.self) { try FrozenLake.randomMap(size: 1, seed: 1) }
        #expect(try FrozenLake.randomMap(size: 6, seed: 1).count == 6)
    }
}
