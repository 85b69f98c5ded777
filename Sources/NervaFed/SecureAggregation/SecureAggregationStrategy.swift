import Foundation

/// How a federation runs secure aggregation in each round. The round driver runs the protocol
/// with participants in the process (`FederatedSimulation`); `FederationServer` does not offer it
/// yet, because its HTTP protocol has no task kinds for the key and unmasking steps.
public struct SecureAggregationSettings: Sendable, Equatable {
    /// The share of a round's participants needed to rebuild a secret and to finish the round:
    /// the threshold is `⌊fraction·n⌋ + 1` (default 0.5: a majority), at least 2.
    public var thresholdFraction: Double
    /// The fixed-point scale of `SecureAggregation.quantize`.
    public var scale: Double

    public init(thresholdFraction: Double = 0.5, scale: Double = SecureAggregation.defaultScale) {
        precondition(
            thresholdFraction >= 0 && thresholdFraction < 1,
            "SecureAggregationSettings: threshold fraction must be in [0, 1).")
        self.thresholdFraction = thresholdFraction
        self.scale = scale
    }

    /// The threshold for a round of `participants`.
    public func threshold(participants: Int) -> Int {
        max(2, min(participants, Int((thresholdFraction * Double(participants)).rounded(.down)) + 1))
    }
}

/// A strategy that can aggregate from the sum of its participants' inputs alone, which is all
/// secure aggregation reveals.
public protocol SecureAggregationStrategy: Strategy {
    /// Why this strategy cannot aggregate securely (`nil`: it can).
    var secureAggregationProblem: String? { get }
    /// The vector a participant masks for its `result`. It runs on the participant, so it also
    /// checks the update (the server cannot look at it afterwards).
    ///
    /// - Throws: `ParticipantUnavailable` with the reason the update is unusable.
    func secureInput(_ result: FitResult, global: ParameterSet) throws -> [Float]
    /// The round's aggregate from the unmasked sum of the accepted participants' inputs.
    func aggregateSecureSum(
        round: Int, global: ParameterSet, sum: [Double], accepted: [String],
        failures: [ParticipantFailure], metrics: [String: Double]
    ) -> RoundAggregate
}

extension FederatedStrategy: SecureAggregationStrategy {
    public var secureAggregationProblem: String? {
        switch aggregation {
        case .weightedMean, .mean: nil
        default: "secure aggregation and DP-FedAvg see only the sum of the updates; \(aggregation) needs each of them"
        }
    }

    /// `[w·δ, w]`: the participant's change of the model `δ` (minus its gradient for FedSGD),
    /// weighted by `w`, its example count (1 for the plain mean), followed by `w` itself, so the
    /// server learns only the total weight, not anyone's example count.
    public func secureInput(_ result: FitResult, global: ParameterSet) throws -> [Float] {
        let delta = try change(of: result, global: global)
        let weight: Float = aggregation == .weightedMean ? Float(result.exampleCount) : 1
        return delta.map { $0 * weight } + [weight]
    }

    public func aggregateSecureSum(
        round: Int, global: ParameterSet, sum: [Double], accepted: [String],
        failures: [ParticipantFailure], metrics: [String: Double]
    ) -> RoundAggregate {
        var metrics = metrics
        metrics["accepted"] = Double(accepted.count)
        metrics["failures"] = Double(failures.count)
        guard accepted.count >= sampling.minimumResults, sum.count == global.values.count + 1, let total = sum.last,
            total > 0
        else {
            return RoundAggregate(parameters: nil, accepted: [], failures: failures, metrics: metrics)
        }
        let delta = sum.dropLast().map { Float($0 / total) }
        let values = applyServerOptimizer(global: global.values, delta: delta)
        return RoundAggregate(
            parameters: ParameterSet(layout: global.layout, values: values), accepted: accepted,
            failures: failures, metrics: metrics)
    }
}
