import ArgumentParser
import Foundation
import NervaData
import NervaFed
import NervaTensor

/// `nerva fed flower-client`: a Nerva participant joining a Flower 1.42 SuperLink.
struct FlowerClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flower-client",
        abstract:
            "Join a Flower 1.42 federation as a node: train and evaluate with Nerva on private Fashion-MNIST data.",
        discussion: """
            Connects to a Flower SuperLink's Fleet API (protobuf over HTTP, every request signed with the \
            node's key), registers and activates a node, and answers the ServerApp's train, evaluate and \
            query messages next to Flower's own Python SuperNodes: FedAvg, FedProx (proximal-mu) and \
            client-side DP clipping (clipping_norm) work as with a Python ClientApp, in the message API's \
            layout and in the legacy fitins/fitres layout of DefaultWorkflow; with SecAggPlusWorkflow the \
            node runs the client side of SecAgg+ (secaggplus_mod), so the server sees only the sum.

            A ServerApp sends arrays only, so --model names the architecture; its state-dictionary names \
            are PyTorch's: --model mlp is nn.Sequential(nn.Flatten(), nn.Linear(784, h1), nn.ReLU(), …, \
            nn.Linear(hN, 10)) with --hidden h1,…,hN (arrays 1.weight, 1.bias, 3.weight, …); --model cnn \
            is the LeNet of NIID-Bench (0.weight, 0.bias, 3.weight, …, 11.bias). Arrays with other names \
            are matched by order and shape.

            The node's private data is share --partition-id of --num-partitions of the Fashion-MNIST \
            training set (an IID split seeded by --seed). Training settings the ServerApp leaves out of \
            its config (lr, local-epochs, batch-size, momentum) default to the flags below.

            TLS: a SuperLink started with --ssl-certfile/--ssl-keyfile serves HTTPS; pass its CA \
            certificate with --root-certificates (or nothing, to trust the system's CAs). --insecure \
            speaks plain HTTP to a SuperLink started with --insecure.

            Example: nerva fed flower-client --superlink 127.0.0.1:8000 --insecure --partition-id 0 --num-partitions 2
            """
    )

    typealias Model = FashionMNISTArchitecture

    @Option(help: "The SuperLink's Fleet API address, HOST:PORT (flower-superlink --port, 8000 by default).")
    var superlink: String
    @Option(help: "PEM file of the certificate authorities to trust for the SuperLink's TLS certificate.")
    var rootCertificates: String?
    @Flag(help: "Plain HTTP, no TLS (for a SuperLink started with --insecure).")
    var insecure = false
    @Option(help: "PEM file of the node's P-256 key, created if missing (default: a new key each start).")
    var keyFile: String?
    @Flag(
        help:
            "Do not register the node's key (it was registered with `flwr supernode register`, as --enable-supernode-auth requires)."
    )
    var preregistered = false
    @Option(help: "The architecture the ServerApp's arrays belong to: mlp or cnn.")
    var model: Model = .mlp
    @Option(help: "Hidden layer widths of --model mlp, comma-separated.")
    var hidden = "200,200"
    @Option(parsing: .unconditional, help: "This node's share of the training set, from 0.")
    var partitionId = 0
    @Option(parsing: .unconditional, help: "The number of shares the training set is split into.")
    var numPartitions = 1
    @Option(parsing: .unconditional, help: "Use at most this many examples of the share.")
    var examples: Int?
    @Option(parsing: .unconditional, help: "Split only the first N training images.")
    var limit: Int?
    @Option(help: "The Fashion-MNIST folder (default \(FashionMNIST.defaultDirectory.path)).")
    var data: String?
    @Option(parsing: .unconditional, help: "Local learning rate when the config has no lr.")
    var learningRate: Float = 0.01
    @Option(parsing: .unconditional, help: "Local epochs when the config has no local-epochs.")
    var localEpochs = 1
    @Option(parsing: .unconditional, help: "Local batch size when the config has no batch-size.")
    var batchSize = 32
    @Option(parsing: .unconditional, help: "Local SGD momentum when the config has no momentum.")
    var momentum: Float = 0
    @Option(help: "Metrics of train replies, comma-separated (default: train_loss; \"\": only num-examples).")
    var trainMetrics: String?
    @Option(help: "Metrics of evaluate replies, comma-separated (default: eval_loss,eval_acc), as the Python nodes'.")
    var evaluateMetrics: String?
    @Option(parsing: .unconditional, help: "Seeds the data split and local shuffling.")
    var seed: UInt64 = 0
    @Option(
        parsing: .unconditional, help: "Leave after this many runs have finished (default: stay until interrupted).")
    var maxRuns: Int?
    @Option(parsing: .unconditional, help: "Heartbeat interval announced to the SuperLink, in seconds (10…1800).")
    var heartbeatInterval = 30.0
    @Option(
        parsing: .unconditional,
        help: "Attempts per request before giving up on an unreachable SuperLink (exponential backoff from 0.5 s).")
    var attempts = 8

    func validate() throws {
        if insecure && rootCertificates != nil {
            throw ValidationError("--insecure and --root-certificates exclude each other.")
        }
        guard numPartitions >= 1 else {
            throw ValidationError("--num-partitions must be at least 1, got \(numPartitions).")
        }
        guard (0..<numPartitions).contains(partitionId) else {
            throw ValidationError("--partition-id must be in 0..<\(numPartitions), got \(partitionId).")
        }
        guard hiddenSizes != nil else {
            throw ValidationError("--hidden must be positive integers separated by commas, got \"\(hidden)\".")
        }
        guard examples.map({ $0 >= 1 }) ?? true, limit.map({ $0 >= 1 }) ?? true else {
            throw ValidationError("--examples and --limit must be at least 1.")
        }
        do { try trainingDefaults.validate() } catch { throw ValidationError("\(error)") }
        do { _ = try metricKeys } catch { throw ValidationError("\(error)") }
        guard maxRuns.map({ $0 >= 1 }) ?? true else { throw ValidationError("--max-runs must be at least 1.") }
        guard (10...1800).contains(heartbeatInterval) else {
            throw ValidationError("--heartbeat-interval must be between 10 and 1800 seconds, got \(heartbeatInterval).")
        }
        guard attempts >= 1 else { throw ValidationError("--attempts must be at least 1.") }
        if let rootCertificates, !FileManager.default.isReadableFile(atPath: rootCertificates) {
            throw ValidationError("--root-certificates \(rootCertificates) is not a readable file.")
        }
    }

    private var hiddenSizes: [Int]? {
        let sizes = hidden.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return sizes.map { $0! }
    }

    /// The local-training flags as the library's configuration.
    var trainingDefaults: FlowerTrainingDefaults {
        FlowerTrainingDefaults(
            localEpochs: localEpochs, batchSize: batchSize, learningRate: learningRate,
            momentum: momentum, seed: seed)
    }

    var metricKeys: FlowerMetricKeys {
        get throws {
            FlowerMetricKeys(
                train: try trainMetrics.map(FlowerMetricKeys.keys),
                evaluate: try evaluateMetrics.map(FlowerMetricKeys.keys))
        }
    }

    var modelDescription: ModelDescription { model.modelDescription(hiddenSizes: hiddenSizes) }

    func run() throws {
        let train = try FashionMNIST.load(
            .train, directory: data.map { URL(fileURLWithPath: $0) } ?? FashionMNIST.defaultDirectory,
            limit: limit)
        guard train.count >= numPartitions else { // before the partition allocates a share per node
            throw ValidationError(
                "--num-partitions must be at most \(train.count) (the training images), got \(numPartitions).")
        }
        let parts = Partition.split(
            labels: train.labels, classCount: 10, clientCount: numPartitions, scheme: .iid,
            generator: RandomGenerator(seed: seed &+ 1))
        let indices = Array(parts[partitionId].prefix(examples ?? Int.max))
        guard !indices.isEmpty else {
            throw ValidationError("partition \(partitionId) of \(numPartitions) holds no examples.")
        }
        let participant = ClassificationParticipant(id: "nerva-\(partitionId)", data: train, trainIndices: indices)
        let handler = try FlowerMessageHandler(
            participant: participant, model: modelDescription,
            defaults: trainingDefaults, metricKeys: try metricKeys)
        let identity = try keyFile.map { try FleetIdentity(keyFile: URL(fileURLWithPath: $0)) } ?? FleetIdentity()
        let client = try FleetClient(
            superlink: superlink, transport: insecure ? .insecure : .tls(rootCertificates: rootCertificates),
            identity: identity, retryPolicy: FleetRetryPolicy(maximumAttempts: attempts))
        let node = FlowerNode(
            client: client, handler: handler,
            configuration: .init(heartbeatInterval: heartbeatInterval, registers: !preregistered, maximumRuns: maxRuns),
            log: {
                print("flower-client: \($0)")
                fflush(nil)
            })
        print(
            "flower-client: \(model.rawValue) (\(handler.layout.scalarCount) parameters, tensors \(handler.layout.names.joined(separator: ", "))), "
                + "partition \(partitionId) of \(numPartitions): \(indices.count) examples; SuperLink \(superlink) "
                + (insecure ? "(insecure HTTP)" : "(TLS)"))
        fflush(nil)
        let summary = try FlowerClientCommand.runUntilInterrupted {
            try await node.run()
        } cleanup: {
            await client.shutdown()
        }
        let replies = summary.replies.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print(
            "flower-client: done, node \(summary.nodeID): \(replies.isEmpty ? "no" : replies) replies, "
                + "\(summary.errorReplies) error replies, \(summary.finishedRuns.count) finished run(s)")
    }

    /// Runs `work` on the concurrency pool, cancelling it on SIGINT/SIGTERM (so the node leaves the
    /// federation cleanly), and waits for it.
    static func runUntilInterrupted<T: Sendable>(
        _ work: @escaping @Sendable () async throws -> T,
        cleanup: @escaping @Sendable () async -> Void
    ) throws -> T {
        let outcome = OutcomeBox<T>()
        let done = DispatchSemaphore(value: 0)
        let task = Task {
            let result: Result<T, any Error>
            do { result = .success(try await work()) } catch { result = .failure(error) }
            await cleanup()
            outcome.set(result)
            done.signal()
        }
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        done.wait()
        sources.forEach { $0.cancel() }
        return try outcome.get()
    }
}

/// The result of work finished on another thread.
private final class OutcomeBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?

    func set(_ result: Result<T, any Error>) { lock.withLock { self.result = result } }
    func get() throws -> T { try lock.withLock { result! }.get() }
}
