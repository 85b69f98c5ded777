import Foundation
import NIOCore
import NervaData
import Testing

@testable import NervaFed

extension NetworkTests {
    @Suite struct NetworkRobustnessTests {
        /// Five misbehaving clients and one honest one: every round finishes with the honest update,
        /// and each misbehaviour is a failure with its own reason.
        @Test func misbehavingClientsAreFailuresWithReasons() throws {
            let data = SimulationTests.toyData(count: 600, seed: 1)
            var configuration = NetworkTestbed.configuration(minimumClients: 6)
            configuration.roundTimeout = 6
            let server = try FederationServer(
                model: SimulationTests.model, strategy: NetworkTestbed.strategy(), configuration: configuration,
                seed: 3)
            let port = try server.start()
            defer { server.stop() }
            let participants = SimulationTests.participants(data, clients: 6)
            let faults: [FederationClientFault?] = [nil, .nan, .wrongShape, .hugeNorm, .garbage, .hang]
            let running = NetworkTestbed.Running(
                try zip(participants, faults).map {
                    try NetworkTestbed.client($0, port: port, fault: $1)
                })
            let before = server.global
            let reports = try server.run(rounds: 2)
            server.finish(grace: 10)
            for outcome in running.join() { _ = try outcome.get() }

            for report in reports {
                #expect(report.accepted == ["client-00"])
                #expect(report.isUpdated)
                let reasons = Dictionary(uniqueKeysWithValues: report.failures.map { ($0.participant, $0.reason) })
                #expect(reasons.count == 5)
                guard case .nonFinite = reasons["client-01"] else {
                    Issue.record("NaN: \(String(describing: reasons["client-01"]))")
                    continue
                }
                guard case .wrongLayout(let problem) = reasons["client-02"] else {
                    Issue.record("shape: \(String(describing: reasons["client-02"]))")
                    continue
                }
                #expect(problem.contains("missing tensor"))
                guard case .normTooLarge = reasons["client-03"] else {
                    Issue.record("norm: \(String(describing: reasons["client-03"]))")
                    continue
                }
                guard case .error(let unreadable) = reasons["client-04"] else {
                    Issue.record("garbage: \(String(describing: reasons["client-04"]))")
                    continue
                }
                #expect(unreadable.contains("unreadable update"))
                #expect(reasons["client-05"] == .timedOut(seconds: 6))
            }
            #expect(server.global != before)
            #expect(server.global.isFinite)
        }

        /// Requests without a valid credential get 401 and change nothing; bodies above the limit get
        /// 413; hostile bodies get 400 with the reason; unknown tasks 404.
        @Test func hostileRequestsAreRefusedWithReasons() throws {
            var configuration = NetworkTestbed.configuration(
                minimumClients: 1,
                credentials: FederationCredentials([("client-00", "a-sufficiently-long-token")]))
            configuration.maximumMessageBytes = 4_096
            let server = try FederationServer(
                model: SimulationTests.model, strategy: NetworkTestbed.strategy(), configuration: configuration,
                seed: 3)
            let port = try server.start()
            defer { server.stop() }
            let participant = SimulationTests.participants(SimulationTests.toyData(count: 40, seed: 1), clients: 1)[0]
            let stranger = try NetworkTestbed.client(participant, port: port, token: "a-guessed-but-wrong-token")
            for (method, path) in [
                (FederationTransport.Method.post, FederationProtocol.registerPath), (.get, FederationProtocol.taskPath),
                (.post, FederationProtocol.heartbeatPath), (.get, FederationProtocol.modelPath),
                (.post, "\(FederationProtocol.resultPath)/x")
            ] {
                let reply = try stranger.transport.send(method, path, body: method == .post ? [1, 2, 3] : nil)
                #expect(reply.status == 401, "\(path)")
                #expect(reply.errorMessage.contains("missing or invalid credential"))
            }
            #expect(server.hub.connected().isEmpty)

            let member = try NetworkTestbed.client(participant, port: port, token: "a-sufficiently-long-token")
            let tooLarge = try member.transport.send(
                .post, "\(FederationProtocol.resultPath)/x", body: [UInt8](repeating: 7, count: 10_000))
            #expect(tooLarge.status == 413)
            #expect(tooLarge.errorMessage.contains("exceeds the server's limit of 4096 bytes"))
            let unknown = try member.transport.send(.post, "\(FederationProtocol.resultPath)/no-such-task", body: [1])
            #expect(unknown.status == 404)

            // A real task, answered with hostile bodies: a huge header length, then truncated bytes.
            let hub = server.hub
            let waiting = Thread {
                _ = try? hub.perform(.fit, round: 1, body: [ByteBuffer(bytes: [0])], for: "client-00", timeout: 10)
            }
            waiting.start()
            var task: FederationHub.Assignment?
            for _ in 0..<100 where task == nil {
                task = hub.assignment(for: "client-00")
                Thread.sleep(forTimeInterval: 0.02)
            }
            let id = try #require(task?.id)
            var hugeHeader = [UInt8](repeating: 0, count: 16)
            hugeHeader.withUnsafeMutableBytes { $0.storeBytes(of: UInt64(1 << 40).littleEndian, as: UInt64.self) }
            let bad = try member.transport.send(.post, "\(FederationProtocol.resultPath)/\(id)", body: hugeHeader)
            #expect(bad.status == 400)
            #expect(bad.errorMessage.contains("unreadable fit result"))
            #expect(bad.errorMessage.contains("header"), "\(bad.errorMessage)")
            let late = try member.transport.send(.post, "\(FederationProtocol.resultPath)/\(id)", body: [1, 2, 3])
            #expect(late.status == 400 || late.status == 404)
        }

