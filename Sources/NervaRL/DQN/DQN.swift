/// Deep Q-Learning (Mnih et al. 2015, https://www.nature.com/articles/nature14236), CleanRL's
/// `dqn.py` loop built from tested parts: ε-greedy collection, replay (uniform or prioritised),
/// TD target under `withoutGradients`, Adam step, target network sync.
///
/// ```swift
/// var env = try EnvironmentRegistry.control("CartPole-v1")
/// var config = DQNConfig(); config.totalTimesteps = 100_000
/// let agent = DQN(observationSize: 4, actionCount: 2, config: config, seed: 1)
/// try agent.train(on: &env) { episode in print(episode.episodeReturn) }
/// let result = evaluate(agent.greedyAction, on: &env, episodes: 100, seed: 7)
/// ```
public final class DQN {
    /// What happened at one gradient step.
    public struct UpdateSummary: Sendable {
        public var step: Int
        public var loss: Float
        public var meanQ: Float
        /// `Q(s, a) − target` of each transition of the batch (new priorities under prioritised replay).
        public var tdErrors: [Float]
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
    public internal(set) var buffer: ReplayBuffer
    /// The priorities of the replay memory's slots when `config.prioritizedReplay` is set.
    public internal(set) var priorities: PrioritizedReplay?
    /// Drives exploration, sampling and initialisation.
    public let generator: RandomGenerator
    /// Environment steps taken so far.
    public internal(set) var globalStep = 0
    /// The best mean return of the selection evaluations so far (`config.selectionFrequency`).
    public internal(set) var bestSelectionReturn: Double?
    /// The step at which the kept network was evaluated.
    public internal(set) var bestSelectionStep: Int?
    /// Environment steps spent in selection evaluations (greedy episodes on the selection
    /// environment, not counted in `globalStep`: they train nothing).
    public internal(set) var selectionSteps = 0
    var bestParameters: [[Float]]?

    public init(observationSize: Int, actionCount: Int, config: DQNConfig = DQNConfig(), seed: UInt64) {
        if let problem = config.problem() { preconditionFailure("DQNConfig: \(problem)") }
        self.config = config
        generator = RandomGenerator(seed: seed)
        qNetwork = QNetwork(
            inputSize: observationSize, actionCount: actionCount, hiddenSizes: config.hiddenSizes,
            isDueling: config.isDueling, generator: generator)
        targetNetwork = QNetwork(
            inputSize: observationSize, actionCount: actionCount, hiddenSizes: config.hiddenSizes,
            isDueling: config.isDueling, generator: generator)
        targetNetwork.update(from: qNetwork)
        optimizer = Adam(qNetwork.parameters(), learningRate: config.learningRate)
        buffer = ReplayBuffer(capacity: config.bufferSize, observationSize: observationSize)
        if var prioritized = config.prioritizedReplay {
            if prioritized.betaSteps == 0 { prioritized.betaSteps = config.totalTimesteps }
            priorities = PrioritizedReplay(capacity: config.bufferSize, config: prioritized)
        }
    }

    /// The greedy action of the current Q-network.
    public func greedyAction(_ observation: [Float]) -> Int { qNetwork.greedyAction(observation) }

    /// An ε-greedy action.
    public func action(_ observation: [Float], epsilon: Double) -> Int {
        if generator.uniformDouble() < epsilon { return generator.integer(below: qNetwork.actionCount) }
        return greedyAction(observation)
    }

    /// One gradient step on a batch: `loss(Q(s, a), r + γ · (1 − terminated) · max_a′ Q_target(s′, a′))`,
    /// each transition's loss multiplied by its importance weight when `weights` are given.
    @discardableResult
    public func update(on batch: ReplayBuffer.Batch, weights: [Float]? = nil) -> UpdateSummary {
        precondition(weights.map { $0.count == batch.actions.count } ?? true, "DQN.update: one weight per transition.")
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
        let reduction: LossReduction = weights == nil ? .mean : .none
        var loss: Tensor
        switch config.loss {
        case .mse: loss = mseLoss(predictions: predicted, targets: targets, reduction: reduction)
        case let .huber(delta):
            loss = huberLoss(predictions: predicted, targets: targets, delta: delta, reduction: reduction)
        }
        if let weights { loss = (loss * Tensor(weights)).mean() }
        optimizer.zeroGradients()
        loss.backward()
        if let maxNorm = config.maxGradientNorm { _ = clipGradientNorm(qNetwork.parameters(), maxNorm: maxNorm) }
        optimizer.step()
        let predictedValues = predicted.scalars, targetValues = targets.scalars
        let errors = zip(predictedValues, targetValues).map { $0 - $1 }
        return UpdateSummary(
            step: globalStep, loss: loss.scalar,
            meanQ: predictedValues.reduce(0, +) / Float(Swift.max(1, predictedValues.count)), tdErrors: errors)
    }

    /// One gradient step on a batch drawn from the replay memory (prioritised when configured),
    /// with the new priorities written back.
    @discardableResult
    public func updateFromReplay() -> UpdateSummary {
        guard var replay = priorities else {
            return update(on: buffer.sample(batchSize: config.batchSize, generator: generator))
        }
        let draw = replay.sample(
            batchSize: config.batchSize, count: buffer.count, step: globalStep, generator: generator)
        let summary = update(on: buffer.batch(at: draw.indices), weights: draw.weights)
        replay.update(slots: draw.indices, tdErrors: summary.tdErrors)
        priorities = replay
        return summary
    }

    /// `values[i, actions[i]]` for each row, differentiable: `[batch, actions] → [batch]`.
    static func select(_ values: Tensor, actions: [Int]) -> Tensor {
        let count = values.shape[1]
        return values.reshaped([values.shape[0] * count, 1])
            .gathering(rows: actions.enumerated().map { $0.offset * count + $0.element })
            .reshaped([actions.count])
    }
}
