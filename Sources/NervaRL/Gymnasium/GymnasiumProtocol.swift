import Foundation

/// Locations of the Python interpreter and the helper script of the Gymnasium bridge.
public enum GymnasiumLocations {
    /// `$NERVA_PYTHON`, else `.venv/bin/python3` of the repository (made by
    /// `scripts/install-dependencies`, with gymnasium), else `python3` on the PATH.
    public static var python: String {
        if let configured = ProcessInfo.processInfo.environment["NERVA_PYTHON"], !configured.isEmpty {
            return configured
        }
        if let root = repositoryRoot {
            let venv = root.appendingPathComponent(".venv/bin/python3").path
            if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        }
        return "python3"
    }

    /// `$NERVA_GYMNASIUM_BRIDGE`, else `scripts/gymnasium_bridge.py` of the repository.
    public static var helper: String {
        if let configured = ProcessInfo.processInfo.environment["NERVA_GYMNASIUM_BRIDGE"], !configured.isEmpty {
            return configured
        }
        return (repositoryRoot ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .appendingPathComponent("scripts/gymnasium_bridge.py").path
    }

    /// The nearest folder holding `scripts/gymnasium_bridge.py`, looking up from the current
    /// directory, then from the running executable (`.build/release/nerva` lives in the repository).
    public static var repositoryRoot: URL? {
        let starts = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            URL(fileURLWithPath: CommandLine.arguments.first ?? "/").deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        ]
        for start in starts {
            var url = start.standardizedFileURL
            while true {
                if FileManager.default.fileExists(
                    atPath: url.appendingPathComponent("scripts/gymnasium_bridge.py").path)
                {
                    return url
                }
                let parent = url.deletingLastPathComponent()
                if parent.path == url.path { break }
                url = parent
            }
        }
        return nil
    }
}

/// The pieces of the bridge's JSON that are not plain values.
enum GymnasiumJSON {
    /// A space as the helper describes it (Gymnasium's `start` of a Discrete space kept).
    enum RemoteSpace {
        case discrete(count: Int, start: Int)
        case box(low: [Float], high: [Float])
    }

    /// `text` as a JSON string literal.
    static func quoted(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text])) ?? Data("[\"\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    static func space(_ value: Any?) throws -> RemoteSpace {
        guard let space = value as? [String: Any], let type = space["type"] as? String else {
            throw GymnasiumBridgeError.malformedReply("a space description is missing")
        }
        switch type {
        case "discrete":
            guard let count = space["n"] as? Int, count > 0 else {
                throw GymnasiumBridgeError.malformedReply("Discrete space without n")
            }
            // Actions are sent as `start + a` for a in 0..<n: that must not overflow.
            let start = space["start"] as? Int ?? 0
            guard !start.addingReportingOverflow(count).overflow else {
                throw GymnasiumBridgeError.malformedReply(
                    "Discrete space with n \(count) and start \(start) beyond 64-bit integers")
            }
            return .discrete(count: count, start: start)
        case "box":
            guard let low = space["low"] as? [Any], let high = space["high"] as? [Any], low.count == high.count,
                !low.isEmpty
            else {
                throw GymnasiumBridgeError.malformedReply("Box space without matching bounds")
            }
            func bound(_ value: Any, _ infinity: Float) -> Float {
                (value as? NSNumber).map { Float($0.doubleValue) } ?? infinity
            }
            return .box(low: low.map { bound($0, -.infinity) }, high: high.map { bound($0, .infinity) })
        default:
            throw GymnasiumBridgeError.unsupportedSpace(type)
        }
    }

    /// A vector observation.
    static func vector(_ value: Any, size: Int) throws -> [Float] {
        guard let values = value as? [Any], values.count == size else {
            throw GymnasiumBridgeError.malformedReply("an observation that is not \(size) numbers")
        }
        var result = [Float](repeating: 0, count: size)
        for (index, element) in values.enumerated() {
            guard let number = element as? NSNumber else {
                throw GymnasiumBridgeError.malformedReply("a non-numeric observation")
            }
            result[index] = Float(number.doubleValue)
        }
        return result
    }

    /// A discrete observation.
    static func index(_ value: Any, count: Int) throws -> Int {
        guard let index = value as? Int, (0..<count).contains(index) else {
            throw GymnasiumBridgeError.malformedReply("an observation \(value) outside 0..<\(count)")
        }
        return index
    }
}

/// Whole-buffer reads and writes on a pipe's file descriptor.
enum GymnasiumPipe {
    /// Writes all of `data`; `false` when the other end is gone.
    static func write(_ data: Data, to descriptor: Int32) -> Bool {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return false }
                offset += written
            }
            return true
        }
    }

    /// Reads exactly `count` bytes; `nil` at end of file (the helper exited).
    static func read(count: Int, from descriptor: Int32) -> Data? {
        var data = Data(count: count)
        let complete = data.withUnsafeMutableBytes { bytes -> Bool in
            var offset = 0
            while offset < count {
                let got = Foundation.read(descriptor, bytes.baseAddress! + offset, count - offset)
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { return false }
                offset += got
            }
            return true
        }
        return complete ? data : nil
    }
}
