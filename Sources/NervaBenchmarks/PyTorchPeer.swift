import Foundation

/// PyTorch measuring the same workloads as Nerva, in the same run: `scripts/bench_pytorch.py
/// --serve` in the `.venv` that `scripts/install-dependencies --with-torch` makes, asked for one
/// workload at a time (JSON lines on its standard input and output), right after Nerva's own.
public final class PyTorchPeer {
    /// Why the peer could not start or answer.
    public enum PeerError: Error, CustomStringConvertible {
        /// Python, torch or the script is missing.
        case missing(String)
        /// The peer process failed or answered something else than a JSON object.
        case failed(String)

        /// The reason, for people.
        public var description: String {
            switch self {
            case .missing(let what): "--compare-pytorch needs \(what) (run scripts/install-dependencies --with-torch)."
            case .failed(let why): "the PyTorch benchmark process failed: \(why)"
            }
        }
    }

    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffer = Data()
    /// The PyTorch version and the CPU capability it reports, e.g. `2.15.0 (AVX512)`.
    public private(set) var version = ""

    /// Starts the peer with `threads` threads, from the checkout's `.venv` and `scripts/` (the
    /// environment variable `NERVA_PYTHON` names another Python).
    /// - Parameter threads: PyTorch's thread count (the same as Nerva's, to compare like with like).
    public init(threads: Int) throws {
        let root = PyTorchPeer.checkout()
        let python =
            ProcessInfo.processInfo.environment["NERVA_PYTHON"] ?? root.appendingPathComponent(".venv/bin/python3").path
        let script = root.appendingPathComponent("scripts/bench_pytorch.py").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw PeerError.missing("a Python at \(python)")
        }
        guard FileManager.default.fileExists(atPath: script) else { throw PeerError.missing(script) }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--serve", "--threads", String(threads)]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let reply = try request(["name": "version", "params": [String: Any]()])
        version = reply["version"] as? String ?? "(version unknown)"
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// PyTorch's figure for one workload and its process's peak resident memory while it ran.
    public struct Measurement: Sendable {
        /// The figure, in the unit of Nerva's measurement.
        public let value: Double
        /// `nil` when the peer cannot tell (no `/proc`).
        public let peakMegabytes: Double?
    }

    /// PyTorch's measurement of the workload `name` with `params`, in the same unit as Nerva's;
    /// `nil` when the peer has no such workload.
    /// - Parameters:
    ///   - name: The workload's name, as Nerva reports it.
    ///   - params: Its settings.
    ///   - quick: Whether to measure for a shorter time.
    public func measure(_ name: String, params: [String: Any], quick: Bool) throws -> Measurement? {
        let reply = try request(["name": name, "params": params, "quick": quick])
        guard let value = reply["value"] as? Double else { return nil }
        PyTorchPeer.settle()
        return Measurement(value: value, peakMegabytes: reply["peak_rss"] as? Double)
    }

    /// Waits for another library's idle threads to stop spinning (OpenMP and OpenBLAS workers
    /// busy-wait for a while after each call), so the next measurement starts on quiet cores.
    public static func settle() {
        Thread.sleep(forTimeInterval: 0.5)
    }

    private func request(_ object: [String: Any]) throws -> [String: Any] {
        var line = try JSONSerialization.data(withJSONObject: object)
        line.append(0x0A)
        try input.fileHandleForWriting.write(contentsOf: line)
        while true {
            if let end = buffer.firstIndex(of: 0x0A) {
                let reply = buffer[..<end]
                buffer.removeSubrange(...end)
                guard let object = try JSONSerialization.jsonObject(with: reply) as? [String: Any] else {
                    throw PeerError.failed("a reply that is not a JSON object")
                }
                return object
            }
            // `availableData` returns what the pipe holds (read(upToCount:) would wait for all 4 KB).
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                throw PeerError.failed("it exited (status \(process.isRunning ? -1 : process.terminationStatus))")
            }
            buffer.append(chunk)
        }
    }

    /// The source checkout this binary was built from (for `.venv` and `scripts/`), or the
    /// current directory when the sources are elsewhere.
    private static func checkout() -> URL {
        let source = URL(fileURLWithPath: #filePath) // …/Sources/NervaBenchmarks/PyTorchPeer.swift
        let root = source.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: root.appendingPathComponent("scripts/bench_pytorch.py").path) {
            return root
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }
}
