import Foundation

/// How a federation runs secure aggregation in each round: with participants in the process
/// (`FederatedSimulation`) or over HTTP (`FederationServer`, whose clients get one task per
/// step). Each participant masks with its neighbours in a SecAgg+ graph
/// (`SecureAggregationGraph`) of degree `2·⌈log₂ n⌉` (all pairs for small rounds), and the
/// threshold applies to each neighbourhood.
public struct SecureAggregationSettings: Sendable, Equatable {
    /// The share of a neighbourhood (a participant and its neighbours) needed to rebuild a
    /// secret: the threshold is `⌊fraction·m⌋ + 1` for neighbourhoods of `m` (default 0.5: a
    /// majority), at least 2.
    public var thresholdFraction: Double
    /// The fixed-point scale of `SecureAggregation.quantize`.
    public var scale: Double
    /// Neighbours per participant for a round of `n` (`nil`: `SecureAggregationGraph.logarithmicDegree`;
    /// `n − 1` or more: all pairs).
    public var degree: Int?

    /// - Parameters:
    ///   - thresholdFraction: the share of a neighbourhood needed to rebuild a secret, in [0, 1).
    ///   - scale: the fixed-point scale.
    ///   - degree: neighbours per participant (`nil`: logarithmic in the round's size).
    public init(thresholdFraction: Double = 0.5, scale: Double = SecureAggregation.defaultScale, degree: Int? = nil) {
        precondition(
            thresholdFraction >= 0 && thresholdFraction < 1,
            "SecureAggregationSettings: threshold fraction must be in [0, 1).")
        self.thresholdFraction = thresholdFraction
        self.scale = scale
        self.degree = degree
    }

    /// The threshold for a neighbourhood of `participants`.
    ///
    /// - Parameter participants: the neighbourhood's size (the round's size for all pairs).
    public func threshold(participants: Int) -> Int {
        max(2, min(participants, Int((thresholdFraction * Double(participants)).rounded(.down)) + 1))
    }

    /// The neighbour graph of a round of `participants`, its ring shuffled by `seed`.
    ///
    /// - Parameters:
    ///   - participants: the round's participants.
    ///   - seed: the seed of the ring.
    public func graph(participants: Int, seed: UInt64) throws -> SecureAggregationGraph {
        let wanted = degree ?? SecureAggregationGraph.logarithmicDegree(participants: participants)
        return try SecureAggregationGraph(
            participants: participants, degree: min(max(wanted, 1), max(participants - 1, 1)), seed: seed)
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
    /// The same input as a rule a client that does not know the strategy can follow
    /// (`nerva fed client`); `nil` when the strategy has none, so only participants that know it
    /// can take part over HTTP.
    var secureInputRule: SecureInputRule? { get }
    /// The round's aggregate from the unmasked sum of the accepted participants' inputs.
    func aggregateSecureSum(
        round: Int, global: ParameterSet, sum: [Double], accepted: [String],
        failures: [ParticipantFailure], metrics: [String: Double]
    ) -> RoundAggregate
}

extension SecureAggregationStrategy {
    public var secureInputRule: SecureInputRule? { nil }
}

extension FederatedStrategy: SecureAggregationStrategy {
    public var secureInputRule: SecureInputRule? {
        secureAggregationProblem == nil
            ? SecureInputRule(
                weighting: aggregation == .weightedMean ? .examples : .one, updateKind: clientSettings.updateKind)
            : nil
    }

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
