import Foundation
import Testing

@testable import NervaFed

/// SecAgg+: the neighbour graph, recovery from dropouts at every step, hostile messages, and
/// secure rounds over HTTP.
@Suite struct SecureAggregationGraphTests {
    @Test func theGraphIsSymmetricRegularDeterministicAndLogarithmic() throws {
        #expect(
            [10, 50, 200, 1000].map { SecureAggregationGraph.logarithmicDegree(participants: $0) } == [8, 12, 16, 20])
        #expect(SecureAggregationGraph.logarithmicDegree(participants: 5) == 4) // all pairs
        for (n, seed) in [(10, UInt64(1)), (50, 2), (200, 3), (1000, 4)] {
            let degree = SecureAggregationGraph.logarithmicDegree(participants: n)
            let graph = try SecureAggregationGraph(participants: n, degree: degree, seed: seed)
            #expect(graph.degree == degree && !graph.isAllPairs)
            for u in 0..<n {
                let neighbours = graph.neighbours(of: u)
                #expect(neighbours.count == degree && !neighbours.contains(u) && Set(neighbours).count == degree)
                for v in neighbours { #expect(graph.areNeighbours(v, u) && graph.neighbours(of: v).contains(u)) }
            }
            let again = try SecureAggregationGraph(participants: n, degree: degree, seed: seed)
            #expect((0..<n).allSatisfy { again.neighbours(of: $0) == graph.neighbours(of: $0) })
            let other = try SecureAggregationGraph(participants: n, degree: degree, seed: seed + 100)
            #expect((0..<n).contains { other.neighbours(of: $0) != graph.neighbours(of: $0) })
        }
        let small = try SecureAggregationGraph(participants: 6, degree: 5, seed: 9)
        #expect(small.isAllPairs && small.neighbours(of: 2) == [0, 1, 3, 4, 5])
        // An odd degree is rounded up to an even one (the ring has two sides).
        #expect(try SecureAggregationGraph(participants: 30, degree: 5, seed: 0).degree == 6)
        #expect(throws: SecureAggregationError.self) { try SecureAggregationGraph(participants: 1, degree: 1, seed: 0) }
        #expect(throws: SecureAggregationError.self) { try SecureAggregationGraph(participants: 5, degree: 5, seed: 0) }
        #expect(throws: SecureAggregationError.self) { try SecureAggregationGraph(participants: 5, degree: 0, seed: 0) }
    }

    /// Where participants drop out: before advertising keys, after advertising (before sharing),
    /// after sharing (before the masked input), after the masked input (before unmasking).
    struct Dropouts {
        var atKeys: Set<Int> = []
        var atSharing: Set<Int> = []
        var atMasking: Set<Int> = []
        var atUnmasking: Set<Int> = []
    }

    /// One round over `graph` with `dropouts`; the sum and the exact sum of the survivors' quantised inputs.
    private func round(
        _ vectors: [[Float]], graph: SecureAggregationGraph, threshold: Int, dropouts: Dropouts
    ) throws -> (sum: [Double], expected: [Double]) {
        let context = Data("graph test".utf8)
        let clients = vectors.indices.map { SecureAggregationClient(index: $0, context: context) }
        let server = try SecureAggregationServer(graph: graph, threshold: threshold, context: context)
        for client in clients where !dropouts.atKeys.contains(client.index) {
            try server.receive(client.advertisedKeys)
        }
        let roster = try server.roster()
        let sharing = roster.map(\.index).filter { !dropouts.atSharing.contains($0) }
        for index in sharing {
            try server.receive(
                shares: clients[index].shareKeys(roster: roster, graph: graph, threshold: threshold), from: index)
        }
        for index in sharing where !dropouts.atMasking.contains(index) {
            try server.receive(
                masked: clients[index].maskedInput(vectors[index], received: server.shares(for: index)), from: index)
        }
        for index in server.survivors.sorted() where !dropouts.atUnmasking.contains(index) {
            try server.receive(clients[index].unmask(survivors: server.survivors))
        }
        var total = [UInt64](repeating: 0, count: vectors[0].count)
        for index in server.survivors {
            for (k, value) in SecureAggregation.quantize(vectors[index]).enumerated() { total[k] &+= value }
        }
        return (try server.sum(), SecureAggregation.dequantize(total))
    }

    private func vectors(count: Int, length: Int) -> [[Float]] {
        (0..<count).map { p in (0..<length).map { Float(($0 * 31 + p * 17) % 101) * 0.01 - 0.5 } }
    }

