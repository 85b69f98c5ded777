import Foundation
import NervaRec

/// One user of a federated recommender, on its own device: it keeps its interactions, its
/// held-out evaluation item and its user embedding, and answers the server's requests.
///
/// `fit` trains the NCF model locally for `E` epochs over the user's positives, each paired
/// with `negatives` items sampled from those it never interacted with (seeded by the round's
/// seed), with Adam as in NCF, and sends back only the shared weights it changed: the touched
/// item rows with their example counts (`RecommendationUpdate`) and the dense weights. The
/// user embedding is trained too and stays here. With FedProx's `μ > 0` (`proximalMu`) each step
/// adds the gradient of `μ/2·‖w − w_global‖²` over the shared weights it trains (the touched item
/// rows and the dense weights; the private user embedding has no global value).
///
/// With `model.refitEpochs` > 0 the device first fits its user embedding alone to the shared
/// weights it received (those held fixed), then trains as above: after every aggregation the
/// item rows are averages over many users, and a user row fitted to the device's own version of
/// them no longer matches (FCF's user step, Ammad-ud-din et al. 2019).
///
/// `evaluate` ranks the held-out item among its 99 sampled negatives (the NCF protocol) with
/// the global weights and the private user embedding (refitted on a copy first, with the last
/// training's learning rate, when `refitEpochs` > 0), and sends back HR@K and NDCG@K only.
public final class RecommendationParticipant: FederatedParticipant, @unchecked Sendable {
    public let id: String
    /// The architecture and the scratch models this participant borrows.
    public let workspaces: NCFWorkspacePool
    /// The items this user interacted with (its training positives), ascending.
    let positives: [Int]
    /// The held-out item and its negatives, for `evaluate`.
    let evaluationCase: (item: Int, negatives: [Int])?
    /// The rank cutoff of HR and NDCG.
    let cutoff: Int
    /// Seeds the private embedding and the samples of the refits before ranking.
    let seed: UInt64
    // The private user embedding; one request at a time (the protocol's contract).
    private var userEmbedding: [Float]
    // The learning rate and batch size of the last local training, for the refit before ranking.
    private var refitSettings: (learningRate: Float, batchSize: Int)?

    /// - Parameters:
    ///   - id: the participant's name, unique in the federation.
    ///   - positives: the item indices this user interacted with.
    ///   - evaluationCase: the held-out item and its sampled negatives (NCF protocol), if any.
    ///   - workspaces: the scratch models shared by the participants of one process.
    ///   - seed: initialises the private user embedding.
    ///   - cutoff: the rank cutoff of HR and NDCG.
    public init(
        id: String, positives: [Int], evaluationCase: (item: Int, negatives: [Int])?, workspaces: NCFWorkspacePool,
        seed: UInt64, cutoff: Int = 10
    ) {
        precondition(
            positives.allSatisfy { (0..<workspaces.model.itemCount).contains($0) },
            "RecommendationParticipant: item indices must be in 0..<\(workspaces.model.itemCount).")
        self.id = id
        self.positives = Array(Set(positives)).sorted()
        self.evaluationCase = evaluationCase
        self.workspaces = workspaces
        self.cutoff = cutoff
        self.seed = seed
        userEmbedding = workspaces.model.initialUserEmbedding(seed: seed)
    }

    /// The participant's private user embedding (for tests and checkpoints on the device).
    public var privateUserEmbedding: [Float] { userEmbedding }

    public func fit(_ instruction: FitInstruction) throws -> FitResult {
        let configuration = instruction.configuration
        guard configuration.batchSize > 0, configuration.localEpochs >= 1, configuration.learningRate > 0 else {
            throw FederatedError.invalidConfiguration(
                "batch size \(configuration.batchSize), local epochs \(configuration.localEpochs) "
                    + "and learning rate \(configuration.learningRate) must be positive")
        }
        // The epochs' samples are drawn up front: a hostile or mistaken count must not allocate them.
        guard configuration.localEpochs <= FederatedRecommendationRun.maximumLocalEpochs else {
            throw FederatedError.invalidConfiguration(
                "local epochs \(configuration.localEpochs) exceed \(FederatedRecommendationRun.maximumLocalEpochs)")
        }
        guard configuration.proximalMu.isFinite, configuration.proximalMu >= 0 else {
            throw FederatedError.invalidConfiguration(
                "FedProx's μ must be finite and non-negative, got \(configuration.proximalMu)")
        }
        guard !positives.isEmpty else { throw FederatedError.noLocalData(participant: id) }
        let model = workspaces.model
        guard positives.count < model.itemCount || model.negatives == 0 else {
            throw FederatedError.invalidConfiguration("\(id) interacted with every item: no negatives to sample")
        }
        let generator = RandomGenerator(seed: configuration.seed)
        let epochs = (0..<configuration.localEpochs).map { _ in epochSamples(generator: generator) }
        return try workspaces.withWorkspace { workspace in
            var rows: [Int] = []
            for epoch in epochs {
                for item in epoch.items {
                    if workspace.rowCounts[item] == 0 { rows.append(item) }
                    workspace.rowCounts[item] += 1
                }
            }
            rows.sort()
            defer { for row in rows { workspace.rowCounts[row] = 0 } }
            try workspace.load(instruction.parameters, rows: rows, user: userEmbedding)
            refitSettings = (configuration.learningRate, configuration.batchSize)
            if model.refitEpochs > 0 {
                workspace.refitUserRow(
                    (0..<model.refitEpochs).map { epochs[$0 % epochs.count] }, batchSize: configuration.batchSize,
                    learningRate: configuration.learningRate)
            }
            workspace.reset(workspace.optimizer, rows: rows, learningRate: configuration.learningRate)
            let mu = configuration.proximalMu
            let (lossSum, count) = workspace.train(
                epochs, batchSize: configuration.batchSize, optimizer: workspace.optimizer,
                proximal: mu > 0 ? (mu, instruction.parameters, rows) : nil)
            guard lossSum.isFinite else { // a diverged participant reports a failure instead of sending NaNs
                throw TrainingDivergedError(
                    what: "participant \(id)'s local training", position: "round \(configuration.round)",
                    detail: "loss \(lossSum)")
            }
            userEmbedding = workspace.userRow()
            return FitResult(
                update: workspace.sparseUpdate(rows: rows), kind: .parameters, exampleCount: count,
                metrics: ["train_loss": lossSum / Double(max(count, 1))])
        }
    }

