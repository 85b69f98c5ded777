import Foundation
import NervaTestSupport
import Testing

@testable import NervaFed

/// A real Flower 1.42 federation on loopback (the issue's CI interop test): `flower-superlink
/// --insecure`, one Python `flower-supernode` running scripts/flower-app's numpy ClientApp, one
/// `nerva fed flower-client`, and `flwr run` of the app's FedAvg ServerApp for 2 rounds. The
/// ServerApp records every reply and aggregate; the test recomputes the example-weighted mean.
/// Evaluation replies carry only `eval_loss` on both kinds of node (run config `evaluate-metrics`,
/// `--evaluate-metrics`), so their keys agree.
@Suite(.serialized) struct FlowerIntegrationTests {
    @Test(.timeLimit(.minutes(10))) func nervaAndPythonNodesTrainTogetherUnderFedAvg() async throws {
        guard let deployment = try FlowerDeployment.make() else { return }
        defer { deployment.stopAll() }
        let port = try await deployment.startSuperLink()

        // A request signed by a key the SuperLink does not know: 401 with Flower's detail.
        let stranger = try FleetClient(
            superlink: "127.0.0.1:\(port)", transport: .insecure, identity: FleetIdentity(),
            retryPolicy: FleetRetryPolicy(maximumAttempts: 1))
        var pull = Flwr_Proto_PullMessagesRequest()
        pull.node.nodeID = 12345
        do {
            _ = try await stranger.call("pull-messages", pull, as: Flwr_Proto_PullMessagesResponse.self)
            Issue.record("the SuperLink accepted an unknown node")
        } catch let FleetError.rejected(_, status, detail) {
            #expect(status == 401 && detail.contains("Invalid SuperNode authentication"), "\(status) \(detail)")
        }
        await stranger.shutdown()

        let python = try deployment.start(
            "flower-supernode",
            [
                "--insecure", "--superlink", "127.0.0.1:\(port)", "--host", "127.0.0.1",
                "--port", "\(try FlowerDeployment.freePort())",
                "--node-config", "partition-id=0 num-partitions=2 examples=90"
            ],
            log: "python-node.log")
        let nerva = try deployment.start(
            NervaBinary.path,
            [
                "fed", "flower-client", "--superlink", "127.0.0.1:\(port)", "--insecure",
                "--model", "mlp", "--hidden", "8", "--partition-id", "1", "--num-partitions", "2",
                "--limit", "600", "--examples", "30", "--max-runs", "1",
                "--seed", "4",
                "--evaluate-metrics", "eval_loss"
            ],
            log: "nerva-node.log")
        let run = try deployment.start(
            "flwr",
            [
                "run", FlowerDeployment.app.path, "nervatest", "--stream", "--run-config",
                "record=\"\(deployment.record.path)\" num-server-rounds=2 "
                    + "evaluate-metrics=\"eval_loss\""
            ],
            log: "flwr-run.log")
        #expect(try await deployment.wait(for: run, seconds: 420) == 0, "\(deployment.log("flwr-run.log"))")
        #expect(try await deployment.wait(for: nerva, seconds: 60) == 0, "\(deployment.log("nerva-node.log"))")
        _ = python

        let nervaLog = deployment.log("nerva-node.log")
        #expect(nervaLog.components(separatedBy: "replied to train").count - 1 == 2, "\(nervaLog)")
        #expect(nervaLog.contains("replied to evaluate") && nervaLog.contains("left the SuperLink"), "\(nervaLog)")
        let record = try #require(
            try? Data(contentsOf: deployment.record), "no record: \(deployment.log("flwr-run.log"))")
        let check = try FlowerRecordCheck(json: record)
        try check.verify(examples: [30, 90])
        // The Python nodes reply only eval_loss; so does Nerva with --evaluate-metrics (else the
        // message-API FedAvg fails with InconsistentMessageReplies).
        for evaluation in check.evaluations {
            for reply in evaluation["replies"] as? [[String: Any]] ?? [] {
                let keys = Set((reply["metrics"] as? [String: Any] ?? [:]).keys)
                #expect(keys == ["eval_loss", "num-examples"], "\(reply)")
            }
        }
    }
}