    @Test func theSurvivorsSumIsExactWithDropoutsAtEveryStep() throws {
        let inputs = vectors(count: 30, length: 200)
        let graph = try SecureAggregationGraph(participants: 30, degree: 10, seed: 5)
        let dropouts = Dropouts(atKeys: [3], atSharing: [11], atMasking: [7, 20], atUnmasking: [25])
        let (sum, expected) = try round(inputs, graph: graph, threshold: 6, dropouts: dropouts)
        #expect(sum == expected)
        let floatSum = (0..<200).map { k in
            (0..<30).filter { ![3, 11, 7, 20].contains($0) }.reduce(0.0) { $0 + Double(inputs[$1][k]) }
        }
        #expect(zip(sum, floatSum).allSatisfy { abs($0 - $1) < 1e-5 })
        // All pairs is the special case of the same code.
        let all = try SecureAggregationGraph(participants: 8, degree: 7, seed: 0)
        let (allSum, allExpected) = try round(
            vectors(count: 8, length: 50), graph: all, threshold: 5, dropouts: Dropouts(atMasking: [2]))
        #expect(allSum == allExpected)
    }

    @Test func aNeighbourhoodBelowTheThresholdFailsTheRoundWithItsReason() throws {
        let inputs = vectors(count: 20, length: 10)
        let graph = try SecureAggregationGraph(participants: 20, degree: 6, seed: 8)
        // Participant 0 drops after sharing; 5 of its 6 neighbours also vanish before unmasking,
        // so only one share of its masking key can come back (threshold 4).
        let neighbours = graph.neighbours(of: 0)
        let dropouts = Dropouts(atMasking: [0], atUnmasking: Set(neighbours.prefix(5)))
        do {
            _ = try round(inputs, graph: graph, threshold: 4, dropouts: dropouts)
            Issue.record("the round should have failed")
        } catch SecureAggregationError.belowThreshold(let stage, let count, let threshold) {
            #expect(stage.hasPrefix("rebuilding the") && count < 4 && threshold == 4, "\(stage)")
        }
    }

