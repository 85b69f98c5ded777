import Foundation
import NervaTestSupport
import Testing

@testable import NervaFed

/// Real Flower 1.42 federations of 2 Python nodes (90 and 60 examples) and 1 Nerva node (30
/// examples) on one SuperLink, all with the legacy API (`DefaultWorkflow` + `flwr.server.strategy.FedAvg`):
/// 1. plain: the `fitins`/`fitres` and `evaluateins`/`evaluateres` layout; the aggregate is the
///    example-weighted mean of the recorded replies;
/// 2. SecAgg+ (`SecAggPlusWorkflow(num_shares=3, reconstruction_threshold=2)`): the server sees
///    only the masked sum; every node trains deterministically, so round 1's aggregate must equal
///    run 1's within the quantisation error;
/// 3. SecAgg+ with the Nerva node SIGKILLed right after it sent its key shares: Flower rebuilds
///    the dropped node's key from the Python nodes' shares and removes its pairwise masks, so
///    round 1's aggregate is the weighted mean of run 1's two Python updates.
@Suite(.serialized) struct FlowerSecAggPlusIntegrationTests {
    static let nervaArguments = [
        "--insecure", "--model", "mlp", "--hidden", "8", "--partition-id", "2", "--num-partitions", "3",
        "--limit", "600", "--examples", "30", "--max-runs", "1", "--seed", "4", "--heartbeat-interval", "10"
    ]

