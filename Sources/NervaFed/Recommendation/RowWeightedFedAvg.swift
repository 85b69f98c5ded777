import Foundation
import Synchronization

/// FedAvg for models with embedding tables whose rows only some participants train (FedNCF,
/// Perifanis & Efraimidis 2022): participants send the rows they touched (`RecommendationUpdate`).
///
/// - Item rows: each touched row becomes the mean of the participants' versions of it, weighted
///   by the number of their local examples that touched it; rows nobody touched keep the global
///   value.
/// - Dense weights: FedAvg's example-weighted mean.
///
/// Wrapped in `DifferentiallyPrivateStrategy` (DP-FedAvg, McMahan et al. 2018) each
/// participant's whole change `Δᵢ` (touched rows and dense weights, minus the global values, 0
/// elsewhere) is clipped to norm `S`, the clipped changes are averaged with equal weights over
/// the `m` participants, and Gaussian noise `N(0, (z·S/m)²)` is added to every shared coordinate —
/// every row of the item tables included, touched or not, since which rows a participant touched
/// is itself private. Per-row weighting is off then: a row touched by one participant would carry
/// its update undiluted, and the mechanism's sensitivity would no longer be `S/m`.
public final class RowWeightedFedAvg: Strategy {
    public let name: String
    /// Participant selection.
    public let sampling: ClientSampling
    /// The local training settings (round and seed are filled in per participant).
    public let clientSettings: FitConfiguration
    /// The names of the item tables in the global layout.
    public let itemTables: Set<String>
    /// The share of participants asked to evaluate after each round (1: everybody).
    public let evaluationFraction: Double
    /// Updates claiming more examples than this are rejected (`nil`: no limit).
    public let maximumExampleCount: Int?
    /// Derives the participants' per-round seeds and the noise.
    public let seed: UInt64
    /// How the averaged update moves the shared model (`.average()`: plain FedAvg; FedAvgM and
    /// FedAdam apply to the row-weighted average as to any other).
    public let serverOptimizer: ServerOptimizer
    /// The participants' learning rate is `clientSettings.learningRate · decay^(round − 1)`: local
    /// steps shrink as the shared model settles (1: constant).
    public let learningRateDecay: Float
    private let optimizerState = Mutex(ServerOptimizerState())

    public init(
        model: FederatedNCFModel, sampling: ClientSampling = ClientSampling(), clientSettings: FitConfiguration,
        evaluationFraction: Double = 1, maximumExampleCount: Int? = nil,
        serverOptimizer: ServerOptimizer = .average(), learningRateDecay: Float = 1, seed: UInt64 = 0
    ) {
        precondition(
            learningRateDecay > 0 && learningRateDecay <= 1, "RowWeightedFedAvg: learning-rate decay must be in (0, 1]."
        )
        precondition(
            evaluationFraction >= 0 && evaluationFraction <= 1,
            "RowWeightedFedAvg: evaluation fraction must be in [0, 1].")
        let tables = NCFTables(model.makeNetwork(users: 1, seed: 0))
        let itemWeights = Set(tables.item.map { ObjectIdentifier($0.weight) })
        itemTables = Set(
            tables.sharedTensors().filter { itemWeights.contains(ObjectIdentifier($0.tensor)) }.map(\.name))
        name = "FedAvg (per-row item weighting)"
        self.sampling = sampling
        self.clientSettings = clientSettings
        self.evaluationFraction = evaluationFraction
        self.maximumExampleCount = maximumExampleCount
        self.seed = seed
        self.serverOptimizer = serverOptimizer
        self.learningRateDecay = learningRateDecay
    }

    public func configureFit(round: Int, available: [String], generator: RandomGenerator) throws
        -> [(participant: String, configuration: FitConfiguration)]
    {
        try sampling.sample(available, generator: generator).map { participant in
            var settings = clientSettings.forRound(round, participant: participant, strategySeed: seed)
            settings.learningRate = clientSettings.learningRate * pow(learningRateDecay, Float(round - 1))
            return (participant, settings)
        }
    }

