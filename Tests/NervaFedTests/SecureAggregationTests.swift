import Crypto
import Foundation
import Testing

@testable import NervaFed

@Suite struct SecureAggregationTests {
    /// Runs the four steps for `count` participants; those in `dropped` share their keys and then
    /// vanish before sending their masked vector.
    private func aggregate(_ vectors: [[Float]], dropped: Set<Int> = [], threshold: Int) throws
        -> (sum: [Double], masked: [Int: [UInt64]])
    {
        let context = Data("test".utf8)
        let clients = vectors.indices.map { SecureAggregationClient(index: $0, context: context) }
        let server = try SecureAggregationServer(threshold: threshold, context: context, participants: vectors.count)
        try clients.forEach { try server.receive($0.advertisedKeys) }
        let roster = try server.roster()
        for client in clients {
            try server.receive(shares: client.shareKeys(roster: roster, threshold: threshold), from: client.index)
        }
        var masked: [Int: [UInt64]] = [:]
        for client in clients where !dropped.contains(client.index) {
            let vector = try client.maskedInput(vectors[client.index], received: server.shares(for: client.index))
            masked[client.index] = vector
            try server.receive(masked: vector, from: client.index)
        }
        for client in clients where !dropped.contains(client.index) {
            try server.receive(try client.unmask(survivors: server.survivors))
        }
        return (try server.sum(), masked)
    }

    private func vectors(count: Int, length: Int, seed: UInt64) -> [[Float]] {
        let generator = RandomGenerator(seed: seed)
        return (0..<count).map { _ in (0..<length).map { _ in generator.uniform(-2, 2) } }
    }

    /// The exact sum of the quantised vectors, which secure aggregation must reproduce bit for bit.
    private func plainSum(_ vectors: [[Float]]) -> [Double] {
        var total = [UInt64](repeating: 0, count: vectors[0].count)
        for vector in vectors.map({ SecureAggregation.quantize($0) }) {
            for k in total.indices { total[k] = total[k] &+ vector[k] }
        }
        return SecureAggregation.dequantize(total)
    }

