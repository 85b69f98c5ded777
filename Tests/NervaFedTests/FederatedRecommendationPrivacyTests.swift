import Foundation
import NervaRec
import Synchronization
import Testing

@testable import NervaFed

/// What leaves a participant of a federated recommender: every message is captured as bytes
/// and searched for the user's id, its user embedding and its interaction list.
@Suite struct FederatedRecommendationPrivacyTests {
    /// Planted data whose user ids are recognisable strings.
    static func split() -> InteractionSplit {
        let planted = SyntheticInteractions(users: 30, items: 60, meanInteractions: 20, clusterCount: 4, seed: 5)
            .dataset
        var builder = InteractionDatasetBuilder()
        for row in 0..<planted.count {
            builder.append(
                user: "secret-user-\(planted.users[Int(planted.userIndices[row])])",
                item: planted.items[Int(planted.itemIndices[row])], rating: 1, timestamp: planted.timestamps[row])
        }
        return SplitRule.leaveOneOut.split(builder.build(hasRatings: false, hasTimestamps: true))
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in
            haystack[start] == needle[0] && Array(haystack[start..<(start + needle.count)]) == needle
        }
    }

    static func bitPattern(_ value: Float) -> [UInt8] {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
    }

    @Test func messagesCarryNoUserIdNoUserEmbeddingAndNoInteractionList() throws {
        let split = Self.split()
        let model = FederatedNCFModel(
            architecture: .neumf, itemCount: split.train.itemCount, factors: 4, layers: [8, 4])
        let federation = FederatedRecommendation(split: split, model: model, seed: 9)
        let initialEmbeddings = federation.participants.map(\.privateUserEmbedding)
        let messages = Mutex<[(participant: String, message: MeteredParticipant.Message)]>([])
        let strategy = RowWeightedFedAvg(
            model: model, clientSettings: FitConfiguration(round: 0, localEpochs: 1, batchSize: 16, learningRate: 0.01))
        let simulation = try federation.simulation(strategy: strategy, seed: 9, concurrency: 2) { participant in
            MeteredParticipant(participant) { id, message in messages.withLock { $0.append((id, message)) } }
        }
        try simulation.run(rounds: 2)
        let sent = messages.withLock { $0 }
        #expect(sent.count == 2 * 2 * federation.participants.count) // a fit and an evaluation result per round

        let sharedNames = model.sharedLayout.names
        let participantIndex = Dictionary(
            uniqueKeysWithValues: federation.participants.enumerated().map { ($1.id, $0) })
        let positivesByUser = UserItemMatrix(split.train)
        for (participantID, message) in sent {
            let index = participantIndex[participantID]!
            let user = Int(federation.participants[index].id.split(separator: "-").last!)!
            let embeddings = [initialEmbeddings[index], federation.participants[index].privateUserEmbedding]
            let bytes: [UInt8]
            switch message {
            case .fitResult(let body):
                bytes = body
                let (update, metadata) = try ParameterSet.decode(safetensors: body)
                // Exactly the declared tensors: touched rows, their weights and the shared tensors — no user table.
                #expect(
                    update.layout.names == [RecommendationUpdate.rowsName, RecommendationUpdate.rowWeightsName]
                        + sharedNames)
                #expect(
                    Set(metadata.keys).isSubset(of: [
                        "nerva.message", "nerva.kind", "nerva.exampleCount", "nerva.metrics"
                    ]))
                #expect(metadata["nerva.metrics"]!.hasPrefix("{\"train_loss\":"))
                // The interactions are not listed: the rows mix them with at least as many sampled non-interactions,
                // and no tensor says which rows are which.
                let rows = Set(update.values[0..<update.layout.entries[0].count].map { Int($0) })
                let positives = Set(positivesByUser.items(of: user).map(Int.init))
                #expect(positives.isSubset(of: rows))
                #expect(rows.subtracting(positives).count >= positives.count)
            case .evaluationResult(let body):
                bytes = body
                let object = try JSONSerialization.jsonObject(with: Data(body)) as! [String: Any]
                #expect(Set(object.keys) == ["loss", "exampleCount", "metrics"])
                #expect(Set((object["metrics"] as! [String: Double]).keys) == ["hit_rate@10", "ndcg@10"])
            }
            #expect(
                !Self.contains(bytes, Array("secret-user".utf8)) && !Self.contains(bytes, Array(participantID.utf8)))
            for embedding in embeddings {
                let found = embedding.filter { Self.contains(bytes, Self.bitPattern($0)) }
                #expect(found.isEmpty, "\(participantID): user-embedding values \(found) found in a message")
            }
        }
        // The embeddings did train (so the search above looked for the values actually held).
        #expect(zip(initialEmbeddings, federation.participants.map(\.privateUserEmbedding)).allSatisfy { $0 != $1 })
    }

    /// Three rounds of federated NeuMF with half the users per round, in the clear or under secure aggregation.
    static func run(secure: Bool, privacy: DifferentialPrivacy? = nil) throws -> (
        global: ParameterSet, reports: [RoundReport]
    ) {
        let split = Self.split()
        let model = FederatedNCFModel(
            architecture: .neumf, itemCount: split.train.itemCount, factors: 4, layers: [8, 4])
        let federation = FederatedRecommendation(split: split, model: model, seed: 3)
        let base = RowWeightedFedAvg(
            model: model, sampling: ClientSampling(fraction: 0.5),
            clientSettings: FitConfiguration(round: 0, localEpochs: 1, batchSize: 16, learningRate: 0.05), seed: 3)
        let strategy: any Strategy =
            try privacy.map { try DifferentiallyPrivateStrategy(wrapping: base, privacy: $0) } ?? base
        let simulation = try federation.simulation(
            strategy: strategy, seed: 3, concurrency: 2,
            secureAggregation: secure ? SecureAggregationSettings() : nil)
        let reports = try simulation.run(rounds: 3)
        return (simulation.global, reports)
    }

    @Test(arguments: [nil, DifferentialPrivacy(clippingNorm: 0.5, noiseMultiplier: 1)])
    func secureAggregationGivesTheRowWeightedMeanItHides(privacy: DifferentialPrivacy?) throws {
        let plain = try Self.run(secure: false, privacy: privacy)
        let secure = try Self.run(secure: true, privacy: privacy)
        #expect(secure.reports.allSatisfy { $0.isUpdated && $0.trainMetrics["secure_aggregation_threshold"] != nil })
        // The server saw only sums, yet rebuilt the same per-row means (up to the 2⁻²⁴ fixed point).
        let difference = zip(plain.global.values, secure.global.values).map { abs($0 - $1) }.max()!
        #expect(difference < 1e-4, "largest difference \(difference)")
        #expect(plain.global != ParameterSet(zerosLike: plain.global.layout))
        // No per-user row list reaches the server: every masked input is dense, the same length for everybody.
        #expect(secure.reports.allSatisfy { $0.trainMetrics["rows_per_update"] == nil })
        // The row-weighted mean also needs each row's weight; DP-FedAvg's equal weights need only a 1.
        let rowWeights = privacy == nil ? Self.split().train.itemCount : 0
        #expect(
            secure.reports.last!.trainMetrics["upload_scalars_per_participant"]
                == Double(plain.global.scalarCount + rowWeights + 1))
    }
}
