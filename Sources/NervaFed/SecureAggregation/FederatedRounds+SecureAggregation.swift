import Foundation

extension FederatedRounds {
    /// A training round under secure aggregation, step by step. Each participant is a
    /// `SecureAggregationDevice`: a client over HTTP (`FederationServer`'s participants are), or
    /// a `SecureAggregatingParticipant` wrapped around a participant in the process, which stands
    /// for code on its device. Only the protocol's messages reach the `SecureAggregationServer`
    /// object, which is all the server side ever handles. A participant that fails at a step
    /// drops out there; dropouts after key sharing have their masks removed with their
    /// neighbours' shares. When too few are left the round keeps the previous model and says why.
    func secureFit(
        round: Int, plan: [String], instructions: [FitInstruction], strategy: any SecureAggregationStrategy,
        settings: SecureAggregationSettings,
        participant: @escaping @Sendable (String) -> (any FederatedParticipant)?
    ) throws -> RoundAggregate {
        let graph = try settings.graph(participants: max(plan.count, 2), seed: Self.graphSeed(round: round, plan: plan))
        let threshold = settings.threshold(participants: graph.degree + 1)
        guard plan.count >= threshold else {
            throw FederatedError.invalidConfiguration(
                "secure aggregation needs at least \(threshold) participants per round, the strategy chose \(plan.count)"
            )
        }
        let server = try SecureAggregationServer(
            graph: graph, threshold: threshold,
            context: SecureRoundSetup(round: round, index: 0, graph: graph, threshold: threshold, scale: settings.scale)
                .context)
        var failures: [ParticipantFailure] = []
        var metrics: [String: Double] = [
            "secure_aggregation_threshold": Double(threshold), "secure_aggregation_neighbours": Double(graph.degree)
        ]
        let failed = { (stage: String, error: any Error) -> String in
            (error as? SecureAggregationError)?.description ?? "\(stage): \(error)"
        }
        /// Runs one step on the participants `active`; the answers of those that did not fail.
        func step<T>(_ name: String, _ active: [Int], _ body: @escaping @Sendable (Int) throws -> T) -> [Int: T] {
            let outcomes = ThreadedWork.map(count: active.count, threads: concurrency) { k in
                Result { try body(active[k]) }
            }
            var answers: [Int: T] = [:]
            for (k, outcome) in outcomes.enumerated() {
                switch outcome {
                case .success(let answer): answers[active[k]] = answer
                case .failure(let error as ParticipantUnavailable):
                    failures.append(ParticipantFailure(participant: plan[active[k]], reason: error.reason))
                case .failure(let error):
                    failures.append(
                        ParticipantFailure(participant: plan[active[k]], reason: .error(failed(name, error))))
                }
            }
            return answers
        }
        /// The previous model, with the reason the round could not finish.
        func abandoned(_ error: any Error) -> RoundAggregate {
            let reason = ParticipantFailure(participant: "secure aggregation", reason: .error(failed("round", error)))
            return RoundAggregate(parameters: nil, accepted: [], failures: failures + [reason], metrics: metrics)
        }
        let rule = strategy.secureInputRule
        let secureInput: @Sendable (FitResult, ParameterSet) throws -> [Float] = { [strategy] in
            try strategy.secureInput($0, global: $1)
        }
        let devices = plan.map { name -> (any SecureAggregationDevice)? in
            guard let found = participant(name) else { return nil }
            return found as? any SecureAggregationDevice
                ?? SecureAggregatingParticipant(participant: found, secureInput: secureInput)
        }
        let box = Devices(devices)
        for (index, name) in plan.enumerated() where devices[index] == nil {
            failures.append(ParticipantFailure(participant: name, reason: .error("not connected")))
        }

        // 1. Keys.
        let advertised = step("key advertising", plan.indices.filter { devices[$0] != nil }) { index in
            try box[index].advertiseKeys(
                SecureRoundSetup(round: round, index: index, graph: graph, threshold: threshold, scale: settings.scale))
        }
        for (index, keys) in advertised.sorted(by: { $0.key < $1.key }) {
            do {
                guard keys.index == index else {
                    throw SecureAggregationError.invalidMessage(
                        participant: index, reason: "keys for index \(keys.index)")
                }
                try server.receive(keys)
            } catch {
                failures.append(ParticipantFailure(participant: plan[index], reason: .error(failed("keys", error))))
            }
        }
        let roster: [AdvertisedKeys]
        do { roster = try server.roster() } catch { return abandoned(error) }

        // 2. Encrypted shares.
        let shared = step("key sharing", roster.map(\.index)) { try box[$0].shareKeys(roster: roster) }
        for (index, boxes) in shared.sorted(by: { $0.key < $1.key }) {
            do { try server.receive(shares: boxes, from: index) } catch {
                failures.append(ParticipantFailure(participant: plan[index], reason: .error(failed("shares", error))))
            }
        }
        let mailboxes: [Int: [EncryptedShares]]
        do {
            mailboxes = try Dictionary(uniqueKeysWithValues: shared.keys.map { ($0, try server.shares(for: $0)) })
        } catch { return abandoned(error) }

        // 3. Training and masked inputs.
        let inputs = step("masked input", mailboxes.keys.sorted()) { index in
            try box[index].maskedInput(instructions[index], received: mailboxes[index] ?? [], rule: rule)
        }
        var arrived: [(participant: String, metrics: [String: Double])] = []
        // The most common length is the strategy's: one participant's wrong length must not
        // make every other one look wrong.
        let lengths = Dictionary(inputs.values.map { ($0.vector.count, 1) }, uniquingKeysWith: +)
        let length = lengths.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key ?? 0
        for (index, input) in inputs.sorted(by: { $0.key < $1.key }) {
            do {
                guard input.vector.count == length else {
                    throw SecureAggregationError.lengthMismatch(
                        expected: length, got: input.vector.count, participant: index)
                }
                try server.receive(masked: input.vector, from: index)
                arrived.append((plan[index], input.metrics))
            } catch {
                failures.append(ParticipantFailure(participant: plan[index], reason: .error(failed("masked", error))))
            }
        }
        // Training metrics travel in the clear, unweighted (example counts stay hidden in the sum).
        for entry in arrived {
            for (name, value) in entry.metrics { metrics[name, default: 0] += value / Double(arrived.count) }
        }
        metrics["secure_aggregation_dropouts"] = Double(server.dropped.count)

        // 4. Unmasking.
        let survivors = server.survivors
        let answers = step("unmasking", survivors.sorted()) { try box[$0].unmask(survivors: survivors) }
        for (index, answer) in answers.sorted(by: { $0.key < $1.key }) {
            do {
                guard answer.from == index else {
                    throw SecureAggregationError.invalidMessage(
                        participant: index, reason: "answered as \(answer.from)")
                }
                try server.receive(answer)
            } catch {
                failures.append(ParticipantFailure(participant: plan[index], reason: .error(failed("unmask", error))))
            }
        }
        let sum: [Double]
        do { sum = try server.sum(scale: settings.scale) } catch { return abandoned(error) }
        return strategy.aggregateSecureSum(
            round: round, global: global, sum: sum, accepted: arrived.map(\.participant), failures: failures,
            metrics: metrics)
    }

    /// The seed of a round's graph: the round and its participants' names (FNV-1a).
    static func graphSeed(round: Int, plan: [String]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array("\(round)|\(plan.joined(separator: "|"))".utf8) {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return hash
    }
}

/// The round's devices, readable from the step threads.
private final class Devices: @unchecked Sendable {
    private let devices: [(any SecureAggregationDevice)?]
    init(_ devices: [(any SecureAggregationDevice)?]) { self.devices = devices }
    subscript(index: Int) -> any SecureAggregationDevice { devices[index]! }
}
