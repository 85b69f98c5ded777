/// Deep Q-Learning (Mnih et al. 2015, https://www.nature.com/articles/nature14236), CleanRL's
/// `dqn.py` loop built from tested parts: ε-greedy collection, replay, TD target under
/// `withoutGradients`, Adam step, target network sync.
///
/// ```swift
/// var env = try EnvironmentRegistry.control("CartPole-v1")
/// var config = DQNConfig(); config.totalTimesteps = 100_000
/// let agent = DQN(observationSize: 4, actionCount: 2, config: config, seed: 1)
/// agent.train(on: &env) { episode in print(episode.episodeReturn) }
/// let result = evaluate(agent.greedyAction, on: &env, episodes: 100, seed: 7)
/// ```
public final class DQN {
    /// What happened at one gradient step.
    public struct UpdateSummary: Sendable {
        public var step: Int
        public var loss: Float
        public var meanQ: Float
    }

    /// The settings.
    public let config: DQNConfig
    /// The network being trained.
    public let qNetwork: QNetwork
    /// The slowly updated copy that computes TD targets.
    public let targetNetwork: QNetwork
    /// Adam over `qNetwork`'s parameters.
    public let optimizer: Adam
    /// The replay memory.
    public private(set) var buffer: ReplayBuffer
    /// Drives exploration, sampling and initialisation.
    public let generator: RandomGenerator
    /// Environment steps taken so far.
    public private(set) var globalStep = 0
    /// The best mean return of the selection evaluations so far (`config.selectionFrequency`).
    public private(set) var bestSelectionReturn: Double?
    /// The step at which the kept network was evaluated.
    public private(set) var bestSelectionStep: Int?
    private var bestParameters: [[Float]]?

    public init(observationSize: Int, actionCount: Int, config: DQNConfig = DQNConfig(), seed: UInt64) {
        if let problem = config.problem() { preconditionFailure("DQNConfig: \(problem)") }
        self.config = config
        generator = RandomGenerator(seed: seed)
        qNetwork = QNetwork(inputSize: observationSize, actionCount: actionCount, hiddenSizes: config.hiddenSizes,
                            isDueling: config.isDueling, generator: generator)
        targetNetwork = QNetwork(inputSize: observationSize, actionCount: actionCount, hiddenSizes: config.hiddenSizes,
                                 isDueling: config.isDueling, generator: generator)
        targetNetwork.update(from: qNetwork)
        optimizer = Adam(qNetwork.parameters(), learningRate: config.learningRate)
        buffer = ReplayBuffer(capacity: config.bufferSize, observationSize: observationSize)
    }

    /// The greedy action of the current Q-network.
    public func greedyAction(_ observation: [Float]) -> Int { qNetwork.greedyAction(observation) }

    /// An ε-greedy action.
    public func action(_ observation: [Float], epsilon: Double) -> Int {
        if generator.uniformDouble() < epsilon { return generator.integer(below: qNetwork.actionCount) }
        return greedyAction(observation)
    }

    /// One gradient step on a batch: `loss(Q(s, a), r + γ · (1 − terminated) · max_a′ Q_target(s′, a′))`.
    @discardableResult
    public func update(on batch: ReplayBuffer.Batch) -> UpdateSummary {
        let targets = withoutGradients { () -> Tensor in
            let nextValues: Tensor
            if config.isDouble {
                let choices = qNetwork(batch.nextObservations).argmax(alongAxis: 1).scalars.map { Int($0) }
                nextValues = Self.select(targetNetwork(batch.nextObservations), actions: choices)
            } else {
                nextValues = targetNetwork(batch.nextObservations).max(alongAxis: 1)
            }
            return batch.rewards + config.discount * nextValues * (1 - batch.terminations)
        }
        let predicted = Self.select(qNetwork(batch.observations), actions: batch.actions)
        let loss: Tensor
        switch config.loss {
        case .mse: loss = mseLoss(predictions: predicted, targets: targets)
        case let .huber(delta): loss = huberLoss(predictions: predicted, targets: targets, delta: delta)
        }
        optimizer.zeroGradients()
        loss.backward()
        if let maxNorm = config.maxGradientNorm { _ = clipGradientNorm(qNetwork.parameters(), maxNorm: maxNorm) }
        optimizer.step()
        return UpdateSummary(step: globalStep, loss: loss.scalar, meanQ: predicted.mean().scalar)
    }

