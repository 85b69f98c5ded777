import Foundation
import NervaTestSupport
import Testing

@testable import NervaFed

/// A Nerva Flower node's life next to a real Flower 1.42 SuperLink: SIGTERM makes it deactivate
/// and unregister before it exits (the SuperLink no longer lists it online), and a SuperLink that
/// restarts with a fresh state (HTTP 401 for the old node) gets the node back, registered anew.
@Suite(.serialized) struct FlowerNodeLifecycleTests {
    static func nodeID(in log: String, occurrence: Int) -> UInt64? {
        let parts = log.components(separatedBy: "as node ")
        guard parts.count > occurrence else { return nil }
        return UInt64(parts[occurrence].prefix { $0.isNumber })
    }

    @Test(.timeLimit(.minutes(10))) func sigtermLeavesAndASuperLinkRestartIsSurvived() async throws {
        guard let deployment = try FlowerDeployment.make() else { return }
        defer { deployment.stopAll() }
        let port = try await deployment.startSuperLink()
        let arguments = [
            "fed", "flower-client", "--superlink", "127.0.0.1:\(port)", "--insecure", "--model", "mlp", "--hidden", "8",
            "--limit", "100", "--attempts", "12"
        ]

        // SIGTERM: deactivated and unregistered before the exit.
        let first = try deployment.start(NervaBinary.path, arguments, log: "first.log")
        #expect(
            try await deployment.waitForLog("first.log", containing: "joined the SuperLink", of: first, seconds: 120))
        let firstID = try #require(Self.nodeID(in: deployment.log("first.log"), occurrence: 1))
        #expect(try await deployment.listedNodes()[firstID] == "online")
        kill(first.processIdentifier, SIGTERM)
        #expect(try await deployment.wait(for: first, seconds: 20) == 0, "\(deployment.log("first.log"))")
        let firstLog = deployment.log("first.log")
        #expect(
            firstLog.contains("left the SuperLink (node \(firstID))") && !firstLog.contains("could not"), "\(firstLog)")
        let status = try await deployment.listedNodes()[firstID]
        #expect(status != "online", "after SIGTERM the SuperLink lists node \(firstID) as \(status ?? "absent")")

        // A SuperLink restart: the old node id is unknown (401); the node registers again.
        let second = try deployment.start(NervaBinary.path, arguments, log: "second.log")
        #expect(
            try await deployment.waitForLog("second.log", containing: "joined the SuperLink", of: second, seconds: 120))
        let superLink = try #require(deployment.superLink)
        FlowerDeployment.signal(SIGTERM, tree: superLink.processIdentifier)
        _ = try await deployment.wait(for: superLink, seconds: 30)
        _ = try await deployment.startSuperLink(port: port)
        #expect(
            try await deployment.waitForLog("second.log", containing: "registering again", of: second, seconds: 120),
            "\(deployment.log("second.log"))")
        let rejoined = Date(timeIntervalSinceNow: 120)
        while Self.nodeID(in: deployment.log("second.log"), occurrence: 2) == nil, second.isRunning, Date() < rejoined {
            try await Task.sleep(for: .milliseconds(200))
        }
        let secondID = try #require(
            Self.nodeID(in: deployment.log("second.log"), occurrence: 2), "\(deployment.log("second.log"))")
        #expect(second.isRunning)
        #expect(try await deployment.listedNodes()[secondID] == "online")
        kill(second.processIdentifier, SIGTERM)
        #expect(try await deployment.wait(for: second, seconds: 20) == 0, "\(deployment.log("second.log"))")
    }
}

/// Issue #18: hostile training flags are refused by the library's configuration, exit 64.
@Suite struct FlowerClientFlagTests {
    @Test func nonFiniteTrainingFlagsExit64NamingTheField() throws {
        guard FileManager.default.isExecutableFile(atPath: NervaBinary.path) else {
            Issue.record("the nerva executable is not built at \(NervaBinary.path)")
            return
        }
        for (flag, value, field) in [
            ("--momentum", "nan", "momentum"), ("--learning-rate", "inf", "learning rate"),
            ("--momentum", "1.5", "momentum")
        ] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: NervaBinary.path)
            process.arguments = [
                "fed", "flower-client", "--superlink", "127.0.0.1:9", "--insecure", "--attempts", "1", flag, value
            ]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = Pipe()
            try process.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 64, "\(flag) \(value): \(text)")
            #expect(text.contains(field) && text.contains("got"), "\(flag) \(value): \(text)")
        }
    }
}