    @Test func theMaskIsTheChaCha20KeyStreamAcrossChunks() throws {
        // 20,000 values span three 64 KiB chunks; the stream must be RFC 8439's, as ChaCha20-Poly1305 encrypts zeros.
        let key = SymmetricKey(size: .bits256)
        var added = [UInt64](repeating: 0, count: 20_000)
        try SecureAggregation.apply(mask: key, sign: 1, to: &added)
        let stream = try ChaChaPoly.seal(
            Data(count: 20_000 * 8), using: key, nonce: ChaChaPoly.Nonce(data: Data(count: 12))
        ).ciphertext
        let expected = stream.withUnsafeBytes { raw in
            (0..<20_000).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self) }
        }
        #expect(added == expected)
        try SecureAggregation.apply(mask: key, sign: -1, to: &added)
        #expect(added.allSatisfy { $0 == 0 })
    }

    @Test func aMaskKeyOfTheWrongLengthIsAnErrorNotATrap() {
        var vector = [UInt64](repeating: 0, count: 10)
        #expect(throws: (any Error).self) {
            try SecureAggregation.apply(mask: SymmetricKey(data: [UInt8](repeating: 1, count: 7)), sign: 1, to: &vector)
        }
    }

    @Test func theMaskedSumEqualsThePlainSumExactly() throws {
        let inputs = vectors(count: 5, length: 1000, seed: 11)
        let (sum, masked) = try aggregate(inputs, threshold: 3)
        #expect(sum == plainSum(inputs))
        let floatSum = (0..<1000).map { k in inputs.reduce(0.0) { $0 + Double($1[k]) } }
        #expect(zip(sum, floatSum).allSatisfy { abs($0 - $1) <= 1e-6 })
        // A single masked vector reveals nothing recognisable of its input.
        let alone = SecureAggregation.dequantize(masked[0]!)
        #expect(zip(alone, inputs[0]).filter { abs($0 - Double($1)) < 0.01 }.count < 5)
    }

    @Test func participantsThatDropAfterSharingTheirKeysAreRemoved() throws {
        let inputs = vectors(count: 6, length: 300, seed: 12)
        let (sum, _) = try aggregate(inputs, dropped: [2, 5], threshold: 4)
        #expect(sum == plainSum([0, 1, 3, 4].map { inputs[$0] }))
    }

    @Test func tooManyDropoutsStopTheRoundInsteadOfRevealingAnything() throws {
        let inputs = vectors(count: 5, length: 10, seed: 13)
        // The survivors themselves refuse to unmask for fewer than the threshold.
        #expect(throws: SecureAggregationError.belowThreshold(stage: "unmasking", count: 2, threshold: 3)) {
            _ = try aggregate(inputs, dropped: [0, 1, 2], threshold: 3)
        }
    }

    @Test func aSurvivorGivesOneKindOfSecretPerParticipantAndOnlyOnce() throws {
        let context = Data("test".utf8)
        let clients = (0..<4).map { SecureAggregationClient(index: $0, context: context) }
        let roster = clients.map(\.advertisedKeys)
        let boxes = try clients.flatMap { try $0.shareKeys(roster: roster, threshold: 3) }
        _ = try clients[0].maskedInput([1, 2, 3], received: boxes.filter { $0.to == 0 })
        let answer = try clients[0].unmask(survivors: [0, 1, 2])
        #expect(Set(answer.selfMaskShares.keys) == [0, 1, 2])
        #expect(Set(answer.maskingKeyShares.keys) == [3])
        #expect(throws: SecureAggregationError.self) { try clients[0].unmask(survivors: [0, 1, 3]) }
        #expect(throws: SecureAggregationError.belowThreshold(stage: "unmasking", count: 2, threshold: 3)) {
            try clients[1].unmask(survivors: [0, 1])
        }
    }

    @Test func tamperedOrMisaddressedSharesAreRejected() throws {
        let context = Data("test".utf8)
        let clients = (0..<3).map { SecureAggregationClient(index: $0, context: context) }
        let roster = clients.map(\.advertisedKeys)
        let boxes = try clients.flatMap { try $0.shareKeys(roster: roster, threshold: 2) }
        var tampered = boxes.filter { $0.to == 0 }
        var bytes = tampered[0].ciphertext
        bytes[bytes.startIndex + 20] ^= 1
        tampered[0] = EncryptedShares(from: tampered[0].from, to: 0, ciphertext: bytes)
        #expect(
            throws: SecureAggregationError.invalidMessage(
                participant: tampered[0].from, reason: "shares fail authentication")
        ) {
            _ = try clients[0].maskedInput([1], received: tampered)
        }
        let misaddressed = boxes.filter { $0.to == 1 }
        #expect(throws: SecureAggregationError.self) { _ = try clients[0].maskedInput([1], received: misaddressed) }
    }

    @Test func shamirRebuildsA32ByteSecretFromTheThresholdOnly() {
        let secret = (0..<32).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
        let shares = SecureAggregation.shares(of: secret, threshold: 3, count: 6)
        #expect(SecureAggregation.reconstruct([shares[5], shares[1], shares[3]], byteCount: 32) == secret)
        #expect(SecureAggregation.reconstruct(shares, byteCount: 32) == secret)
        #expect(SecureAggregation.reconstruct([shares[0], shares[1]], byteCount: 32) != secret)
    }

    // MARK: - In a federation

    private func run(secure: Bool, strategy: any Strategy, extra: [any FederatedParticipant] = []) throws
        -> [RoundReport]
    {
        let data = SimulationTests.toyData(count: 600, seed: 1), test = SimulationTests.toyData(count: 200, seed: 2)
        let participants: [any FederatedParticipant] = SimulationTests.participants(data, clients: 5) + extra
        let evaluator = try ClassificationEvaluator(model: SimulationTests.model, data: test)
        let simulation = try FederatedSimulation(
            model: SimulationTests.model, participants: participants, strategy: strategy, seed: 3,
            concurrency: 2, secureAggregation: secure ? SecureAggregationSettings() : nil,
            centralEvaluation: { try evaluator.evaluate($0) })
        return try simulation.run(rounds: 3)
    }

    @Test func secureFedAvgMatchesPlainFedAvgWithADropoutAndABrokenUpdate() throws {
        let broken: [any FederatedParticipant] = [
            BrokenParticipant(id: "vanishes", behaviour: .throwing),
            BrokenParticipant(id: "sends-nan", behaviour: .nan)
        ]
        let plain = try run(
            secure: false, strategy: FederatedStrategy.fedAvg(clientSettings: SimulationTests.settings, seed: 4),
            extra: broken)
        let secure = try run(
            secure: true, strategy: FederatedStrategy.fedAvg(clientSettings: SimulationTests.settings, seed: 4),
            extra: broken)
        for (p, s) in zip(plain, secure) {
            #expect(s.accepted == p.accepted && s.accepted.count == 5)
            #expect(Set(s.failures.map(\.participant)) == ["vanishes", "sends-nan"])
            #expect(s.failures.contains { $0.reason == .nonFinite(count: 1) })
            #expect(s.trainMetrics["secure_aggregation_threshold"] == 4)
            let (a, b) = (try #require(p.centralEvaluation?.loss), try #require(s.centralEvaluation?.loss))
            #expect(abs(a - b) < 1e-4, "round \(s.round): plain loss \(a), secure \(b)")
        }
        #expect((secure.last?.centralEvaluation?.metrics["accuracy"] ?? 0) > 0.9)
    }

    @Test func secureAggregationCombinesWithDifferentialPrivacyAndServerOptimisers() throws {
        let dp = try DifferentiallyPrivateStrategy(
            wrapping: FederatedStrategy.fedAvg(clientSettings: SimulationTests.settings, seed: 1),
            privacy: DifferentialPrivacy(clippingNorm: 2, noiseMultiplier: 0.5))
        let reports = try run(secure: true, strategy: dp)
        #expect(reports.last?.trainMetrics["noise_standard_deviation"] == 0.2)
        // DP-FedAvg around FedAdam under secure aggregation: the same global model as in the clear
        // (the server's noise depends only on the seed and the round; the sum is exact up to 2⁻²⁴).
        let privacy = DifferentialPrivacy(clippingNorm: 2, noiseMultiplier: 0.5)
        func dpAdam() throws -> DifferentiallyPrivateStrategy {
            try DifferentiallyPrivateStrategy(
                wrapping: FederatedStrategy.withServerOptimizer(
                    .adam(learningRate: 0.05), clientSettings: SimulationTests.settings,
                    seed: 1), privacy: privacy)
        }
        let (plain, secure) = (
            try run(secure: false, strategy: try dpAdam()), try run(secure: true, strategy: try dpAdam())
        )
        #expect(secure.allSatisfy(\.isUpdated) && secure.count == plain.count)
        for (p, s) in zip(plain, secure) {
            let (a, b) = (try #require(p.centralEvaluation?.loss), try #require(s.centralEvaluation?.loss))
            #expect(abs(a - b) < 1e-3, "round \(s.round): plain loss \(a), secure \(b)")
        }
        let adam = FederatedStrategy.withServerOptimizer(
            .adam(learningRate: 0.05), clientSettings: SimulationTests.settings)
        #expect(try run(secure: true, strategy: adam).allSatisfy(\.isUpdated))
    }

    @Test func robustRulesCannotAggregateSecurely() throws {
        let median = FederatedStrategy.robust(.coordinateMedian, clientSettings: SimulationTests.settings)
        #expect(throws: FederatedError.self) { _ = try run(secure: true, strategy: median) }
    }
}
