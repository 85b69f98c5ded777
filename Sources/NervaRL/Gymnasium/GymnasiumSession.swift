import Foundation

/// A problem with the Gymnasium bridge, said in terms of what to do about it.
public enum GymnasiumBridgeError: Error, CustomStringConvertible, Equatable {
    /// No Python interpreter at the given path or name.
    case pythonNotFound(String)
    /// The helper script is missing.
    case helperNotFound(String)
    /// The helper process ended; its exit status and the end of what it wrote to stderr.
    case helperExited(status: Int32, stderr: String)
    /// The helper answered a request with an error (unknown environment id, bad action, …).
    case remote(String)
    /// A reply that does not follow the protocol.
    case malformedReply(String)
    /// A space Nerva's learners cannot use here.
    case unsupportedSpace(String)

    public var description: String {
        switch self {
        case let .pythonNotFound(python):
            return
                "Python not found at '\(python)'. Run scripts/install-dependencies (it makes .venv with gymnasium) or set NERVA_PYTHON."
        case let .helperNotFound(path):
            return
                "The Gymnasium helper script is missing at '\(path)'; run from the repository or set NERVA_GYMNASIUM_BRIDGE."
        case let .helperExited(status, stderr):
            return "The Gymnasium helper exited with status \(status)" + (stderr.isEmpty ? "." : ":\n\(stderr)")
        case let .remote(message): return "Gymnasium: \(message)"
        case let .malformedReply(detail): return "The Gymnasium helper sent a malformed reply: \(detail)"
        case let .unsupportedSpace(detail): return "Unsupported Gymnasium space: \(detail)"
        }
    }
}

/// One Gymnasium environment living in a Python child process that runs
/// `scripts/gymnasium_bridge.py`, spoken to through its stdin and stdout with length-prefixed
/// JSON frames (4-byte little-endian length, then UTF-8 JSON; the script documents the messages).
///
/// Requests are answered in order, one reply each; a reply `{"ok": false, "error": …}` becomes
/// `GymnasiumBridgeError.remote`, an ended process `.helperExited` with its stderr. The process
/// is closed when the session is released.
public final class GymnasiumSession {
    /// The environment id given to `gymnasium.make`.
    public let environmentID: String
    /// The observation space Gymnasium reports.
    public let observationSpace: Space
    /// The action space, as actions `0..<n` (Gymnasium's `start` is added when sending).
    public let actionSpace: Space
    /// `spec.max_episode_steps` (the time limit `gymnasium.make` applied), if any.
    public let maxEpisodeSteps: Int?
    /// `spec.reward_threshold`: the return at which Gymnasium considers the task solved, if any.
    public let rewardThreshold: Double?
    /// The Gymnasium version of the helper's interpreter.
    public let gymnasiumVersion: String
    /// Whether observations are discrete state indices (else Float32 vectors).
    public let hasDiscreteObservations: Bool
    /// The float64 internal state Gymnasium drew at the last reset, when the environment keeps one
    /// as `unwrapped.state` (classic control), for starting a Nerva environment in the same state.
    public private(set) var lastResetState: [Double]?
    /// The first error of `reset`/`step`, which cannot throw (the `Environment` protocol); once
    /// set, the environment reports every step as terminal without asking the helper.
    public private(set) var failure: GymnasiumBridgeError?

    private let channel: any GymnasiumChannel
    private let actionStart: Int