/// What the ServerApp recorded, checked against FedAvg's definition.
struct FlowerRecordCheck {
    let rounds: [[String: Any]]
    let evaluations: [[String: Any]]

    init(json: Data) throws {
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        rounds = try #require(object["rounds"] as? [[String: Any]])
        evaluations = object["evaluations"] as? [[String: Any]] ?? []
    }

    /// Every round: the global model is the previous aggregate, one trained reply per node with
    /// `examples` (sorted) as counts, and the aggregate is their example-weighted mean; every
    /// evaluation has a reply per node.
    func verify(examples: [Int]) throws {
        #expect(rounds.count == 2)
        let expectedCounts = examples.map(Double.init).sorted()
        var previousAggregate: [String: [Double]]?
        for round in rounds {
            let global = try #require(round["global"] as? [String: [Double]])
            if let previousAggregate {
                try expectClose(global, previousAggregate, tolerance: 1e-6, "global = previous aggregate")
            }
            let replies = try #require(round["replies"] as? [[String: Any]])
            #expect(
                replies.count == examples.count && replies.allSatisfy { ($0["error"] as? Bool) == false },
                "\(replies.map { $0["error"] ?? "?" })")
            let counts = replies.compactMap { ($0["metrics"] as? [String: Any])?["num-examples"] as? Double }
            #expect(counts.sorted() == expectedCounts, "\(counts)")
            let arrays = try replies.map { try #require($0["arrays"] as? [String: [Double]]) }
            for array in arrays {
                #expect(Set(array.keys) == Set(global.keys))
                #expect(array != global, "every node must send a trained model")
            }
            let aggregate = try #require(round["aggregate"] as? [String: [Double]])
            try expectClose(
                aggregate, Self.weightedMean(arrays, counts), tolerance: 1e-5,
                "FedAvg aggregate = example-weighted mean")
            previousAggregate = aggregate
        }
        #expect(evaluations.count == 2)
        for evaluation in evaluations {
            let replies = evaluation["replies"] as? [[String: Any]] ?? []
            let counts = replies.compactMap { ($0["metrics"] as? [String: Any])?["num-examples"] as? Double }
            #expect(counts.sorted() == expectedCounts, "\(replies)")
        }
    }

    /// `Σ countᵢ · arraysᵢ / Σ countᵢ`, per array name.
    static func weightedMean(_ arrays: [[String: [Double]]], _ counts: [Double]) -> [String: [Double]] {
        let total = counts.reduce(0, +)
        var mean: [String: [Double]] = [:]
        for (name, values) in arrays[0] {
            mean[name] = (0..<values.count).map { i in
                zip(arrays, counts).reduce(0.0) { $0 + $1.0[name]![i] * $1.1 / total }
            }
        }
        return mean
    }

    /// The largest absolute difference between two sets of arrays with the same names and sizes.
    static func largestDifference(_ a: [String: [Double]], _ b: [String: [Double]]) -> Double {
        guard Set(a.keys) == Set(b.keys) else { return .infinity }
        return a.reduce(0.0) { worst, entry in
            guard let other = b[entry.key], other.count == entry.value.count else { return .infinity }
            return max(worst, zip(entry.value, other).map { abs($0 - $1) }.max() ?? 0)
        }
    }

    private func expectClose(
        _ actual: [String: [Double]], _ expected: [String: [Double]], tolerance: Double, _ what: String
    ) throws {
        #expect(Set(actual.keys) == Set(expected.keys), "\(what)")
        var worst = 0.0
        for (name, values) in expected {
            let other = try #require(actual[name])
            #expect(other.count == values.count)
            for (a, b) in zip(other, values) { worst = max(worst, abs(a - b) / max(1, abs(b))) }
        }
        #expect(worst <= tolerance, "\(what): largest difference \(worst)")
    }
}
