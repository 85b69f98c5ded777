import Foundation

/// The two byte streams between a `GymnasiumSession` and the helper that runs Gymnasium: request
/// frames go out, reply frames come in (each a 4-byte little-endian length, then UTF-8 JSON).
///
/// The session normally starts `scripts/gymnasium_bridge.py` and talks through its pipes; another
/// channel serves a helper started elsewhere, or replays a recorded conversation in tests.
public protocol GymnasiumChannel: AnyObject {
    /// Writes all of `data`; `false` when the other end is gone.
    func write(_ data: Data) -> Bool
    /// Reads exactly `count` bytes; `nil` when the stream ends first.
    func read(count: Int) -> Data?
    /// Why the stream ended (called after `write` or `read` failed).
    func endError() -> GymnasiumBridgeError
    /// Ends the conversation; called once more is harmless.
    func close()
}

/// The pipes of a helper process, whose stderr goes to `errorLog`.
final class GymnasiumProcessChannel: GymnasiumChannel {
    private let process: Process
    private let input: FileHandle
    private let output: FileHandle
    private let errorLog: URL
    private var isClosed = false

    init(process: Process, input: FileHandle, output: FileHandle, errorLog: URL) {
        self.process = process
        self.input = input
        self.output = output
        self.errorLog = errorLog
    }

    func write(_ data: Data) -> Bool { GymnasiumPipe.write(data, to: input.fileDescriptor) }

    func read(count: Int) -> Data? { GymnasiumPipe.read(count: count, from: output.fileDescriptor) }

    /// The helper's exit status and the end of its stderr.
    func endError() -> GymnasiumBridgeError {
        process.waitUntilExit()
        let log = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
        return .helperExited(status: process.terminationStatus, stderr: String(log.suffix(2_000)))
    }

    /// Closes the helper's stdin (it exits at end of input), waits up to 2 s, then terminates it.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        try? input.close()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: errorLog)
    }
}
