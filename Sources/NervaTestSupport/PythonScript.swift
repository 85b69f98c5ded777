import Foundation

/// Runs the repository's Python scripts for interoperability tests against reference
/// implementations installed from PyPI (safetensors, numpy, torch).
///
/// The interpreter is `$NERVA_PYTHON` if set, else `<repository>/.venv/bin/python3` when
/// `scripts/install-dependencies` made it, else `python3`.
public struct PythonScript: Sendable {
    /// The exit status and output of one run.
    public struct Output: Sendable {
        public let status: Int32, stdout: String, stderr: String
        /// Everything, for failure messages.
        public var log: String { "exit status \(status)\n\(stdout)\(stderr)" }
    }

    /// The repository root (the folder holding Package.swift).
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/"
            && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
        {
            url.deleteLastPathComponent()
        }
        return url
    }()

    /// The Python interpreter used.
    public static let python: String = {
        if let configured = ProcessInfo.processInfo.environment["NERVA_PYTHON"], !configured.isEmpty {
            return configured
        }
        let venv = repositoryRoot.appendingPathComponent(".venv/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "python3"
    }()

    /// CI sets `NERVA_REQUIRE_INTEROP=1`: a missing interpreter or package is then a failure.
    public static let isRequired = ProcessInfo.processInfo.environment["NERVA_REQUIRE_INTEROP"] == "1"

    /// Whether `python -c "import <modules>"` succeeds.
    public static func canImport(_ modules: String) -> Bool { run(["-c", "import \(modules)"]).status == 0 }

    /// The path of `scripts/<name>`.
    public static func script(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("scripts").appendingPathComponent(name).path
    }

    /// Runs `python arguments…` in the repository root and waits for it.
    public static func run(_ arguments: [String]) -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        process.currentDirectoryURL = repositoryRoot
        // stderr goes to a file, so that a chatty child cannot block on a pipe nobody reads.
        let errorURL = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nerva-python-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: errorURL) }
        guard FileManager.default.createFile(atPath: errorURL.path, contents: nil),
            let errorHandle = FileHandle(forWritingAtPath: errorURL.path)
        else {
            return Output(status: -1, stdout: "", stderr: "cannot create \(errorURL.path)")
        }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = errorHandle
        do { try process.run() } catch {
            return Output(status: -1, stdout: "", stderr: "cannot run \(python): \(error)")
        }
        let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errorHandle.close()
        let errorData = (try? Data(contentsOf: errorURL)) ?? Data()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
            stderr: String(decoding: errorData, as: UTF8.self))
    }
}
