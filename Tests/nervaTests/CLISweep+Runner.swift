import Foundation

/// Running `nerva` for the option sweep: one process with its own output files and a time limit,
/// and a pool that keeps two of them running at once.
enum SweepRunner {
    /// How one run ended.
    struct Outcome: Sendable {
        /// The exit status, or the signal number when `signalled`.
        let status: Int32
        /// Ended by a signal it raised itself (a trap or a crash), not by the time limit.
        let signalled: Bool
        /// Still running at the time limit (then killed).
        let timedOut: Bool
        let stdout: String
        let stderr: String
        let seconds: Double
    }

    /// Runs `nerva arguments…` in `folder` (its working directory, where its output files go);
    /// SIGKILL after `limit` seconds.
    static func run(_ arguments: [String], in folder: URL, limit: Double) throws -> Outcome {
        let manager = FileManager.default
        try manager.createDirectory(at: folder, withIntermediateDirectories: true)
        let outURL = folder.appendingPathComponent("stdout.txt"), errURL = folder.appendingPathComponent("stderr.txt")
        manager.createFile(atPath: outURL.path, contents: nil)
        manager.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = NervaCLI.executable
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        // A crash ends at once (the backtracer takes up to a minute per crash); it is still a signal.
        process.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_BACKTRACE": "enable=no"]) { $1 }
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in ended.signal() }
        let started = Date()
        try process.run()
        let timedOut = ended.wait(timeout: .now() + limit) == .timedOut
        if timedOut {
            kill(process.processIdentifier, SIGKILL)
            ended.wait()
        }
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal && !timedOut,
            timedOut: timedOut, stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "", seconds: Date().timeIntervalSince(started)
        )
    }

    /// Calls `work` on every element of `items`, `width` at a time; the results in the order of `items`.
    static func parallelMap<Item: Sendable, Result: Sendable>(
        _ items: [Item], width: Int = 2,
        _ work: @escaping @Sendable (Item) -> Result
    ) -> [Result] {
        let state = PoolState<Result>(count: items.count)
        DispatchQueue.concurrentPerform(iterations: width) { _ in
            while let index = state.next() { state.store(work(items[index]), at: index) }
        }
        return state.results.map { $0! }
    }
}

/// The shared queue and results of `SweepRunner.parallelMap`.
private final class PoolState<Result>: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private let count: Int
    private(set) var results: [Result?]

    init(count: Int) {
        self.count = count
        results = Array(repeating: nil, count: count)
    }

    func next() -> Int? {
        lock.withLock {
            guard nextIndex < count else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }
    }

    func store(_ result: Result, at index: Int) { lock.withLock { results[index] = result } }
}

/// The commands and options of `nerva --experimental-dump-help` (ArgumentParser's tool info).
struct HelpTree: Decodable {
    struct Name: Decodable {
        let kind: String
        let name: String
    }
    struct Argument: Decodable {
        let kind: String
        let names: [Name]?
        let allValues: [String]?
        /// The long name with its dashes, such as `--learning-rate`.
        var longName: String? { names?.first { $0.kind == "long" }.map { "--" + $0.name } }
    }
    struct Command: Decodable {
        let commandName: String
        let subcommands: [Command]?
        let arguments: [Argument]?
    }
    let command: Command

    /// Every leaf command as its path below `nerva` (`["rec", "train"]`) with its options' long names.
    var leaves: [(path: [String], options: [Argument])] {
        func walk(_ command: Command, _ path: [String]) -> [(path: [String], options: [Argument])] {
            let children = (command.subcommands ?? []).filter { $0.commandName != "help" }
            if children.isEmpty {
                let options = (command.arguments ?? []).filter { $0.kind == "option" && $0.longName != nil }
                return [(path, options)]
            }
            return children.flatMap { walk($0, path + [$0.commandName]) }
        }
        return walk(command, [])
    }
}
