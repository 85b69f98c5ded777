import Foundation

extension FederatedRounds {
    /// A training round under secure aggregation. Each participant's `SecureAggregationClient`
    /// stands for code on its device: it holds the keys, trains, encodes and masks its update,
    /// and only the protocol's messages reach the `SecureAggregationServer` object, which is all
    /// the server side ever handles. A participant that fails after sharing its keys is a
    /// dropout: its masks are removed with the survivors' shares of its key.
    func secureFit(
        round: Int, plan: [String], instructions: [FitInstruction], strategy: any SecureAggregationStrategy,
        settings: SecureAggregationSettings,
        participant: @escaping @Sendable (String) -> (any FederatedParticipant)?
    ) throws -> RoundAggregate {
        let threshold = settings.threshold(participants: plan.count)
        guard plan.count >= threshold else {
            throw FederatedError.invalidConfiguration(
                "secure aggregation needs at least \(threshold) participants per round, the strategy chose \(plan.count)"
            )
        }
        let context = Data("nerva secure aggregation, round \(round)".utf8)
        let devices = plan.indices.map { SecureAggregationClient(index: $0, context: context) }
        let server = SecureAggregationServer(threshold: threshold, context: context)
        for device in devices { server.receive(device.advertisedKeys) }
        let roster = try server.roster()
        for device in devices {
            try server.receive(shares: device.shareKeys(roster: roster, threshold: threshold), from: device.index)
        }
        let mailboxes = try plan.indices.map { try server.shares(for: $0) }

        let global = self.global
        let outcomes = ThreadedWork.map(count: plan.count, threads: concurrency) {
            i -> Result<(masked: [UInt64], metrics: [String: Double]), any Error> in
            Result {
                let result = try Self.reach(plan[i], participant).fit(instructions[i])
                let input = try strategy.secureInput(result, global: global)
                return (
                    try devices[i].maskedInput(input, received: mailboxes[i], scale: settings.scale), result.metrics
                )
            }
        }
        var failures = Self.split(zip(plan, outcomes)).failures
        var arrived: [(participant: String, metrics: [String: Double])] = []
        for (index, name) in plan.enumerated() {
            guard case .success(let outcome) = outcomes[index] else { continue }
            do {
                try server.receive(masked: outcome.masked, from: index)
                arrived.append((name, outcome.metrics))
            } catch {
                failures.append(ParticipantFailure(participant: name, reason: .error("\(error)")))
            }
        }
        let survivors = server.survivors
        for index in survivors.sorted() {
            if let answer = try? devices[index].unmask(survivors: survivors) { server.receive(answer) }
        }
        // Training metrics travel in the clear, unweighted (example counts stay hidden in the sum).
        var metrics: [String: Double] = [:]
        for entry in arrived {
            for (name, value) in entry.metrics { metrics[name, default: 0] += value / Double(arrived.count) }
        }
        metrics["secure_aggregation_threshold"] = Double(threshold)
        do {
            let sum = try server.sum(scale: settings.scale)
            return strategy.aggregateSecureSum(
                round: round, global: global, sum: sum, accepted: arrived.map(\.participant),
                failures: failures, metrics: metrics)
        } catch let error as SecureAggregationError {
            // Too few survivors: the round keeps the previous model, and says why.
            let reason = ParticipantFailure(participant: "secure aggregation", reason: .error(error.description))
            return RoundAggregate(parameters: nil, accepted: [], failures: failures + [reason], metrics: metrics)
        }
    }
}
