import Foundation
import NervaData
import NervaFed
import NervaRec

/// The `fed` suite: the time of one simulated FedAvg round in the setting of McMahan et al.
/// (10 clients × 6,000 Fashion-MNIST images, MLP 784→200→200→10, E = 1, B = 10, SGD 0.01: 6,000
/// local steps), on one thread and on every core (wall-clock and CPU time), and the cost of the
/// wire format for that model, a round over HTTP on loopback, and a round of federated NeuMF with
/// one participant per user on MovieLens-100k-sized data.
public struct FedBenchmarks {
    /// Whether to measure for a shorter time (under 20 s per suite), less precisely.
    public let quick: Bool
    /// Where the measurements go.
    public let reporter: BenchmarkReporter
    /// The Fashion-MNIST folder (the original gzip'd IDX files).
    public let dataDirectory: URL

    /// A suite that reports to `reporter` and reads Fashion-MNIST from `dataDirectory`.
    /// - Parameters:
    ///   - quick: Whether to measure for a shorter time, less precisely.
    ///   - reporter: Where the measurements go (and which of them run: ``BenchmarkReporter/wants(_:)``).
    ///   - dataDirectory: The Fashion-MNIST folder.
    public init(quick: Bool, reporter: BenchmarkReporter, dataDirectory: URL) {
        self.quick = quick
        self.reporter = reporter
        self.dataDirectory = dataDirectory
    }

    /// Runs the suite's measurements that the reporter wants, in order.
    public func run() throws {
        if reporter.wants("fedavg_round") || reporter.wants("local_step_cpu") { try rounds() }
        if reporter.wants("wire_roundtrip") { try wireRoundTrip() }
        if reporter.wants("fedrec_round") { try recommendationRound() }
        if reporter.wants("secure_aggregation") { try secureAggregation() }
        // Last: its threads' allocator arenas stay resident afterwards and would count in the
        // peaks of the workloads after it.
        if reporter.wants("http_round") { try httpRound() }
    }

    /// Secure rounds (`SecureAggregationCost`: keys, encrypted shares, masking, unmasking) of
    /// 10, 50 and 200 participants with the MLP's 199,210 values plus a weight, one of them
    /// dropping out after sharing its keys: seconds per round and bytes each participant sends.
    /// The charts go to nerva-out/bench-fed/.
    private func secureAggregation() throws {
        let length = quick ? 20_000 : 199_211
        var costs: [SecureAggregationCost] = []
        for participants in [10, 50, 200] {
            let cost = try (0..<(quick || participants > 10 ? 1 : 3)).map { _ in
                try SecureAggregationCost.measure(participants: participants, values: length)
            }.min { $0.seconds < $1.seconds }!
            costs.append(cost)
            let params: KeyValuePairs<String, Any> = [
                "participants": participants, "neighbours": cost.neighbours, "threshold": cost.threshold,
                "values": length, "dropouts": cost.dropouts
            ]
            reporter.report("secure_aggregation_round", params: params, value: cost.seconds, unit: "s")
            reporter.report("secure_aggregation_client", params: params, value: cost.secondsPerClient, unit: "s")
            reporter.report("secure_aggregation_server", params: params, value: cost.serverSeconds, unit: "s")
            reporter.report("secure_aggregation_client_bytes", params: params, value: cost.bytesPerClient, unit: "B")
            reporter.report(
                "secure_aggregation_client_protocol_bytes", params: params, value: cost.protocolBytesPerClient,
                unit: "B")
        }
        try SecureAggregationCost.writeCharts(costs, to: URL(fileURLWithPath: "nerva-out/bench-fed"))
    }

    /// One round of federated NeuMF (8 factors, MLP 64→32→16→8) in which every one of 943 users
    /// (1,682 items, about 100 positives each, planted structure) refits its user embedding for one
    /// epoch, trains E = 1 local epoch with 4 negatives per positive, and the server averages the
    /// touched item rows.
    private func recommendationRound() throws {
        let users = quick ? 200 : 943, items = 1_682
        let dataset = SyntheticInteractions(users: users, items: items, meanInteractions: 106, seed: 1).dataset
        let split = SplitRule.leaveOneOut.split(dataset)
        let model = FederatedNCFModel(architecture: .neumf, itemCount: split.train.itemCount)
        let federation = FederatedRecommendation(split: split, model: model, seed: 1)
        let strategy = RowWeightedFedAvg(
            model: model,
            clientSettings: FitConfiguration(
                round: 0, localEpochs: 1, batchSize: 64,
                learningRate: 0.05),
            evaluationFraction: 0, seed: 1)
        let simulation = try federation.simulation(strategy: strategy, seed: 1)
        let seconds = try (0..<(quick ? 1 : 2)).map { _ in try simulation.runRound().seconds }.min()!
        reporter.report(
            "fedrec_round",
            params: [
                "users": users, "items": items, "interactions": split.train.count,
                "model": "neumf-8-64-32-16-8", "refit_epochs": model.refitEpochs, "E": 1, "B": 64,
                "threads": simulation.concurrency
            ],
            value: seconds, unit: "s")
    }

