import Foundation
import NervaTestSupport
import Testing

/// The `nerva` executable built beside the test bundle.
enum NervaBinary {
    static let path: String = {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("nerva").path
    }()
}

/// Flower processes started for one test from the `.venv-flower` that `scripts/install-dependencies
/// --with-flower` makes (or `$NERVA_FLOWER_PYTHON`'s folder), in a private `FLWR_HOME`; every
/// process is stopped by its PID in `stopAll()` (SIGTERM, then SIGKILL).
final class FlowerDeployment: @unchecked Sendable {
    /// The Flower App the test runs.
    static let app = PythonScript.repositoryRoot.appendingPathComponent("scripts/flower-app")
    let bin: URL
    let folder: URL
    /// Where the ServerApp writes what it saw.
    var record: URL { folder.appendingPathComponent("record.json") }
    private var processes: [Process] = []
    /// The SuperLink started last.
    private(set) var superLink: Process?
    private let lock = NSLock()

    private init(bin: URL) throws {
        self.bin = bin
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("nerva-flower-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("home"), withIntermediateDirectories: true)
    }

    /// A deployment, or nil (test skipped) when flwr is not installed, unless CI requires it.
    static func make() throws -> FlowerDeployment? {
        let python =
            ProcessInfo.processInfo.environment["NERVA_FLOWER_PYTHON"]
            ?? PythonScript.repositoryRoot.appendingPathComponent(".venv-flower/bin/python3").path
        let bin = URL(fileURLWithPath: python).deletingLastPathComponent()
        guard FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("flower-superlink").path) else {
            if PythonScript.isRequired {
                Issue.record(
                    "flwr 1.42 is missing (\(bin.path)/flower-superlink): run scripts/install-dependencies --with-flower"
                )
            } else {
                print(
                    "FlowerIntegrationTests skipped: no flower-superlink in \(bin.path) (scripts/install-dependencies --with-flower)"
                )
            }
            return nil
        }
        guard FileManager.default.isExecutableFile(atPath: NervaBinary.path) else {
            Issue.record("the nerva executable is not built at \(NervaBinary.path)")
            return nil
        }
        return try FlowerDeployment(bin: bin)
    }

    /// A TCP port nothing listens on now.
    static func freePort() throws -> Int {
        let socket = tcpSocket()
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts `flower-superlink --insecure` on a free loopback port, writes the `flwr` connection
    /// `nervatest` for it, and waits until it accepts connections; returns the port.
    func startSuperLink(port requested: Int? = nil) async throws -> Int {
        let port = try requested ?? Self.freePort()
        try """
        [superlink]
        default = "nervatest"

        [superlink.nervatest]
        address = "127.0.0.1:\(port)"
        insecure = true

        """.write(to: folder.appendingPathComponent("home/config.toml"), atomically: true, encoding: .utf8)
        let process = try start(
            "flower-superlink",
            [
                "--insecure", "--host", "127.0.0.1", "--port", "\(port)",
                "--disable-runtime-dependency-installation"
            ], log: "superlink.log")
        lock.withLock { superLink = process }
        let deadline = Date(timeIntervalSinceNow: 120)
        while Date() < deadline {
            if Self.accepts(port: port) { return port }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw FlowerDeploymentError(problem: "the SuperLink did not listen within 120 s:\n\(log("superlink.log"))")
    }

    /// Starts `executable` (a name in the venv's bin folder, or a path), output to `log` in the folder.
    func start(_ executable: String, _ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL =
            executable.hasPrefix("/") ? URL(fileURLWithPath: executable) : bin.appendingPathComponent(executable)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = bin.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["FLWR_HOME"] = folder.appendingPathComponent("home").path
        environment["FLWR_TELEMETRY_ENABLED"] = "0"
        environment["FLWR_DISABLE_UPDATE_CHECK"] = "1"
        process.environment = environment
        let output = folder.appendingPathComponent(log)
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        lock.withLock { processes.append(process) }
        return process
    }

    /// The exit status of `process`, waiting at most `seconds` (then it is killed: -1).
    func wait(for process: Process, seconds: Double) async throws -> Int32 {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        guard !process.isRunning else {
            Self.signal(SIGKILL, tree: process.processIdentifier)
            return -1
        }
        return process.terminationStatus
    }

    /// Waits until log `name` contains `text` (true), `process` has ended or `seconds` passed (false).
    func waitForLog(
        _ name: String, containing text: String, of process: Process,
        seconds: Double
    ) async throws -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if log(name).contains(text) { return true }
            guard process.isRunning else { return false }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// The SuperNodes the SuperLink lists (`flwr supernode ls --format json`): status by node id.
    func listedNodes() async throws -> [UInt64: String] {
        let listing = try start("flwr", ["supernode", "ls", "nervatest", "--format", "json"], log: "ls.log")
        guard try await wait(for: listing, seconds: 120) == 0 else {
            throw FlowerDeploymentError(problem: "flwr supernode ls failed:\n\(log("ls.log"))")
        }
        let text = log("ls.log")
        guard let start = text.firstIndex(of: "{"),
            let object = try? JSONSerialization.jsonObject(with: Data(text[start...].utf8)) as? [String: Any],
            let nodes = object["nodes"] as? [[String: Any]]
        else {
            throw FlowerDeploymentError(problem: "unreadable flwr supernode ls output:\n\(text)")
        }
        var statuses: [UInt64: String] = [:]
        for node in nodes {
            if let id = (node["node-id"] as? String).flatMap(UInt64.init), let status = node["status"] as? String {
                statuses[id] = status
            }
        }
        return statuses
    }

    func log(_ name: String) -> String {
        (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? "(no \(name))"
    }

    /// SIGTERM to every process started and all its descendants, SIGKILL after 10 s; removes the
    /// folder. Descendants are found before anything is signalled: Flower's `flower-superexec`
    /// starts its own session and would outlive its parent.
    func stopAll() {
        let started = lock.withLock { processes }
        let tree = started.flatMap { [$0.processIdentifier] + Self.descendants(of: $0.processIdentifier) }
        for pid in tree { kill(pid, SIGTERM) }
        let deadline = Date(timeIntervalSinceNow: 10)
        while tree.contains(where: { kill($0, 0) == 0 && !Self.isZombie($0) }) && Date() < deadline { usleep(100_000) }
        for pid in tree { kill(pid, SIGKILL) }
        if ProcessInfo.processInfo.environment["NERVA_KEEP_FLOWER_LOGS"] == nil {
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// Sends `signal` to `pid` and all its descendants.
    static func signal(_ signal: Int32, tree pid: pid_t) {
        for member in [pid] + descendants(of: pid) { kill(member, signal) }
    }

    /// The processes whose parent chain leads to `pid`, from `/proc`.
    static func descendants(of pid: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = pid_t(entry), let parent = parentID(of: child) else { continue }
            children[parent, default: []].append(child)
        }
        var found: [pid_t] = [], queue = [pid]
        while let next = queue.popLast() {
            for child in children[next] ?? [] {
                found.append(child)
                queue.append(child)
            }
        }
        return found
    }

    /// The parent of `pid` (field 4 of `/proc/PID/stat`, after the parenthesised command name).
    private static func parentID(of pid: pid_t) -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }

    private static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    private static func accepts(port: Int) -> Bool {
        let socket = tcpSocket()
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

private func tcpSocket() -> Int32 { socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }

struct FlowerDeploymentError: Error, CustomStringConvertible {
    let problem: String
    var description: String { problem }
}
