/// Experience replay (Lin 1992; Mnih et al. 2015): a fixed-capacity ring of transitions that
/// overwrites the oldest once full, sampled uniformly with replacement (as Stable-Baselines3's
/// `ReplayBuffer`, which CleanRL uses).
///
/// Transitions are stored in flat Float32 arrays, so sampling a batch copies rows into tensors
/// without per-transition allocation.
public struct ReplayBuffer {
    /// A sampled batch, ready for a TD update.
    public struct Batch {
        /// `[batch, observationSize]`.
        public let observations: Tensor
        /// The action of each transition.
        public let actions: [Int]
        /// `[batch]`.
        public let rewards: Tensor
        /// `[batch, observationSize]`: the observation after the action (the final one on truncation).
        public let nextObservations: Tensor
        /// `[batch]`: 1 where the episode terminated (no bootstrapping), 0 otherwise.
        public let terminations: Tensor
        /// The buffer slots sampled.
        public let indices: [Int]
    }

    /// The maximal number of transitions kept.
    public let capacity: Int
    /// The length of one observation.
    public let observationSize: Int
    /// The number of transitions stored (at most `capacity`).
    public private(set) var count = 0
    /// The slot the next transition is written to.
    public private(set) var position = 0
    private var observations: [Float]
    private var nextObservations: [Float]
    private var actions: [Int]
    private var rewards: [Float]
    private var terminations: [Float]

    public init(capacity: Int, observationSize: Int) {
        precondition(
            capacity > 0 && observationSize > 0, "ReplayBuffer: capacity and observation size must be positive.")
        self.capacity = capacity
        self.observationSize = observationSize
        observations = [Float](repeating: 0, count: capacity * observationSize)
        nextObservations = observations
        actions = [Int](repeating: 0, count: capacity)
        rewards = [Float](repeating: 0, count: capacity)
        terminations = rewards
    }

    /// Stores one transition, overwriting the oldest when full.
    public mutating func add(
        observation: [Float], action: Int, reward: Float, nextObservation: [Float], isTerminated: Bool
    ) {
        precondition(
            observation.count == observationSize && nextObservation.count == observationSize,
            "ReplayBuffer: observations must have \(observationSize) values.")
        let base = position * observationSize
        observations.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<observationSize { buffer[base + i] = observation[i] }
        }
        nextObservations.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<observationSize { buffer[base + i] = nextObservation[i] }
        }
        actions[position] = action
        rewards[position] = reward
        terminations[position] = isTerminated ? 1 : 0
        position = (position + 1) % capacity
        count = Swift.min(count + 1, capacity)
    }

    /// The transition in `slot`, for inspection and tests.
    public func transition(at slot: Int) -> (
        observation: [Float], action: Int, reward: Float, nextObservation: [Float], isTerminated: Bool
    ) {
        precondition(slot < count, "ReplayBuffer: slot \(slot) is empty (\(count) stored).")
        let range = slot * observationSize..<(slot + 1) * observationSize
        return (
            Array(observations[range]), actions[slot], rewards[slot], Array(nextObservations[range]),
            terminations[slot] == 1
        )
    }

    /// `batchSize` transitions drawn uniformly with replacement.
    public func sample(batchSize: Int, generator: RandomGenerator) -> Batch {
        precondition(count > 0, "ReplayBuffer: cannot sample from an empty buffer.")
        let indices = (0..<batchSize).map { _ in generator.integer(below: count) }
        return batch(at: indices)
    }

    /// The transitions in the given slots as a batch.
    public func batch(at indices: [Int]) -> Batch {
        let size = observationSize
        func rows(_ source: [Float]) -> Tensor {
            let tensor = Tensor.zeros([indices.count, size])
            tensor.withUnsafeMutableBufferPointer { destination in
                source.withUnsafeBufferPointer { source in
                    for (row, slot) in indices.enumerated() {
                        for i in 0..<size { destination[row * size + i] = source[slot * size + i] }
                    }
                }
            }
            return tensor
        }
        return Batch(
            observations: rows(observations), actions: indices.map { actions[$0] },
            rewards: Tensor(indices.map { rewards[$0] }), nextObservations: rows(nextObservations),
            terminations: Tensor(indices.map { terminations[$0] }), indices: indices)
    }
}
