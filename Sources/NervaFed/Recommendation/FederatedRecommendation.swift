import Foundation
import NervaRec

/// A federated recommender built from an interaction split: one `RecommendationParticipant` per
/// user (its training interactions, its held-out item with the NCF protocol's 99 sampled
/// negatives, its own user embedding), the initial shared parameters, and a `FederatedSimulation`
/// that trains them with `RowWeightedFedAvg`.
///
/// ```swift
/// let federation = FederatedRecommendation(split: split, model: .init(architecture: .neumf, itemCount: split.train.itemCount), seed: 0)
/// let strategy = RowWeightedFedAvg(model: federation.model, sampling: ClientSampling(fraction: 0.1),
///                                  clientSettings: FitConfiguration(round: 0, localEpochs: 2, batchSize: 64, learningRate: 0.01))
/// let reports = try federation.simulation(strategy: strategy, seed: 0).run(rounds: 50)
/// // reports.last!.federatedEvaluation!.metrics["hit_rate@10"]
/// ```
public struct FederatedRecommendation: Sendable {
    /// The architecture.
    public let model: FederatedNCFModel
    /// One participant per user with training interactions, in user order.
    public let participants: [RecommendationParticipant]
    /// The evaluation cases the participants hold (the same as the centralised NCF evaluation).
    public let evaluation: SampledRankingEvaluation
    /// Initialises the shared parameters and the participants' user embeddings.
    public let seed: UInt64

    /// - Parameters:
    ///   - split: a leave-one-out split (the test row of each user is held out on its device).
    ///   - model: the architecture shared by the participants.
    ///   - seed: initialises the shared parameters and the participants' user embeddings.
    ///   - negativeCount: sampled negatives per held-out item (99 in the NCF protocol).
    ///   - cutoff: the rank cutoff of HR and NDCG.
    public init(
        split: InteractionSplit, model: FederatedNCFModel, seed: UInt64, negativeCount: Int = 99, cutoff: Int = 10
    ) {
        precondition(
            model.itemCount == split.train.itemCount,
            "FederatedRecommendation: the model has \(model.itemCount) items, the data \(split.train.itemCount).")
        self.model = model
        self.seed = seed
        evaluation = SampledRankingEvaluation(split: split, negativeCount: negativeCount, seed: seed)
        let cases = Dictionary(
            evaluation.cases.map { ($0.user, (item: $0.item, negatives: $0.negatives)) },
            uniquingKeysWith: { a, _ in a })
        var itemsByUser = Array(repeating: [Int](), count: split.train.userCount)
        for (user, item) in zip(split.train.userIndices, split.train.itemIndices) {
            itemsByUser[Int(user)].append(Int(item))
        }
        let pool = NCFWorkspacePool(model: model)
        participants = itemsByUser.indices.filter { !itemsByUser[$0].isEmpty }.map { user in
            RecommendationParticipant(
                id: String(format: "participant-%06d", user), positives: itemsByUser[user],
                evaluationCase: cases[user], workspaces: pool,
                seed: FederatedStrategy.seed(seed, round: 0, participant: "user-embedding-\(user)"), cutoff: cutoff)
        }
    }

    /// The in-process federation: `FederatedSimulation`'s round loop over the participants
    /// (through the wire format when `overWire`, to prove only bytes cross the boundary; under
    /// secure aggregation when `secureAggregation` is set, see `RowWeightedFedAvg`).
    public func simulation(
        strategy: any Strategy, seed: UInt64, concurrency: Int? = nil, overWire: Bool = false,
        secureAggregation: SecureAggregationSettings? = nil,
        wrap: (any FederatedParticipant) -> any FederatedParticipant = { $0 }
    ) throws -> FederatedSimulation {
        let members: [any FederatedParticipant] = participants.map { participant in
            wrap(overWire ? WireParticipant(participant) : participant)
        }
        return try FederatedSimulation(
            model: FederatedNCFModel.protocolDescription, participants: members, strategy: strategy,
            seed: seed, concurrency: concurrency, initialParameters: model.initialParameters(seed: self.seed),
            secureAggregation: secureAggregation)
    }
}
