import Foundation
import Testing

/// A `nerva` process running in the background, its output collected as it comes.
private final class BackgroundNerva: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var collected = Data()
    private let finished = DispatchSemaphore(value: 0)

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = NervaCLI.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let reader = pipe.fileHandleForReading
        Thread { [self] in
            while case let chunk = reader.availableData, !chunk.isEmpty { lock.withLock { collected.append(chunk) } }
            finished.signal()
        }.start()
    }

    var text: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

    /// Waits until the output contains `marker`; the matching line, or `nil` after `seconds`.
    func wait(for marker: String, seconds: Double = 60) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let line = text.split(separator: "\n").first(where: { $0.contains(marker) }) { return String(line) }
            if !process.isRunning && finished.wait(timeout: .now()) == .success {
                finished.signal()
                return text.contains(marker) ? marker : nil
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    /// Waits for the process to end; its status (SIGKILL after `seconds`).
    @discardableResult
    func finish(seconds: Double = 120) -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill() }
        process.waitUntilExit()
        _ = finished.wait(timeout: .now() + 5)
        return process.terminationStatus
    }

    func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }
}

/// `nerva fed server` and `nerva fed client` as separate processes on loopback.
@Suite(.serialized) struct FedNetworkCLITests {
    static let tokens = [
        "client-000": "0000-secret-token-of-client-zero", "client-001": "1111-secret-token-of-client-one",
        "client-002": "2222-secret-token-of-client-two"
    ]