    private func rounds() throws {
        let clients = 10, perClient = quick ? 1_000 : 6_000
        let train = try FashionMNIST.load(.train, directory: dataDirectory, limit: clients * perClient)
        let parts = Partition.split(
            labels: train.labels, classCount: 10, clientCount: clients, scheme: .iid,
            generator: RandomGenerator(seed: 1))
        let participants = parts.enumerated().map {
            ClassificationParticipant(id: "client-\($0.offset)", data: train, trainIndices: $0.element)
        }
        let settings = FitConfiguration(round: 0, localEpochs: 1, batchSize: 10, learningRate: 0.01)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        for threads in Set([1, cores]).sorted() where !(quick && threads == 1 && cores > 1) {
            let simulation = try FederatedSimulation(
                model: .mlp(hiddenSizes: [200, 200]), participants: participants,
                strategy: FederatedStrategy.fedAvg(clientSettings: settings, seed: 2),
                seed: 3, concurrency: threads)
            var measured: [(wall: Double, cpu: Double)] = []
            for _ in 0..<(quick ? 1 : 2) {
                let cpuBefore = Self.processorSeconds()
                let wall = try simulation.runRound().seconds
                measured.append((wall, Self.processorSeconds() - cpuBefore))
            }
            let seconds = measured.map(\.wall).min()!
            let params: KeyValuePairs<String, Any> = [
                "clients": clients, "samples_per_client": perClient, "model": "mlp-784-200-200-10",
                "E": 1, "B": 10, "threads": threads
            ]
            if reporter.wants("fedavg_round") {
                reporter.report("fedavg_round", params: params, value: seconds, unit: "s")
                // CPU time of all threads: the round's cost independent of other processes on the machine.
                reporter.report("fedavg_round_cpu", params: params, value: measured.map(\.cpu).min()!, unit: "s")
            }
            if reporter.wants("local_step_cpu") {
                let steps = Double(clients * ((perClient + 9) / 10))
                reporter.report(
                    "local_step_cpu", params: ["model": "mlp-784-200-200-10", "B": 10, "threads": threads],
                    value: measured.map(\.cpu).min()! / steps * 1000, unit: "ms")
            }
        }
    }

    /// User plus system CPU time of the process so far, in seconds.
    private static func processorSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private func wireRoundTrip() throws {
        let model = try ModelDescription.mlp(hiddenSizes: [200, 200]).makeModel(generator: RandomGenerator(seed: 1))
        let result = FitResult(
            update: ParameterSet(module: model), kind: .parameters, exampleCount: 6_000, metrics: ["train_loss": 0.5])
        let rate = Stopwatch.rate(seconds: quick ? 0.3 : 1, work: 1) {
            _ = try? WireFormat.decodeFitResult(WireFormat.encode(result))
        }
        reporter.report(
            "wire_roundtrip", params: ["parameters": result.update.scalarCount], value: 1000 / rate, unit: "ms")
    }

    /// One round over real HTTP on 127.0.0.1 with 10 client threads and a 1.6 M-parameter model
    /// (MLP 784→2000→10) whose clients do no training: download, decoding, encoding, upload,
    /// validation and aggregation — the cost the network adds to a round.
    private func httpRound() throws {
        let clients = 10
        let strategy = FederatedStrategy.fedAvg(clientSettings: FitConfiguration(round: 0), seed: 1)
        let federation = try LoopbackFederation(
            model: .mlp(hiddenSizes: [2000]), participants: (0..<clients).map { EchoParticipant(id: "client-\($0)") },
            strategy: strategy, seed: 1, pollSeconds: 1)
        let rounds = quick ? 2 : 4
        // the first round also connects
        let seconds = try federation.run(rounds: rounds).dropFirst().map(\.seconds).min()!
        federation.finish(grace: 10)
        reporter.report(
            "http_round",
            params: ["clients": clients, "parameters": federation.global.scalarCount, "transport": "http-loopback"],
            value: seconds, unit: "s")
    }
}

/// A participant that sends back the parameters it received, slightly moved: a round without
/// training, to time the transport.
private final class EchoParticipant: FederatedParticipant {
    let id: String
    init(id: String) { self.id = id }

    func fit(_ instruction: FitInstruction) throws -> FitResult {
        var update = instruction.parameters
        update.values.withUnsafeMutableBufferPointer { values in for i in values.indices { values[i] += 1e-4 } }
        return FitResult(update: update, kind: .parameters, exampleCount: 100)
    }

    func evaluate(model: ModelDescription, parameters: ParameterSet, configuration: EvaluateConfiguration) throws
        -> ParticipantEvaluation
    {
        ParticipantEvaluation(loss: 0, exampleCount: 0)
    }
}
