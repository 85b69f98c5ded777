import Foundation

/// Federated recommendation under secure aggregation: the server learns neither a user's item
/// rows nor which rows the user touched, only sums over the round's participants.
///
/// Each device masks one dense vector: for every row `r` of the item tables `cᵣ·Δᵣ` (0 for the
/// rows it did not touch), for every dense weight `n·Δ`, then the row weights `cᵣ` (one per
/// item), then `n`. From the unmasked sum the server rebuilds exactly the row-weighted mean of
/// `RowWeightedFedAvg` (each row divided by the total weight of the users that touched it). The
/// price is upload size: the vector is dense (`shared + items + 1` values of 8 bytes each), where
/// the plain update holds only the touched rows.
///
/// Wrapped in `DifferentiallyPrivateStrategy`, the device masks `[clip(Δ), 1]` instead (the
/// wrapper's secure input), which hides the touched rows as well.
extension RowWeightedFedAvg: SecureAggregationStrategy {
    public var secureAggregationProblem: String? { nil }

    /// The rows of the item tables in `layout`.
    func itemRowCount(_ layout: ParameterLayout) -> Int {
        layout.entries.first { itemTables.contains($0.name) }?.shape[0] ?? 0
    }

    public func secureInput(_ result: FitResult, global: ParameterSet) throws -> [Float] {
        let update: RecommendationUpdate
        switch read(result, global: global) {
        case .update(let read): update = read
        case .rejected(let reason): throw ParticipantUnavailable(reason)
        }
        let sparse = Self.sparseDelta(update, exampleCount: result.exampleCount, global: global, itemTables: itemTables)
        var input = [Float](repeating: 0, count: global.scalarCount + itemRowCount(global.layout) + 1)
        for (k, position) in sparse.positions.enumerated() { input[position] = sparse.weights[k] * sparse.delta[k] }
        for (k, row) in update.rows.enumerated() { input[global.scalarCount + row] = update.rowWeights[k] }
        input[input.count - 1] = Float(result.exampleCount)
        return input
    }

    public func aggregateSecureSum(
        round: Int, global: ParameterSet, sum: [Double], accepted: [String],
        failures: [ParticipantFailure], metrics: [String: Double]
    ) -> RoundAggregate {
        var metrics = metrics
        metrics["accepted"] = Double(accepted.count)
        metrics["failures"] = Double(failures.count)
        let shared = global.scalarCount
        metrics["upload_scalars_per_participant"] = Double(shared + itemRowCount(global.layout) + 1)
        guard accepted.count >= sampling.minimumResults, sum.count == shared + itemRowCount(global.layout) + 1,
            let total = sum.last, total > 0
        else {
            return RoundAggregate(parameters: nil, accepted: [], failures: failures, metrics: metrics)
        }
        var delta = [Float](repeating: 0, count: shared)
        for entry in global.layout.entries {
            if itemTables.contains(entry.name) {
                let width = entry.shape[1]
                for row in 0..<entry.shape[0] where sum[shared + row] > 0 {
                    let weight = sum[shared + row]
                    for j in 0..<width {
                        delta[entry.offset + row * width + j] = Float(sum[entry.offset + row * width + j] / weight)
                    }
                }
            } else {
                for j in 0..<entry.count { delta[entry.offset + j] = Float(sum[entry.offset + j] / total) }
            }
        }
        return RoundAggregate(
            parameters: ParameterSet(layout: global.layout, values: step(global: global.values, delta: delta)),
            accepted: accepted, failures: failures, metrics: metrics)
    }
}

extension RowWeightedFedAvg: ChangeAveragingStrategy {
    public var minimumResults: Int { sampling.minimumResults }

    /// Per-row weighting is off under DP-FedAvg: the changes are averaged with equal weights.
    public var differentiallyPrivateName: String { "DP-FedAvg (clipped, equal weights)" }

    /// The touched rows' and dense weights' change, 0 on the rows the participant did not touch.
    public func change(of result: FitResult, global: ParameterSet) throws -> [Float] {
        switch read(result, global: global) {
        case .rejected(let reason): throw ParticipantUnavailable(reason)
        case .update(let update):
            let sparse = Self.sparseDelta(update, exampleCount: 1, global: global, itemTables: itemTables)
            var change = [Float](repeating: 0, count: global.scalarCount)
            for (value, position) in zip(sparse.delta, sparse.positions) { change[position] = value }
            return change
        }
    }

    public func step(global: ParameterSet, along change: [Float]) -> [Float] {
        step(global: global.values, delta: change)
    }

    public func fitMetrics(_ accepted: [FitResult], global: ParameterSet) -> [String: Double] {
        let updates = accepted.compactMap { result -> RecommendationUpdate? in
            if case .update(let update) = read(result, global: global) { return update }
            return nil
        }
        return FederatedStrategy.weightedMetrics(accepted).merging(Self.updateMetrics(updates)) { $1 }
    }
}