        /// The server answers while synchronous work holds every thread of Swift's cooperative pool
        /// (this test's thread and a blocker on each other one), as a training loop or a test runner
        /// embedding it would: its tasks run on threads of their own.
        @Test func serverAnswersWhileTheCooperativePoolIsBusy() throws {
            let server = try FederationServer(
                model: SimulationTests.model, strategy: NetworkTestbed.strategy(),
                configuration: NetworkTestbed.configuration(minimumClients: 1), seed: 3)
            let port = try server.start()
            defer { server.stop() }
            let blockers = ProcessInfo.processInfo.activeProcessorCount
            let started = BlockerCount(), release = DispatchSemaphore(value: 0)
            for _ in 0..<blockers {
                Task.detached {
                    started.increment()
                    release.wait()
                }
            }
            defer { for _ in 0..<blockers { release.signal() } }
            // Blockers that cannot start find the pool busy with other suites' work: busy either way.
            let deadline = Date().addingTimeInterval(5)
            while started.value < blockers - 1 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            Thread.sleep(forTimeInterval: 0.2)

            let participant = SimulationTests.participants(SimulationTests.toyData(count: 40, seed: 1), clients: 1)[0]
            let client = try NetworkTestbed.client(participant, port: port)
            let reply = try client.transport.send(.get, FederationProtocol.modelPath, timeout: 10)
            #expect(reply.status == 200)
        }

        /// A client retries with backoff until the server comes up, then joins.
        @Test func clientsWaitForALateServer() throws {
            // A port that was free a moment ago, outside Linux's ephemeral range (32768–60999), so no
            // other test's server on port 0 can take it meanwhile and talk to this client.
            var port = 0
            for candidate in (20_000..<30_000).shuffled() {
                var probing = NetworkTestbed.configuration(minimumClients: 1)
                probing.port = candidate
                let probe = try FederationServer(
                    model: SimulationTests.model, strategy: NetworkTestbed.strategy(), configuration: probing, seed: 3)
                if (try? probe.start()) != nil {
                    probe.stop()
                    port = candidate
                    break
                }
            }
            try #require(port != 0)
            let data = SimulationTests.toyData(count: 200, seed: 1)
            let running = NetworkTestbed.Running([
                try NetworkTestbed.client(SimulationTests.participants(data, clients: 1)[0], port: port)
            ])
            Thread.sleep(forTimeInterval: 1.5)
            var configuration = NetworkTestbed.configuration(minimumClients: 1)
            configuration.port = port
            let server = try FederationServer(
                model: SimulationTests.model, strategy: NetworkTestbed.strategy(), configuration: configuration,
                seed: 3)
            try server.start()
            defer { server.stop() }
            let reports = try server.run(rounds: 1)
            server.finish(grace: 10)
            #expect(reports.first?.accepted == ["client-00"])
            #expect(try running.join().first?.get().fitTasks == 1)
        }
    }
}

/// How many blocking tasks have started.
private final class BlockerCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
