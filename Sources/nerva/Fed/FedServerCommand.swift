import ArgumentParser
import Foundation
import NervaData
import NervaFed
import NervaNN

/// `nerva fed server`: the server of a real federation over HTTP(S).
struct FedServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Serve a federation: clients in other processes (`nerva fed client`) train on their private data.",
        discussion: """
            Waits for --min-clients clients, then runs --rounds rounds with --strategy, evaluating the global \
            model on the Fashion-MNIST test set after each. Clients that vanish, time out or send unusable \
            updates (wrong shapes, NaN, absurd norms) are counted as failures with reasons; a round keeps the \
            previous model when fewer than --min-results updates are usable. After every round the global \
            model and the round state are checkpointed atomically into --out; --resume continues from there. \
            Writes metrics.jsonl, the final global model (safetensors) and index.html into --out. With \
            --secure-aggregation each training round is four tasks per client (keys, encrypted shares, masked \
            update, unmasking) and the server learns only the sum of the updates.
            """
    )

    @OptionGroup(title: "Model and strategy") var training: FedStrategyOptions
    @Option(
        parsing: .unconditional,
        help: "Communication rounds (counting those of a resumed checkpoint; default \(federatedRunDefaults.rounds)).")
    var rounds: Int?
    @Option(parsing: .unconditional, help: "Start a round only when this many clients are connected.")
    var minClients = 2
    @Option(parsing: .unconditional, help: "Keep the previous model when a round has fewer usable updates than this.")
    var minResults = 1
    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"
    @Option(parsing: .unconditional, help: "The port (0: any free port, printed at start).")
    var port = 8750
    @Option(help: "PEM certificate chain: serve HTTPS (needs --tls-key).")
    var tlsCertificate: String?
    @Option(help: "PEM private key of --tls-certificate.")
    var tlsKey: String?
    @Option(help: "A file of allowed clients, one \"<client-id> <token>\" per line; without it any client may join.")
    var credentials: String?
    @Option(parsing: .unconditional, help: "The largest accepted request body, in MB.")
    var maxMessageMb = 256.0
    @Option(parsing: .unconditional, help: "Seconds a selected client has to answer before it counts as timed out.")
    var roundTimeout = 600.0
    @Option(parsing: .unconditional, help: "Seconds of silence after which a client counts as gone.")
    var heartbeatTimeout = 10.0
    @Option(parsing: .unconditional, help: "Give up when --min-clients have not connected within this many seconds.")
    var waitForClients = 600.0
    @Option(parsing: .unconditional, help: "Evaluate on only the first N test images.")
    var testLimit: Int?
    @Option(help: "The Fashion-MNIST folder (default \(FashionMNIST.defaultDirectory.path)).")
    var data: String?
    @Option(help: "Output folder (default ./nerva-out/fed-server-<timestamp>); it holds the checkpoint.")
    var out: String?
    @Flag(
        help:
            "Secure aggregation (SecAgg+): the server only sees the sum of each round's updates; each client masks with O(log n) neighbours, and clients lost between steps are recovered or the round fails with the reason."
    )
    var secureAggregation = false
    @Flag(help: "Continue from the checkpoint in --out (after a crash); starts fresh when there is none.")
    var resume = false
    @Option(
        parsing: .unconditional,
        help: "Rehearse a crash: the server kills itself (SIGKILL) right after checkpointing this round.")
    var crashAfterRound: Int?
    @Option(
        parsing: .unconditional,
        help:
            "Random seed (initial model and client sampling; the same as `fed simulate` gives the same choices; default \(federatedRunDefaults.seed))."
    )
    var seed: UInt64?

    /// The federation these options describe: `FederatedRun`'s defaults, overridden by the options given.
    func makeRun() throws -> FederatedRun {
        var run = FederatedRun()
        run.clients = minClients
        if let rounds { run.rounds = rounds }
        if let seed { run.seed = seed }
        run.testLimit = testLimit
        run.secureAggregation = secureAggregation
        try training.apply(to: &run)
        run.strategy.minimumResults = minResults
        return run
    }

    func validate() throws {
        if let rounds, rounds < 1 { throw ValidationError("--rounds must be at least 1, got \(rounds).") }
        guard minClients >= 1, minResults >= 1 else {
            throw ValidationError("--min-clients and --min-results must be at least 1.")
        }
        try rejectingInvalid { try makeRun().validate() }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535, got \(port).") }
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-certificate and --tls-key go together.")
        }
        try rejectingInvalid {
            try ConfigurationError.require(
                maxMessageMb > 0 && maxMessageMb <= 1_048_576, "--max-message-mb", maxMessageMb,
                allowed: "positive and at most 1048576 (1 TB)")
            var configuration = FederationServerConfiguration()
            configuration.roundTimeout = roundTimeout
            configuration.heartbeatTimeout = heartbeatTimeout
            configuration.clientWaitTimeout = waitForClients
            try configuration.validate()
        }
        if let testLimit, testLimit < 1 { throw ValidationError("--test-limit must be positive, got \(testLimit).") }
    }

    func run() throws {
        let run = try makeRun()
        let (model, rounds, seed) = (run.model, run.rounds, run.seed)
        let strategy = try run.strategy.makeStrategy(clients: minClients, seed: seed)
        let scheme = tlsCertificate == nil ? "http" : "https"
        let folder = try RunFolder(
            command: "fed-server", out: out,
            settings: run.settings.filter {
                !["clients", "partition", "examples", "over the wire format"].contains($0.0)
            }
                + [
                    ("min clients", "\(minClients)"), ("min results", "\(minResults)"), ("transport", scheme),
                    ("credentials", credentials ?? "none (open)")
                ], continuing: resume)
        var configuration = FederationServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.tls = tlsCertificate.map { ($0, tlsKey!) }
        configuration.credentials = try credentials.map {
            try FederationCredentials(contentsOf: URL(fileURLWithPath: $0))
        }
        configuration.maximumMessageBytes = Int(maxMessageMb * 1_048_576)
        configuration.roundTimeout = roundTimeout
        configuration.heartbeatTimeout = heartbeatTimeout
        configuration.minimumClients = minClients
        configuration.clientWaitTimeout = waitForClients
        configuration.checkpoint = folder.file("checkpoint.safetensors")
        let checkpoint =
            resume && FileManager.default.fileExists(atPath: folder.file("checkpoint.safetensors").path)
            ? try FederationCheckpoint(contentsOf: folder.file("checkpoint.safetensors")) : nil

        let test = try FashionMNIST.load(
            .test, directory: data.map { URL(fileURLWithPath: $0) } ?? FashionMNIST.defaultDirectory,
            limit: testLimit)
        let evaluator = try ClassificationEvaluator(model: model.modelDescription(), data: test)
        let server = try FederationServer(
            model: model.modelDescription(), strategy: strategy, configuration: configuration, seed: seed,
            resumingFrom: checkpoint, secureAggregation: secureAggregation ? SecureAggregationSettings() : nil,
            centralEvaluation: { try evaluator.evaluate($0) })
        let boundPort = try server.start()
        say("nerva fed server listening on \(scheme)://\(host):\(boundPort) → \(folder.url.path)")
        if let checkpoint {
            say("resumed from \(folder.file("checkpoint.safetensors").path) after round \(checkpoint.completedRounds)")
        }
        say(
            "\(strategy.name), \(model.rawValue) (\(server.global.scalarCount) parameters), \(rounds) rounds, waiting for \(minClients) clients"
        )
        var reports: [RoundReport] = []
        try server.run(rounds: rounds) { report in
            reports.append(report)
            let accuracy = report.centralEvaluation?.metrics["accuracy"] ?? .nan
            var record: MetricRecord = [
                "part": "fed-server", "round": report.round, "strategy": strategy.name, "test_accuracy": accuracy,
                "test_loss": report.centralEvaluation?.loss ?? .nan,
                "train_loss": report.trainMetrics["train_loss"] ?? .nan, "participants": report.selected.count,
                "accepted": report.accepted.count, "failures": report.failures.count,
                "updated": report.isUpdated, "seconds": report.seconds
            ]
            if !report.failures.isEmpty {
                record["failure_reasons"] = .string(report.failures.map(\.description).joined(separator: "; "))
            }
            folder.log(record)
            say(
                String(
                    format: "round %d: test accuracy %.4f, %d of %d updates accepted%@ (%.2f s)", report.round,
                    accuracy,
                    report.accepted.count, report.selected.count,
                    report.failures.isEmpty
                        ? "" : "; failures: " + report.failures.map(\.description).joined(separator: "; "),
                    report.seconds))
            if report.round == crashAfterRound {
                say("round \(report.round) is checkpointed; crashing on purpose (--crash-after-round)")
                kill(getpid(), SIGKILL)
            }
        }
        server.finish(grace: 10)
        let accuracy = try evaluator.evaluate(server.global).metrics["accuracy"] ?? 0
        try Safetensors.write(
            server.global.stateDictionary(),
            metadata: [
                "model": try model.modelDescription().jsonString(), "strategy": strategy.name, "rounds": "\(rounds)",
                "test_accuracy": "\(accuracy)", "seed": "\(seed)"
            ],
            to: folder.file("fed-global-\(model.rawValue).safetensors"))
        folder.addTable(
            title: "Rounds (this run)",
            header: ["round", "test accuracy", "train loss", "accepted", "failures", "seconds"],
            rows: reports.map { r in
                [
                    String(r.round), String(format: "%.4f", r.centralEvaluation?.metrics["accuracy"] ?? 0),
                    String(format: "%.4f", r.trainMetrics["train_loss"] ?? .nan),
                    "\(r.accepted.count)/\(r.selected.count)",
                    r.failures.map(\.description).joined(separator: "; "), String(format: "%.2f", r.seconds)
                ]
            })
        try folder.writeReport()
        say(
            String(
                format: "test accuracy after %d rounds: %.4f; report: %@", server.completedRounds, accuracy,
                folder.file("index.html").path))
    }
}

/// Prints a line and flushes at once, so that logs and supervising processes see it live.
func say(_ line: String) {
    print(line)
    fflush(nil)
}