    /// The port in "listening on https://127.0.0.1:PORT".
    private static func port(_ server: BackgroundNerva) throws -> String {
        let line = try #require(server.wait(for: "listening on"), "no server: \(server.text)")
        return String(try #require(line.split(separator: ":").last?.split(separator: " ").first))
    }

    private static func metrics(_ out: URL) throws -> [[String: Any]] {
        try String(contentsOf: out.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
    }

    private static func client(
        _ id: Int, port: String, data: URL, scheme: String = "http", extra: [String] = [],
        token: String? = nil, partitions: Int = 3
    ) throws -> BackgroundNerva {
        try BackgroundNerva(
            [
                "fed", "client", "--server", "\(scheme)://127.0.0.1:\(port)", "--partition-id", "\(id)",
                "--num-partitions", "\(partitions)",
                "--data", data.path, "--seed", "1", "--give-up-after", "30"
            ] + extra,
            environment: token.map { ["NERVA_FED_TOKEN": $0] } ?? [:])
    }

    /// The scenario over TLS with credentials: three client processes, one killed
    /// (SIGKILL) in the middle of round 1, one sending NaN, and an intruder with a bad token.
    /// Every round finishes with the survivors.
    @Test func serverAndThreeClientsSurviveAKilledAndANaNClient() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try NervaCLI.writeTinyDataset(in: folder, trainCount: 600, testCount: 100)
        let certificate = folder.appendingPathComponent("cert.pem").path,
            key = folder.appendingPathComponent("key.pem").path
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            key,
            "-out", certificate, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0)
        let credentials = folder.appendingPathComponent("clients.txt")
        try Data(Self.tokens.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined().utf8).write(
            to: credentials)
        let out = folder.appendingPathComponent("server")

        let server = try BackgroundNerva([
            "fed", "server", "--port", "0", "--rounds", "3", "--min-clients", "3", "--batch-size", "8",
            "--learning-rate", "0.1", "--heartbeat-timeout", "2", "--round-timeout", "60",
            "--tls-certificate", certificate, "--tls-key", key, "--credentials", credentials.path,
            "--data", folder.path, "--out", out.path, "--seed", "1"
        ])
        let port = try Self.port(server)
        let tls = ["--root-certificates", certificate]
        let intruder = try Self.client(
            0, port: port, data: folder, scheme: "https", extra: tls, token: "not-the-right-token-000000")
        let clients = try [(0, [String]()), (1, ["--fault", "nan"]), (2, ["--fault", "hang"])].map { id, fault in
            try Self.client(
                id, port: port, data: folder, scheme: "https", extra: tls + fault,
                token: Self.tokens[String(format: "client-%03d", id)])
        }
        #expect(intruder.finish() != 0)
        #expect(intruder.text.contains("refused the credential"), "\(intruder.text)")
        #expect(clients[2].wait(for: "hanging on purpose") != nil, "\(clients[2].text)")
        clients[2].kill() // mid-round: it holds its round-1 task
        #expect(server.finish() == 0, "\(server.text)")
        #expect(clients[0].finish() == 0, "\(clients[0].text)")
        #expect(clients[1].finish() == 0, "\(clients[1].text)")
        clients[2].finish()

        let rounds = try Self.metrics(out)
        #expect(rounds.count == 3, "\(server.text)")
        for (index, round) in rounds.enumerated() {
            #expect(round["accepted"] as? Int == 1 && round["updated"] as? Bool == true, "\(round)")
            let reasons = round["failure_reasons"] as? String ?? ""
            #expect(reasons.contains("client-001: ") && reasons.contains("NaN"), "\(reasons)")
            if index == 0 { #expect(reasons.contains("client-002: error: vanished"), "\(reasons)") }
        }
        #expect(rounds.compactMap { $0["participants"] as? Int } == [3, 2, 2], "the intruder never took part")
        #expect(server.text.contains("test accuracy after 3 rounds"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint.safetensors").path))
    }

    /// The server is killed (SIGKILL, by `--crash-after-round`, so the moment is exact) after
    /// round 2 and restarted with --resume: round 2 is not lost, the clients reconnect by
    /// themselves, and the run matches `nerva fed simulate` exactly.
    @Test func killedServerResumesAndMatchesTheSimulation() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try NervaCLI.writeTinyDataset(in: folder, trainCount: 600, testCount: 100)
        let out = folder.appendingPathComponent("server")
        let serverArguments = [
            "fed", "server", "--rounds", "3", "--min-clients", "3", "--batch-size", "8", "--learning-rate", "0.1",
            "--heartbeat-timeout", "5", "--data", folder.path, "--out", out.path, "--seed", "1"
        ]
        let first = try BackgroundNerva(serverArguments + ["--port", "0", "--crash-after-round", "2"])
        let port = try Self.port(first)
        let clients = try (0..<3).map { try Self.client($0, port: port, data: folder) }
        #expect(first.finish() == SIGKILL, "\(first.text)")
        #expect(try Self.metrics(out).count == 2)

        let second = try BackgroundNerva(serverArguments + ["--port", port, "--resume"])
        #expect(second.wait(for: "resumed from") != nil, "\(second.text)")
        #expect(second.text.contains("after round 2"), "\(second.text)")
        #expect(second.finish() == 0, "\(second.text)")
        for client in clients { #expect(client.finish() == 0, "\(client.text)") }
        #expect(clients[0].text.contains("retrying in"), "the clients should have reconnected: \(clients[0].text)")
        let rounds = try Self.metrics(out)
        #expect(rounds.compactMap { $0["round"] as? Int } == [1, 2, 3])
        #expect(rounds.allSatisfy { $0["accepted"] as? Int == 3 })

        let simulated = try NervaCLI.run([
            "fed", "simulate", "--clients", "3", "--rounds", "3", "--batch-size", "8", "--learning-rate", "0.1",
            "--data", folder.path, "--out", folder.appendingPathComponent("simulated").path, "--seed", "1"
        ])
        #expect(simulated.status == 0, "\(simulated.text)")
        let simulatedRounds = try Self.metrics(folder.appendingPathComponent("simulated"))
        let networked = rounds.compactMap { $0["test_accuracy"] as? Double },
            local = simulatedRounds.compactMap { $0["test_accuracy"] as? Double }
        #expect(networked == local, "networked \(networked) vs simulated \(local)")
    }

    /// The float32 tensors of a safetensors file, concatenated in name order.
    private static func floats(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        let length = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) })
        let header = try #require(
            try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any])
        var values: [Float] = []
        for name in header.keys.sorted() where name != "__metadata__" {
            let entry = try #require(header[name] as? [String: Any])
            #expect(entry["dtype"] as? String == "F32")
            let offsets = try #require(entry["data_offsets"] as? [Int])
            let bytes = data.subdata(in: (8 + length + offsets[0])..<(8 + length + offsets[1]))
            values += bytes.withUnsafeBytes { raw in
                (0..<(raw.count / 4)).map {
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
                }
            }
        }
        return values
    }

    /// Issue #19 item 5: `fed server --secure-aggregation` with 10 client processes, one of them
    /// SIGKILLed between sharing its keys and uploading its masked update. Its neighbours' shares
    /// remove its masks, and the new global model equals plain FedAvg of the nine survivors (a
    /// plain server with those nine clients) up to the fixed-point quantisation.
    @Test func secureAggregationAcrossProcessesRecoversAKilledClient() throws {
        let folder = try NervaCLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try NervaCLI.writeTinyDataset(in: folder, trainCount: 600, testCount: 100)
        func server(_ out: URL, clients: Int, secure: Bool) throws -> BackgroundNerva {
            try BackgroundNerva(
                [
                    "fed", "server", "--port", "0", "--rounds", "1", "--min-clients", "\(clients)", "--batch-size", "8",
                    "--learning-rate", "0.1", "--heartbeat-timeout", "5", "--round-timeout", "120", "--data",
                    folder.path, "--out", out.path, "--seed", "1"
                ] + (secure ? ["--secure-aggregation"] : []))
        }
        let secureOut = folder.appendingPathComponent("secure"), plainOut = folder.appendingPathComponent("plain")
        let secure = try server(secureOut, clients: 10, secure: true)
        let port = try Self.port(secure)
        let clients = try (0..<10).map { id in
            try Self.client(id, port: port, data: folder, extra: id == 9 ? ["--fault", "hang"] : [], partitions: 10)
        }
        #expect(clients[9].wait(for: "shared keys", seconds: 120) != nil, "\(clients[9].text)")
        #expect(clients[9].wait(for: "hanging on purpose", seconds: 120) != nil, "\(clients[9].text)")
        clients[9].kill() // it shared its keys and holds its masked-input task
        #expect(secure.finish(seconds: 240) == 0, "\(secure.text)")
        for client in clients.prefix(9) { #expect(client.finish() == 0, "\(client.text)") }
        clients[9].finish()
        #expect(clients[0].text.contains("secure aggregation with 8 neighbours of 10"), "\(clients[0].text)")
        let round = try #require(try Self.metrics(secureOut).first)
        #expect(round["accepted"] as? Int == 9 && round["updated"] as? Bool == true, "\(round)")
        let reasons = round["failure_reasons"] as? String ?? ""
        #expect(reasons.contains("client-009") && reasons.contains("vanished"), "\(reasons)")

        let plain = try server(plainOut, clients: 9, secure: false)
        let plainPort = try Self.port(plain)
        let survivors = try (0..<9).map { try Self.client($0, port: plainPort, data: folder, partitions: 10) }
        #expect(plain.finish(seconds: 240) == 0, "\(plain.text)")
        for client in survivors { #expect(client.finish() == 0, "\(client.text)") }
        // Both rounds updated the model, so an unmasking that failed or left masks would show.
        #expect(try Self.metrics(plainOut).first?["accepted"] as? Int == 9)

        let (a, b) = (
            try Self.floats(secureOut.appendingPathComponent("fed-global-mlp.safetensors")),
            try Self.floats(plainOut.appendingPathComponent("fed-global-mlp.safetensors"))
        )
        #expect(a.count == b.count && a.count > 100_000)
        let difference = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        // 2⁻²⁴ per quantised value, divided by the total weight, plus float rounding.
        #expect(difference < 1e-5, "largest difference to plain FedAvg of the survivors: \(difference)")
    }
}