    /// `values[i, actions[i]]` for each row, differentiable: `[batch, actions] → [batch]`.
    static func select(_ values: Tensor, actions: [Int]) -> Tensor {
        let count = values.shape[1]
        return values.reshaped([values.shape[0] * count, 1])
            .gathering(rows: actions.enumerated().map { $0.offset * count + $0.element })
            .reshaped([actions.count])
    }

    /// Trains for `config.totalTimesteps` steps from now (CleanRL's loop).
    ///
    /// - Parameters:
    ///   - seed: Seeds the environment at the first reset.
    ///   - onEpisode: Called when an episode ends, with its summary.
    ///   - onUpdate: Called after each gradient step.
    public func train<E: Environment>(on environment: inout E, seed: UInt64 = 0, steps: Int? = nil,
                                      onEpisode: (EpisodeSummary) -> Void = { _ in },
                                      onUpdate: (UpdateSummary) -> Void = { _ in })
    where E.Observation == [Float], E.Action == Int {
        let schedule = config.epsilon
        var observation = environment.reset(seed: globalStep == 0 ? seed : nil)
        var episodeReturn = 0.0, episodeLength = 0, episodes = 0
        let end = globalStep + (steps ?? config.totalTimesteps)
        while globalStep < end {
            let epsilon = schedule.value(at: globalStep)
            let action = self.action(observation, epsilon: epsilon)
            let step = environment.step(action)
            episodeReturn += step.reward
            episodeLength += 1
            // The final observation of a truncated episode is kept: its value is bootstrapped.
            buffer.add(observation: observation, action: action, reward: Float(step.reward),
                       nextObservation: step.observation, isTerminated: step.isTerminated)
            if step.isDone {
                onEpisode(EpisodeSummary(episode: episodes, episodeReturn: episodeReturn, length: episodeLength,
                                         isTerminated: step.isTerminated, epsilon: epsilon, totalSteps: globalStep + 1))
                episodes += 1
                episodeReturn = 0
                episodeLength = 0
                observation = environment.reset()
            } else {
                observation = step.observation
            }
            if globalStep > config.learningStarts {
                if globalStep % config.trainFrequency == 0 {
                    onUpdate(update(on: buffer.sample(batchSize: config.batchSize, generator: generator)))
                }
                if globalStep % config.targetNetworkFrequency == 0 {
                    targetNetwork.update(from: qNetwork, tau: config.tau)
                }
                if let frequency = config.selectionFrequency, globalStep % frequency == 0 {
                    selectBest(on: environment, seed: seed &+ UInt64(globalStep))
                }
            }
            globalStep += 1
        }
        if config.selectionFrequency != nil {
            selectBest(on: environment, seed: seed &+ UInt64(globalStep))
            restoreBest()
        }
    }

    /// Evaluates the greedy policy on a copy of `environment` and remembers the network if it is
    /// the best so far.
    private func selectBest<E: Environment>(on environment: E, seed: UInt64) where E.Observation == [Float], E.Action == Int {
        var copy = environment
        let meanReturn = evaluate(greedyAction, on: &copy, episodes: config.selectionEpisodes, seed: seed).meanReturn
        if bestSelectionReturn.map({ meanReturn >= $0 }) ?? true {
            bestSelectionReturn = meanReturn
            bestSelectionStep = globalStep
            bestParameters = qNetwork.parameters().map(\.scalars)
        }
    }

    /// Puts the kept network back into `qNetwork` and `targetNetwork`.
    private func restoreBest() {
        guard let bestParameters else { return }
        for (parameter, values) in zip(qNetwork.parameters(), bestParameters) {
            parameter.withUnsafeMutableBufferPointer { buffer in for i in buffer.indices { buffer[i] = values[i] } }
        }
        targetNetwork.update(from: qNetwork)
    }
}
