import Foundation
import NervaTensor

/// Proportional prioritised experience replay (Schaul et al. 2016, https://arxiv.org/abs/1511.05952):
/// the priorities of a `ReplayBuffer`'s slots, kept in a `SumTree`, so that slot `i` is drawn with
/// probability `P(i) = p_iᵅ / Σ_k p_kᵅ`, and the importance-sampling weights
/// `w_i = (N · P(i))^−β / max_k w_k` that correct the bias this introduces.
///
/// A new transition gets the largest priority seen so far, so it is replayed at least once soon;
/// after a TD update its priority becomes `|δ| + ε`. β rises linearly from `betaStart` to 1 over
/// `betaSteps` (the paper's annealing).
///
/// ```swift
/// var replay = PrioritizedReplay(capacity: buffer.capacity, config: PrioritizedReplayConfig())
/// replay.added(slot: slot)                               // after buffer.add(...)
/// let drawn = replay.sample(batchSize: 32, count: buffer.count, step: t, generator: rng)
/// let batch = buffer.batch(at: drawn.indices)            // weight the loss with drawn.weights
/// replay.update(slots: drawn.indices, tdErrors: errors)
/// ```
public struct PrioritizedReplay: Sendable {
    /// The slots drawn for one update and their importance-sampling weights (largest 1).
    public struct Draw: Sendable {
        public var indices: [Int]
        public var weights: [Float]
    }

    /// The settings.
    public let config: PrioritizedReplayConfig
    /// `p_iᵅ` of every slot.
    public private(set) var tree: SumTree
    /// The largest priority `|δ| + ε` given so far (before the exponent α); new slots get it.
    public private(set) var maxPriority = 1.0

    public init(capacity: Int, config: PrioritizedReplayConfig) {
        if let problem = config.problem() { preconditionFailure("PrioritizedReplayConfig: \(problem)") }
        self.config = config
        tree = SumTree(capacity: capacity)
    }

    /// Gives a freshly written slot the largest priority so far.
    public mutating func added(slot: Int) {
        tree[slot] = Self.power(maxPriority, config.alpha)
    }

    /// β at environment step `step`: linear from `betaStart` to 1 over `betaSteps`.
    public func beta(at step: Int) -> Double {
        guard config.betaSteps > 0 else { return 1 }
        let fraction = Swift.min(1, Double(step) / Double(config.betaSteps))
        return config.betaStart + fraction * (1 - config.betaStart)
    }

    /// The probability of drawing `slot`.
    public func probability(ofSlot slot: Int) -> Double { tree[slot] / tree.total }

    /// Draws `batchSize` slots among the first `count` by proportional, stratified sampling: the
    /// total priority is cut into `batchSize` equal segments and one slot is drawn uniformly within
    /// each (the paper's scheme, which lowers the variance of the batch).
    public func sample(batchSize: Int, count: Int, step: Int, generator: RandomGenerator) -> Draw {
        precondition(count > 0 && tree.total > 0, "PrioritizedReplay: cannot sample from an empty buffer.")
        let total = tree.total
        let segment = total / Double(batchSize)
        let beta = beta(at: step)
        // max_k w_k belongs to the smallest priority: (N · p_min / total)^−β.
        let largestWeight = Self.power(Double(count) * tree.minimum / total, -beta)
        var draw = Draw(indices: [], weights: [])
        draw.indices.reserveCapacity(batchSize)
        draw.weights.reserveCapacity(batchSize)
        for index in 0..<batchSize {
            let u = generator.uniformDouble()
            let slot = Swift.min(tree.leaf(coveringPrefixSum: (Double(index) + u) * segment), count - 1)
            let weight = Self.power(Double(count) * tree[slot] / total, -beta) / largestWeight
            draw.indices.append(slot)
            draw.weights.append(Float(weight))
        }
        return draw
    }

    /// Sets the priorities of updated slots to `(|δ| + ε)ᵅ`.
    public mutating func update(slots: [Int], tdErrors: [Float]) {
        precondition(
            slots.count == tdErrors.count, "PrioritizedReplay: \(slots.count) slots but \(tdErrors.count) TD errors.")
        for (slot, error) in zip(slots, tdErrors) {
            let magnitude = Double(error.magnitude)
            let priority = (magnitude.isFinite ? magnitude : maxPriority) + config.epsilon
            maxPriority = Swift.max(maxPriority, priority)
            tree[slot] = Self.power(priority, config.alpha)
        }
    }

    private static func power(_ base: Double, _ exponent: Double) -> Double {
        exponent == 1 ? base : (exponent == 0 ? 1 : pow(base, exponent))
    }
}

/// Settings of prioritised replay (the paper's proportional variant; its defaults for it).
public struct PrioritizedReplayConfig: Sendable, Equatable {
    /// α: how much priorities count; 0 is uniform replay (0.6).
    public var alpha = 0.6
    /// β at the start of training; importance weights fully correct the bias at 1 (0.4).
    public var betaStart = 0.4
    /// Environment steps over which β rises to 1 (DQN sets the run's total steps when 0).
    public var betaSteps = 0
    /// ε added to |δ| so that no transition gets priority 0 (1e-6).
    public var epsilon = 1e-6

    public init(alpha: Double = 0.6, betaStart: Double = 0.4, betaSteps: Int = 0, epsilon: Double = 1e-6) {
        self.alpha = alpha
        self.betaStart = betaStart
        self.betaSteps = betaSteps
        self.epsilon = epsilon
    }

    /// A sentence naming the first bad setting, or `nil`.
    public func problem() -> String? {
        if !(0...1).contains(alpha) { return "alpha must be in [0, 1], got \(alpha)." }
        if !(0...1).contains(betaStart) { return "beta must be in [0, 1], got \(betaStart)." }
        if betaSteps < 0 { return "beta annealing steps must not be negative, got \(betaSteps)." }
        if !(epsilon > 0) { return "priority epsilon must be positive, got \(epsilon)." }
        return nil
    }
}