    /// Starts the helper and makes `environmentID` in it.
    ///
    /// - Parameters:
    ///   - environmentID: A Gymnasium id, such as `CartPole-v1`.
    ///   - python: The interpreter (default: `$NERVA_PYTHON`, else `.venv/bin/python3` of the repository, else `python3`).
    ///   - helper: The path of `gymnasium_bridge.py` (default: `$NERVA_GYMNASIUM_BRIDGE`, else `scripts/` of the repository).
    ///   - options: Keyword arguments of `gymnasium.make`, as a JSON object text (such as `{"is_slippery": false}`).
    /// - Throws: `GymnasiumBridgeError`.
    public convenience init(environmentID: String, python: String? = nil, helper: String? = nil, options: String = "{}")
        throws
    {
        let python = python ?? GymnasiumLocations.python
        let helper = helper ?? GymnasiumLocations.helper
        guard FileManager.default.fileExists(atPath: helper) else { throw GymnasiumBridgeError.helperNotFound(helper) }
        if python.contains("/") && !FileManager.default.isExecutableFile(atPath: python) {
            throw GymnasiumBridgeError.pythonNotFound(python)
        }
        Self.ignoreBrokenPipes
        let errorLog = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nerva-gymnasium-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: errorLog.path, contents: nil)
        let toHelper = Pipe(), fromHelper = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-u", helper]
        process.standardInput = toHelper
        process.standardOutput = fromHelper
        process.standardError = FileHandle(forWritingAtPath: errorLog.path)
        do { try process.run() } catch { throw GymnasiumBridgeError.pythonNotFound(python) }
        let channel = GymnasiumProcessChannel(
            process: process, input: toHelper.fileHandleForWriting,
            output: fromHelper.fileHandleForReading, errorLog: errorLog)
        do {
            try self.init(environmentID: environmentID, channel: channel, options: options)
        } catch let GymnasiumBridgeError.helperExited(status, _) where status == 127 {
            throw GymnasiumBridgeError.pythonNotFound(python)
        }
    }

    /// Makes `environmentID` through a channel that already speaks the bridge's frames (a helper
    /// started elsewhere, or a recorded conversation); the channel is closed when the session is
    /// released, or at once when making the environment fails.
    ///
    /// - Throws: `GymnasiumBridgeError`.
    public init(environmentID: String, channel: any GymnasiumChannel, options: String = "{}") throws {
        let environmentID = environmentID.trimmingCharacters(in: .whitespaces)
        do {
            let reply = try Self.exchange(
                #"{"cmd":"make","env_id":\#(GymnasiumJSON.quoted(environmentID)),"kwargs":\#(options)}"#,
                over: channel)
            let observation = try GymnasiumJSON.space(reply["observation_space"])
            guard case let .discrete(count, start) = try GymnasiumJSON.space(reply["action_space"]) else {
                throw GymnasiumBridgeError.unsupportedSpace(
                    "the actions of \(environmentID) form a Box; Nerva's learners need Discrete actions.")
            }
            actionSpace = .discrete(count)
            actionStart = start
            switch observation {
            case let .discrete(count, _): observationSpace = .discrete(count)
            case let .box(low, high): observationSpace = .box(low: low, high: high)
            }
            hasDiscreteObservations = observationSpace.shape.isEmpty
            maxEpisodeSteps = reply["max_episode_steps"] as? Int
            rewardThreshold = (reply["reward_threshold"] as? NSNumber)?.doubleValue
            gymnasiumVersion = reply["gymnasium_version"] as? String ?? "unknown"
        } catch {
            channel.close()
            throw error
        }
        self.environmentID = environmentID
        self.channel = channel
    }

    deinit { channel.close() }

    /// Resets the environment, seeded when `seed` is given; the observation as sent (an index or a vector).
    public func reset(seed: UInt64?) throws -> Any {
        let reply = try call(#"{"cmd":"reset","seed":\#(seed.map(String.init) ?? "null")}"#)
        guard let observation = reply["observation"] else {
            throw GymnasiumBridgeError.malformedReply("reset without an observation")
        }
        lastResetState = (reply["state"] as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue }
        return observation
    }

    /// Applies action `action` (in `0..<n`) and returns the raw reply fields.
    public func step(_ action: Int) throws -> (observation: Any, reward: Double, isTerminated: Bool, isTruncated: Bool)
    {
        let reply = try call(#"{"cmd":"step","action":\#(action + actionStart)}"#)
        guard let observation = reply["observation"], let reward = (reply["reward"] as? NSNumber)?.doubleValue,
            let terminated = reply["terminated"] as? Bool, let truncated = reply["truncated"] as? Bool
        else {
            throw GymnasiumBridgeError.malformedReply("step reply lacks observation, reward, terminated or truncated")
        }
        return (observation, reward, terminated, truncated)
    }

    /// Records the first failure of a non-throwing caller.
    func record(_ error: Error) {
        if failure == nil { failure = (error as? GymnasiumBridgeError) ?? .malformedReply("\(error)") }
    }

    private func call(_ request: String) throws -> [String: Any] {
        if let failure { throw failure }
        return try Self.exchange(request, over: channel)
    }

    /// Sends one request frame and reads its reply frame.
    private static func exchange(_ request: String, over channel: any GymnasiumChannel) throws -> [String: Any] {
        var frame = Data(count: 4)
        let payload = Data(request.utf8)
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { frame.replaceSubrange(0..<4, with: $0) }
        frame.append(payload)
        guard channel.write(frame) else { throw channel.endError() }
        guard let header = channel.read(count: 4) else { throw channel.endError() }
        let length = header.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
        guard length <= 64 << 20 else { throw GymnasiumBridgeError.malformedReply("a frame of \(length) bytes") }
        guard let body = channel.read(count: length) else { throw channel.endError() }
        guard let reply = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any],
            let ok = reply["ok"] as? Bool
        else {
            throw GymnasiumBridgeError.malformedReply(String(decoding: body.prefix(200), as: UTF8.self))
        }
        guard ok else { throw GymnasiumBridgeError.remote(reply["error"] as? String ?? "unknown error") }
        return reply
    }

    /// Writing to a helper that died must fail with EPIPE instead of killing Nerva with SIGPIPE.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()
}