    public func aggregateFit(
        round: Int, global: ParameterSet, results: [(participant: String, result: FitResult)],
        failures: [ParticipantFailure]
    ) -> RoundAggregate {
        var failures = failures
        var accepted: [(participant: String, result: FitResult, update: RecommendationUpdate)] = []
        for (participant, result) in results {
            switch read(result, global: global) {
            case .update(let update): accepted.append((participant, result, update))
            case .rejected(let reason): failures.append(ParticipantFailure(participant: participant, reason: reason))
            }
        }
        var metrics = FederatedStrategy.weightedMetrics(accepted.map(\.result))
            .merging(Self.updateMetrics(accepted.map(\.update))) { $1 }
        metrics["accepted"] = Double(accepted.count)
        metrics["failures"] = Double(failures.count)
        guard accepted.count >= sampling.minimumResults, !accepted.isEmpty else {
            return RoundAggregate(parameters: nil, accepted: [], failures: failures, metrics: metrics)
        }
        var values = Self.rowWeightedAverage(
            accepted.map(\.update), exampleCounts: accepted.map(\.result.exampleCount),
            global: global, itemTables: itemTables)
        if serverOptimizer != .average() {
            values = step(global: global.values, delta: zip(values, global.values).map { $0 - $1 })
        }
        return RoundAggregate(
            parameters: ParameterSet(layout: global.layout, values: values), accepted: accepted.map(\.participant),
            failures: failures, metrics: metrics)
    }

    /// The mean number of item rows and of scalars per update (empty for no updates).
    static func updateMetrics(_ updates: [RecommendationUpdate]) -> [String: Double] {
        guard !updates.isEmpty else { return [:] }
        return [
            "rows_per_update": Double(updates.reduce(0) { $0 + $1.rows.count }) / Double(updates.count),
            "upload_scalars_per_participant": Double(updates.reduce(0) { $0 + $1.parameters.scalarCount })
                / Double(updates.count)
        ]
    }

    /// Checks one fit result: its kind, its example count and its layout (`RecommendationUpdate.read`).
    func read(_ result: FitResult, global: ParameterSet) -> RecommendationUpdate.Reading {
        if result.kind != .parameters { return .rejected(.wrongKind(expected: .parameters, actual: result.kind)) }
        if result.exampleCount <= 0 || result.exampleCount > (maximumExampleCount ?? .max) {
            return .rejected(.invalidExampleCount(result.exampleCount))
        }
        return RecommendationUpdate.read(result.update, global: global.layout, itemTables: itemTables)
    }

    /// The new global values: the server optimiser's step along the averaged change `delta`.
    func step(global: [Float], delta: [Float]) -> [Float] {
        optimizerState.withLock { $0.apply(serverOptimizer, global: global, delta: delta) }
    }

    public var serverState: [String: [Float]] { optimizerState.withLock { $0.tensors } }

    public func restoreServerState(_ saved: [String: [Float]]) {
        optimizerState.withLock { $0 = ServerOptimizerState(tensors: saved) }
    }

    public func configureEvaluate(round: Int, available: [String], generator: RandomGenerator)
        -> [(participant: String, configuration: EvaluateConfiguration)]
    {
        guard evaluationFraction > 0, !available.isEmpty else { return [] }
        if evaluationFraction >= 1 { return available.map { ($0, EvaluateConfiguration(round: round)) } }
        let count = max(1, Int(evaluationFraction * Double(available.count) + 1e-9))
        let chosen = Set(generator.sample(min(count, available.count), from: available.count))
        return available.indices.filter(chosen.contains).map { (available[$0], EvaluateConfiguration(round: round)) }
    }

    public func aggregateEvaluate(
        round: Int, results: [(participant: String, result: ParticipantEvaluation)],
        failures: [ParticipantFailure]
    ) -> EvaluationSummary? {
        EvaluationSummary(combining: results.map(\.result))
    }
}
