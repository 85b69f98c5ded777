import Foundation

/// A strategy whose round is "average the participants' changes of the model, then step the
/// server optimiser along the average" (FedAvg, FedAvgM, FedAdam, the row-weighted FedAvg of
/// recommenders): what `DifferentiallyPrivateStrategy` needs to wrap it. The strategy keeps
/// how it reads and checks an update and how the server steps; the wrapper replaces only how
/// the changes are averaged.
public protocol ChangeAveragingStrategy: SecureAggregationStrategy {
    /// A round whose usable results are fewer than this keeps the previous global model.
    var minimumResults: Int { get }
    /// Derives the per-round seeds (and the wrapper's noise).
    var seed: UInt64 { get }
    /// The participant's change of the model `Δ = x − global` (`−g` for a gradient), over
    /// `global`'s layout, with zeros where it sent nothing.
    ///
    /// - Throws: `ParticipantUnavailable` with the reason the update is unusable.
    func change(of result: FitResult, global: ParameterSet) throws -> [Float]
    /// The next global values: the server optimiser's step from `global` along `change`.
    func step(global: ParameterSet, along change: [Float]) -> [Float]
    /// The training metrics of a round's accepted results (`train_loss` weighted by examples, …).
    func fitMetrics(_ accepted: [FitResult], global: ParameterSet) -> [String: Double]
    /// The name of this strategy under DP-FedAvg (default `DP-<name>`).
    var differentiallyPrivateName: String { get }
}

extension ChangeAveragingStrategy {
    public var differentiallyPrivateName: String { "DP-\(name)" }
}

extension FederatedStrategy: ChangeAveragingStrategy {
    public var minimumResults: Int { sampling.minimumResults }

    public func change(of result: FitResult, global: ParameterSet) throws -> [Float] {
        if let reason = validation.problem(with: result, global: global, expectedKind: clientSettings.updateKind) {
            throw ParticipantUnavailable(reason)
        }
        return clientSettings.updateKind == .parameters
            ? result.update.subtracting(global).values : result.update.values.map { -$0 }
    }

    public func step(global: ParameterSet, along change: [Float]) -> [Float] {
        applyServerOptimizer(global: global.values, delta: change)
    }

    public func fitMetrics(_ accepted: [FitResult], global: ParameterSet) -> [String: Double] {
        Self.weightedMetrics(accepted)
    }
}