    @Test(.timeLimit(.minutes(30))) func legacyAndSecAggPlusWorkflowsAggregateNervaAndPythonNodes() async throws {
        guard let deployment = try FlowerDeployment.make() else { return }
        defer { deployment.stopAll() }
        let port = try await deployment.startSuperLink()
        for (partition, examples) in [(0, 90), (1, 60)] {
            _ = try deployment.start(
                "flower-supernode",
                [
                    "--insecure", "--superlink", "127.0.0.1:\(port)", "--host", "127.0.0.1",
                    "--port", "\(try FlowerDeployment.freePort())", "--node-config",
                    "partition-id=\(partition) num-partitions=3 examples=\(examples)"
                ],
                log: "python-node-\(partition).log")
        }

        // 1. Plain legacy FedAvg.
        let plain = try await run(deployment, port: port, name: "legacy", config: "workflow=\"legacy\" min-nodes=3")
        let plainRecord = try FlowerRecordCheck(
            json: try Data(contentsOf: deployment.folder.appendingPathComponent("legacy.json")))
        try plainRecord.verify(examples: [30, 60, 90])
        #expect(plain.components(separatedBy: "replied to train").count - 1 == 2, "\(plain)")
        #expect(plain.contains("replied to evaluate"), "\(plain)")
        let plainRound1 = try Self.round(plainRecord, 0)

        // 2. SecAgg+ with all three nodes.
        let secure = try await run(
            deployment, port: port, name: "secaggplus", config: "workflow=\"secaggplus\" min-nodes=3")
        for stage in ["setup", "share_keys", "collect_masked_vectors", "unmask"] {
            #expect(
                secure.components(separatedBy: "replied to train (SecAgg+ \(stage))").count - 1 == 2,
                "\(stage): \(secure)")
        }
        #expect(!secure.contains("with an error"), "\(secure)")
        let secureRecord = try FlowerRecordCheck(
            json: try Data(contentsOf: deployment.folder.appendingPathComponent("secaggplus.json")))
        #expect(secureRecord.rounds.count == 2 && secureRecord.rounds.allSatisfy { ($0["failures"] as? Int) == 0 })
        let secureRound1 = try Self.round(secureRecord, 0)
        let difference = FlowerRecordCheck.largestDifference(secureRound1.aggregate, plainRound1.aggregate)
        #expect(difference < 2e-4, "SecAgg+ aggregate vs plain FedAvg: largest difference \(difference)")
        #expect(
            FlowerRecordCheck.largestDifference(secureRound1.aggregate, secureRound1.global) > 1e-3,
            "the model must train")
        let secureRound2 = try Self.round(secureRecord, 1)
        let difference2 = FlowerRecordCheck.largestDifference(
            secureRound2.aggregate, try Self.round(plainRecord, 1).aggregate)
        #expect(difference2 < 2e-3, "round 2: largest difference \(difference2)")

        // 3. SecAgg+ with the Nerva node killed after it shared its keys.
        let dropped = try await run(
            deployment, port: port, name: "dropout",
            config: "workflow=\"secaggplus\" min-nodes=2 fraction-evaluate=0.0 secagg-timeout=30.0",
            killAfter: "replied to train (SecAgg+ share_keys)")
        #expect(!dropped.contains("collect_masked_vectors"), "\(dropped)")
        let droppedRecord = try FlowerRecordCheck(
            json: try Data(contentsOf: deployment.folder.appendingPathComponent("dropout.json")))
        // Round 2 runs with the Python nodes once the SuperLink lists the killed node offline
        // (2 heartbeat intervals); whether it is still sampled then is Flower's timing, not checked.
        #expect(droppedRecord.rounds.count == 2, "\(deployment.log("flwr-dropout.log"))")
        let pythonReplies = plainRound1.replies.filter { $0.count != 30 }
        #expect(pythonReplies.map(\.count).sorted() == [60, 90])
        let pythonMean = FlowerRecordCheck.weightedMean(pythonReplies.map(\.arrays), pythonReplies.map(\.count))
        let droppedDifference = FlowerRecordCheck.largestDifference(
            try Self.round(droppedRecord, 0).aggregate, pythonMean)
        #expect(
            droppedDifference < 2e-4,
            "aggregate without the dropped node vs the Python nodes' mean: \(droppedDifference)")
    }

    /// Starts a Nerva node, waits until it has joined, runs the app with `config` and returns the
    /// node's log; with `killAfter`, SIGKILLs the node once its log shows that line.
    private func run(
        _ deployment: FlowerDeployment, port: Int, name: String, config: String, killAfter: String? = nil
    )
        async throws -> String
    {
        let log = "nerva-\(name).log"
        let nerva = try deployment.start(
            NervaBinary.path, ["fed", "flower-client", "--superlink", "127.0.0.1:\(port)"] + Self.nervaArguments,
            log: log)
        #expect(
            try await deployment.waitForLog(log, containing: "joined the SuperLink", of: nerva, seconds: 120),
            "\(deployment.log(log))")
        let record = deployment.folder.appendingPathComponent("\(name).json").path
        let run = try deployment.start(
            "flwr",
            [
                "run", FlowerDeployment.app.path, "nervatest", "--stream", "--run-config",
                "record=\"\(record)\" num-server-rounds=2 \(config)"
            ], log: "flwr-\(name).log")
        if let killAfter {
            #expect(
                try await deployment.waitForLog(log, containing: killAfter, of: nerva, seconds: 300),
                "\(deployment.log(log))")
            FlowerDeployment.signal(SIGKILL, tree: nerva.processIdentifier)
        }
        #expect(try await deployment.wait(for: run, seconds: 600) == 0, "\(deployment.log("flwr-\(name).log"))")
        if killAfter == nil {
            #expect(try await deployment.wait(for: nerva, seconds: 90) == 0, "\(deployment.log(log))")
        }
        return deployment.log(log)
    }

    /// Round `index` of a record: global model, aggregate, and each reply's arrays and count.
    static func round(
        _ record: FlowerRecordCheck, _ index: Int
    )
        throws -> (
            global: [String: [Double]], aggregate: [String: [Double]],
            replies: [(arrays: [String: [Double]], count: Double)]
        )
    {
        let round = try #require(record.rounds.count > index ? record.rounds[index] : nil)
        let replies = (round["replies"] as? [[String: Any]] ?? []).compactMap {
            reply -> ([String: [Double]], Double)? in
            guard let arrays = reply["arrays"] as? [String: [Double]],
                let count = (reply["metrics"] as? [String: Any])?["num-examples"] as? Double
            else { return nil }
            return (arrays, count)
        }
        return (
            try #require(round["global"] as? [String: [Double]]),
            try #require(round["aggregate"] as? [String: [Double]]), replies
        )
    }
}