    @Test func hostileMessagesGetErrorsNotTraps() throws {
        let context = Data("hostile".utf8)
        let graph = try SecureAggregationGraph(participants: 12, degree: 4, seed: 1)
        let server = try SecureAggregationServer(graph: graph, threshold: 3, context: context)
        let clients = (0..<12).map { SecureAggregationClient(index: $0, context: context) }
        #expect(throws: SecureAggregationError.self) {
            try server.receive(AdvertisedKeys(index: 12, encryptionKey: Data(count: 32), maskingKey: Data(count: 32)))
        }
        #expect(throws: SecureAggregationError.self) {
            try server.receive(AdvertisedKeys(index: -1, encryptionKey: Data(count: 32), maskingKey: Data(count: 32)))
        }
        #expect(throws: SecureAggregationError.self) {
            try server.receive(AdvertisedKeys(index: 0, encryptionKey: Data(count: 3), maskingKey: Data(count: 32)))
        }
        for client in clients { try server.receive(client.advertisedKeys) }
        #expect(throws: SecureAggregationError.self) { try server.receive(clients[0].advertisedKeys) }
        let roster = try server.roster()
        let honestBoxes = try clients[0].shareKeys(roster: roster, graph: graph, threshold: 3)
        var boxes = honestBoxes
        let stranger = (1..<12).first { !graph.areNeighbours(0, $0) }!
        boxes[0] = EncryptedShares(from: 0, to: stranger, ciphertext: boxes[0].ciphertext)
        #expect(throws: SecureAggregationError.self) { try server.receive(shares: boxes, from: 0) }
        #expect(throws: SecureAggregationError.self) { try server.receive(shares: [], from: 0) }
        try server.receive(shares: honestBoxes, from: 0)
        for client in clients.dropFirst() {
            try server.receive(shares: client.shareKeys(roster: roster, graph: graph, threshold: 3), from: client.index)
        }
        // A second sharing is refused on both sides.
        #expect(throws: SecureAggregationError.self) {
            _ = try clients[0].shareKeys(roster: roster, graph: graph, threshold: 3)
        }
        for client in clients.dropFirst() {
            try server.receive(
                masked: client.maskedInput([1, 2], received: server.shares(for: client.index)), from: client.index)
        }
        #expect(throws: SecureAggregationError.lengthMismatch(expected: 2, got: 3, participant: 0)) {
            try server.receive(masked: [1, 2, 3], from: 0)
        }
        let honest = try clients[1].unmask(survivors: server.survivors)
        // Shares for a non-neighbour, at the wrong coordinate, or of the wrong length.
        let far = (2..<12).first { !graph.areNeighbours(1, $0) }!
        let wrongOwner = UnmaskingShares(
            from: 1, selfMaskShares: [far: honest.selfMaskShares.values.first!], maskingKeyShares: [:])
        let shifted = honest.selfMaskShares.mapValues { SecureAggregation.Share(x: $0.x + 1, y: $0.y) }
        let short = honest.selfMaskShares.mapValues { SecureAggregation.Share(x: $0.x, y: [1]) }
        for bad in [
            wrongOwner, UnmaskingShares(from: 1, selfMaskShares: shifted, maskingKeyShares: honest.maskingKeyShares),
            UnmaskingShares(from: 1, selfMaskShares: short, maskingKeyShares: honest.maskingKeyShares),
            UnmaskingShares(from: 0, selfMaskShares: [:], maskingKeyShares: [:])
        ] {
            #expect(throws: SecureAggregationError.self) { try server.receive(bad) }
        }
        try server.receive(honest)
        #expect(throws: SecureAggregationError.self) { try server.receive(honest) }
    }

    @Test func messagesSurviveTheWireAndGarbageIsAnError() throws {
        let input = MaskedInput(vector: [0, 1, .max, 1 << 63], metrics: ["train_loss": 0.5])
        #expect(try SecureAggregationWire.decodeMaskedInput(SecureAggregationWire.encode(input)) == input)
        for garbage: [UInt8] in [
            [], [1, 2, 3], [255, 255, 255, 255, 255, 255, 255, 127, 0], [2, 0, 0, 0, 0, 0, 0, 0, 123, 125, 1]
        ] {
            #expect(throws: (any Error).self) { _ = try SecureAggregationWire.decodeMaskedInput(garbage) }
            #expect(throws: (any Error).self) { _ = try SecureAggregationWire.decodeMaskingTask(garbage) }
        }
        let keys = SecureAggregationClient(index: 3, context: Data()).advertisedKeys
        #expect(try SecureAggregationWire.decode(AdvertisedKeys.self, from: SecureAggregationWire.json(keys)) == keys)
    }

    // MARK: - Rounds

    private func simulate(secure: SecureAggregationSettings?, clients: Int, extra: [any FederatedParticipant] = [])
        throws -> [RoundReport]
    {
        let data = SimulationTests.toyData(count: 60 * clients, seed: 1),
            test = SimulationTests.toyData(count: 200, seed: 2)
        let participants: [any FederatedParticipant] = SimulationTests.participants(data, clients: clients) + extra
        let evaluator = try ClassificationEvaluator(model: SimulationTests.model, data: test)
        let simulation = try FederatedSimulation(
            model: SimulationTests.model, participants: participants,
            strategy: FederatedStrategy.fedAvg(clientSettings: SimulationTests.settings, seed: 4), seed: 3,
            concurrency: 2, secureAggregation: secure, centralEvaluation: { try evaluator.evaluate($0) })
        return try simulation.run(rounds: 2)
    }

    @Test func aSparseSecureRoundMatchesPlainFedAvg() throws {
        let vanishing: [any FederatedParticipant] = [BrokenParticipant(id: "vanishes", behaviour: .throwing)]
        let plain = try simulate(secure: nil, clients: 15, extra: vanishing)
        let secure = try simulate(secure: SecureAggregationSettings(degree: 6), clients: 15, extra: vanishing)
        for (p, s) in zip(plain, secure) {
            #expect(s.accepted == p.accepted && s.accepted.count == 15)
            #expect(s.failures.map(\.participant) == ["vanishes"])
            #expect(s.trainMetrics["secure_aggregation_neighbours"] == 6)
            #expect(s.trainMetrics["secure_aggregation_threshold"] == 4)
            #expect(s.trainMetrics["secure_aggregation_dropouts"] == 1)
            let (a, b) = (try #require(p.centralEvaluation?.loss), try #require(s.centralEvaluation?.loss))
            #expect(abs(a - b) < 1e-4, "round \(s.round): plain loss \(a), secure \(b)")
        }
    }

    @Test func secureRoundsOverHTTPMatchTheSimulation() throws {
        let data = SimulationTests.toyData(count: 600, seed: 1)
        let strategy = FederatedStrategy.fedAvg(clientSettings: SimulationTests.settings, seed: 4)
        let participants = SimulationTests.participants(data, clients: 10)
        let federation = try LoopbackFederation(
            model: SimulationTests.model, participants: participants, strategy: strategy, seed: 3, pollSeconds: 0.5,
            secureAggregation: SecureAggregationSettings())
        defer { federation.finish() }
        let reports = try federation.run(rounds: 2)
        #expect(reports.allSatisfy { $0.isUpdated && $0.accepted.count == 10 && $0.failures.isEmpty })
        #expect(reports.first?.trainMetrics["secure_aggregation_neighbours"] == 8)
        let simulation = try FederatedSimulation(
            model: SimulationTests.model, participants: SimulationTests.participants(data, clients: 10),
            strategy: FederatedStrategy.fedAvg(clientSettings: SimulationTests.settings, seed: 4), seed: 3,
            concurrency: 2)
        _ = try simulation.run(rounds: 2)
        let difference = zip(federation.global.values, simulation.global.values).map { abs($0 - $1) }.max() ?? 1
        #expect(difference < 1e-5, "largest difference \(difference)")
    }
}