    /// One local epoch: every positive (label 1) followed by its sampled negatives (label 0), shuffled.
    func epochSamples(generator: RandomGenerator) -> LocalSamples {
        let itemCount = workspaces.model.itemCount, negatives = workspaces.model.negatives
        var items: [Int] = [], labels: [Float] = []
        items.reserveCapacity(positives.count * (1 + negatives))
        labels.reserveCapacity(positives.count * (1 + negatives))
        for positive in positives {
            items.append(positive)
            labels.append(1)
            for _ in 0..<negatives {
                var item: Int
                repeat { item = generator.integer(below: itemCount) } while isPositive(item)
                items.append(item)
                labels.append(0)
            }
        }
        let order = generator.permutation(items.count)
        return (order.map { items[$0] }, order.map { labels[$0] })
    }

    /// Whether `item` is one of the user's positives (binary search).
    func isPositive(_ item: Int) -> Bool {
        var low = 0, high = positives.count
        while low < high {
            let middle = (low + high) / 2
            if positives[middle] < item { low = middle + 1 } else { high = middle }
        }
        return low < positives.count && positives[low] == item
    }

    public func evaluate(model: ModelDescription, parameters: ParameterSet, configuration: EvaluateConfiguration) throws
        -> ParticipantEvaluation
    {
        guard let evaluationCase else { throw FederatedError.noLocalData(participant: id) }
        let candidates = [evaluationCase.item] + evaluationCase.negatives
        let model = workspaces.model
        var refit: [LocalSamples] = []
        if model.refitEpochs > 0, refitSettings != nil, !positives.isEmpty, positives.count < model.itemCount {
            let generator = RandomGenerator(
                seed: FederatedStrategy.seed(seed, round: configuration.round, participant: "refit"))
            refit = (0..<model.refitEpochs).map { _ in epochSamples(generator: generator) }
        }
        let scores: [Float] = try workspaces.withWorkspace { workspace in
            try workspace.load(parameters, rows: Array(Set(candidates + refit.flatMap(\.items))), user: userEmbedding)
            if let refitSettings, !refit.isEmpty {
                workspace.refitUserRow(
                    refit, batchSize: refitSettings.batchSize, learningRate: refitSettings.learningRate)
            }
            return withoutGradients {
                workspace.tables.network.logits(users: Array(repeating: 0, count: candidates.count), items: candidates)
                    .scalars
            }
        }
        guard scores.allSatisfy(\.isFinite) else {
            throw TrainingDivergedError(
                what: "participant \(id)'s evaluation", position: "round \(configuration.round)",
                detail: "the global model gives NaN or infinite scores")
        }
        let rank = RankingMetrics.rank(of: scores[0], among: Array(scores.dropFirst()))
        let labels = [Float(1)] + Array(repeating: 0, count: candidates.count - 1)
        let loss =
            zip(scores, labels).reduce(0.0) { sum, pair in
                let (logit, label) = (Double(pair.0), Double(pair.1))
                return sum + max(logit, 0) - logit * label + log1p(exp(-abs(logit)))
            } / Double(candidates.count)
        return ParticipantEvaluation(
            loss: loss, exampleCount: 1,
            metrics: [
                RecommendationMetric.hitRate(cutoff): RankingMetrics.hit(rank: rank, cutoff: cutoff),
                RecommendationMetric.ndcg(cutoff): RankingMetrics.ndcg(rank: rank, cutoff: cutoff)
            ])
    }
}

/// One local epoch's samples: item indices and their labels (1: a positive, 0: a sampled negative).
typealias LocalSamples = (items: [Int], labels: [Float])

/// The names of the evaluation metrics a recommendation participant reports.
public enum RecommendationMetric {
    /// `hit_rate@10`.
    public static func hitRate(_ cutoff: Int) -> String { "hit_rate@\(cutoff)" }
    /// `ndcg@10`.
    public static func ndcg(_ cutoff: Int) -> String { "ndcg@\(cutoff)" }
}
