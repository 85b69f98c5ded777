import Foundation
import NervaTensor

/// DP-FedAvg around another strategy (McMahan et al. 2018, https://arxiv.org/abs/1710.06963;
/// Flower's `DifferentialPrivacyServerSideFixedClipping(strategy, noise_multiplier,
/// clipping_norm, num_sampled_clients)`): each participant's change `Δᵢ` is clipped to norm
/// `S`, the `m` clipped changes are averaged with equal weights, Gaussian noise `N(0, (z·S/m)²)`
/// is added to every coordinate, and the wrapped strategy's server optimiser steps along the
/// result. The wrapped strategy keeps its sampling, its checks of updates, its evaluation and
/// its server state; its own weighting (example counts, per-row counts) is off, since it would
/// let one participant move the mean by more than `S/m`.
///
/// Under secure aggregation each participant clips on its device and masks `[clip(Δᵢ), 1]`; the
/// server divides the unmasked sum by `m` and adds the noise, as without masking.
///
/// ```swift
/// let fedAvg = FederatedStrategy.fedAvg(clientSettings: FitConfiguration(round: 0), seed: 7)
/// let private = try DifferentiallyPrivateStrategy(
///     wrapping: fedAvg, privacy: DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 1))
/// ```
public final class DifferentiallyPrivateStrategy: SecureAggregationStrategy {
    /// The strategy whose changes are clipped, averaged and noised.
    public let base: any ChangeAveragingStrategy
    /// `S` and `z`.
    public let privacy: DifferentialPrivacy
    public var name: String { base.differentiallyPrivateName }

    /// - Throws: `FederatedError.invalidConfiguration` when `base` cannot aggregate from a sum
    ///   of changes (a robust rule such as the median or Krum needs each update).
    public init(wrapping base: any ChangeAveragingStrategy, privacy: DifferentialPrivacy) throws {
        if let problem = base.secureAggregationProblem {
            throw FederatedError.invalidConfiguration("\(base.name) cannot be made differentially private: \(problem)")
        }
        self.base = base
        self.privacy = privacy
    }

    public var secureAggregationProblem: String? { nil }

    // MARK: - Round phases

    public func configureFit(
        round: Int, available: [String], generator: RandomGenerator
    ) throws
        -> [(participant: String, configuration: FitConfiguration)]
    {
        try base.configureFit(round: round, available: available, generator: generator)
    }

    public func aggregateFit(
        round: Int, global: ParameterSet, results: [(participant: String, result: FitResult)],
        failures: [ParticipantFailure]
    ) -> RoundAggregate {
        var failures = failures
        var accepted: [(participant: String, result: FitResult, change: [Float])] = []
        for (participant, result) in results {
            do {
                accepted.append((participant, result, try base.change(of: result, global: global)))
            } catch let unavailable as ParticipantUnavailable {
                failures.append(ParticipantFailure(participant: participant, reason: unavailable.reason))
            } catch {
                failures.append(ParticipantFailure(participant: participant, reason: .error("\(error)")))
            }
        }
        var metrics = base.fitMetrics(accepted.map(\.result), global: global)
        metrics["accepted"] = Double(accepted.count)
        metrics["failures"] = Double(failures.count)
        guard accepted.count >= base.minimumResults, !accepted.isEmpty else {
            return RoundAggregate(parameters: nil, accepted: [], failures: failures, metrics: metrics)
        }
        let mean = privacy.privateMean(of: accepted.map(\.change), generator: noiseGenerator(round: round))
        metrics["noise_standard_deviation"] = privacy.noiseStandardDeviation(participants: accepted.count)
        return RoundAggregate(
            parameters: ParameterSet(layout: global.layout, values: base.step(global: global, along: mean)),
            accepted: accepted.map(\.participant), failures: failures, metrics: metrics)
    }

    public func configureEvaluate(
        round: Int, available: [String], generator: RandomGenerator
    )
        -> [(participant: String, configuration: EvaluateConfiguration)]
    {
        base.configureEvaluate(round: round, available: available, generator: generator)
    }

    public func aggregateEvaluate(
        round: Int, results: [(participant: String, result: ParticipantEvaluation)],
        failures: [ParticipantFailure]
    ) -> EvaluationSummary? {
        base.aggregateEvaluate(round: round, results: results, failures: failures)
    }

    public var serverState: [String: [Float]] { base.serverState }

    public func restoreServerState(_ state: [String: [Float]]) { base.restoreServerState(state) }

    // MARK: - Secure aggregation

    /// FedAvg's rule with weight 1 and `privacy`'s clipping, when the base has a rule.
    public var secureInputRule: SecureInputRule? {
        base.secureInputRule.map {
            SecureInputRule(weighting: .one, updateKind: $0.updateKind, clippingNorm: privacy.clippingNorm)
        }
    }

    /// `[clip(Δ), 1]`: the participant's clipped change and its weight 1.
    public func secureInput(_ result: FitResult, global: ParameterSet) throws -> [Float] {
        var change = try base.change(of: result, global: global)
        privacy.clip(&change)
        return change + [1]
    }

    public func aggregateSecureSum(
        round: Int, global: ParameterSet, sum: [Double], accepted: [String],
        failures: [ParticipantFailure], metrics: [String: Double]
    ) -> RoundAggregate {
        var metrics = metrics
        metrics["accepted"] = Double(accepted.count)
        metrics["failures"] = Double(failures.count)
        metrics["upload_scalars_per_participant"] = Double(global.scalarCount + 1)
        guard accepted.count >= base.minimumResults, sum.count == global.scalarCount + 1, let total = sum.last,
            total > 0
        else {
            return RoundAggregate(parameters: nil, accepted: [], failures: failures, metrics: metrics)
        }
        var mean = sum.dropLast().map { Float($0 / total) }
        privacy.addNoise(to: &mean, participants: accepted.count, generator: noiseGenerator(round: round))
        metrics["noise_standard_deviation"] = privacy.noiseStandardDeviation(participants: accepted.count)
        return RoundAggregate(
            parameters: ParameterSet(layout: global.layout, values: base.step(global: global, along: mean)),
            accepted: accepted, failures: failures, metrics: metrics)
    }

    /// The server's noise for `round`: it depends only on the base's seed and the round.
    private func noiseGenerator(round: Int) -> RandomGenerator {
        RandomGenerator(seed: FederatedStrategy.seed(base.seed, round: round, participant: "server-noise"))
    }
}
