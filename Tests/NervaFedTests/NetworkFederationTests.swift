import Foundation
import NIOCore
import NervaData
import Testing

@testable import NervaFed

/// A federation on 127.0.0.1: a `FederationServer` on an ephemeral port and `FederationClient`s
/// on threads of this process, over real HTTP(S).
enum NetworkTestbed {
    static let settings = FitConfiguration(round: 0, localEpochs: 1, batchSize: 8, learningRate: 0.1, momentum: 0.5)

    static func strategy(minimumResults: Int = 1) -> FederatedStrategy {
        .fedAvg(clientSettings: settings, sampling: ClientSampling(minimumResults: minimumResults), seed: 9)
    }

    static func configuration(
        minimumClients: Int, tls: (String, String)? = nil, credentials: FederationCredentials? = nil,
        checkpoint: URL? = nil
    ) -> FederationServerConfiguration {
        var configuration = FederationServerConfiguration()
        configuration.minimumClients = minimumClients
        configuration.tls = tls
        configuration.credentials = credentials
        configuration.checkpoint = checkpoint
        configuration.roundTimeout = 60
        configuration.heartbeatTimeout = 15
        configuration.clientWaitTimeout = 30
        return configuration
    }

    /// Runs `clients` on threads of their own; `join()` waits for all and returns their outcomes in order.
    final class Running: @unchecked Sendable {
        private let group = DispatchGroup()
        private let lock = NSLock()
        private var outcomes: [Int: Result<FederationClientSummary, any Error>] = [:]
        private let count: Int

        init(_ clients: [FederationClient]) {
            count = clients.count
            for (index, client) in clients.enumerated() {
                group.enter()
                Thread { [self] in
                    let outcome = Result { try client.run() }
                    lock.withLock { outcomes[index] = outcome }
                    group.leave()
                }.start()
            }
        }

        func join(timeout: Double = 120) -> [Result<FederationClientSummary, any Error>] {
            _ = group.wait(timeout: .now() + timeout)
            return lock.withLock {
                (0..<count).map { outcomes[$0] ?? .failure(FederationClientError.invalidServer("still running")) }
            }
        }
    }

    static func client(
        _ participant: any FederatedParticipant, port: Int, https: Bool = false, token: String? = nil,
        roots: String? = nil, fault: FederationClientFault? = nil
    ) throws -> FederationClient {
        var configuration = FederationClientConfiguration(
            server: "\(https ? "https" : "http")://127.0.0.1:\(port)", token: token)
        configuration.rootCertificatesPath = roots
        configuration.fault = fault
        configuration.pollSeconds = 0.5
        configuration.giveUpAfter = 20
        return try FederationClient(participant: participant, configuration: configuration)
    }

    /// A self-signed certificate for `localhost` and 127.0.0.1, made with the `openssl` tool.
    static func selfSignedCertificate(in folder: URL) throws -> (certificate: String, key: String) {
        let certificate = folder.appendingPathComponent("cert.pem").path,
            key = folder.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"
        ]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl could not make a self-signed certificate")
        return (certificate, key)
    }

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("nerva-fed-net-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Every networked test, one at a time: a sync test blocks a thread of the cooperative pool (two
/// on two cores) and the in-process server's handlers need one.
@Suite(.serialized) struct NetworkTests {}

extension NetworkTests {
    @Suite struct NetworkFederationTests {
        static let tokens = [
            "client-00": "token-of-client-zero-0000", "client-01": "token-of-client-one-11111",
            "client-02": "token-of-client-two-22222"
        ]

        /// TLS, credentials, three clients in three rounds: the global model is bit for bit the one
        /// the in-process simulation computes with the same seed, and an intruder changes nothing.
        @Test func tlsFederationWithCredentialsEqualsTheSimulation() throws {
            let folder = try NetworkTestbed.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let (certificate, key) = try NetworkTestbed.selfSignedCertificate(in: folder)
            let data = SimulationTests.toyData(count: 600, seed: 1), test = SimulationTests.toyData(count: 200, seed: 2)
            let credentials = FederationCredentials(
                Self.tokens.sorted(by: { $0.key < $1.key }).map { ($0.key, $0.value) })
            let server = try FederationServer(
                model: SimulationTests.model, strategy: NetworkTestbed.strategy(),
                configuration: NetworkTestbed.configuration(
                    minimumClients: 3, tls: (certificate, key),
                    credentials: credentials),
                seed: 3)
            let port = try server.start()
            defer { server.stop() }

            // An intruder with a wrong token is refused at once and never counts as connected.
            let intruder = try NetworkTestbed.client(
                SimulationTests.participants(data, clients: 3)[0], port: port, https: true,
                token: "not-a-valid-token-at-all", roots: certificate)
            #expect(throws: FederationClientError.self) { try intruder.run() }
            #expect(server.hub.connected().isEmpty)
            // A client that does not trust the server's certificate cannot connect (TLS is really on).
            let untrusting = try NetworkTestbed.client(
                SimulationTests.participants(data, clients: 3)[0], port: port, https: true,
                token: Self.tokens["client-00"])
            #expect(throws: (any Error).self) { try untrusting.transport.send(.post, FederationProtocol.registerPath) }

            let participants = SimulationTests.participants(data, clients: 3)
            let running = NetworkTestbed.Running(
                try participants.map {
                    try NetworkTestbed.client(
                        $0, port: port, https: true, token: Self.tokens[$0.id], roots: certificate)
                })
            let reports = try server.run(rounds: 3)
            server.finish(grace: 10)
            let outcomes = running.join()
            for outcome in outcomes { #expect(try outcome.get().fitTasks == 3) }
            #expect(reports.map(\.accepted.count) == [3, 3, 3])
            #expect(reports.allSatisfy { $0.failures.isEmpty })

            let evaluator = try ClassificationEvaluator(model: SimulationTests.model, data: test)
            let simulation = try FederatedSimulation(
                model: SimulationTests.model, participants: SimulationTests.participants(data, clients: 3),
                strategy: NetworkTestbed.strategy(), seed: 3, concurrency: 2)
            try simulation.run(rounds: 3)
            #expect(server.global == simulation.global)
            let accuracy = try evaluator.evaluate(server.global).metrics["accuracy"] ?? 0
            #expect(accuracy > 0.8, "networked accuracy \(accuracy)")
        }

        /// The model download serves the architecture with the weights.
        @Test func modelDownloadCarriesTheArchitecture() throws {
            let server = try FederationServer(
                model: SimulationTests.model, strategy: NetworkTestbed.strategy(),
                configuration: NetworkTestbed.configuration(minimumClients: 1), seed: 4)
            let port = try server.start()
            defer { server.stop() }
            let data = SimulationTests.toyData(count: 40, seed: 1)
            let client = try NetworkTestbed.client(SimulationTests.participants(data, clients: 1)[0], port: port)
            let reply = try client.transport.send(.get, FederationProtocol.modelPath).expecting(200)
            let downloaded = try WireFormat.decodeGlobalModel(Array(reply.body.readableBytesView))
            #expect(downloaded.model == SimulationTests.model)
            #expect(downloaded.parameters == server.global)
            #expect(downloaded.round == 0)
        }
    }
}
