import Foundation
import NervaNN
import NervaTensor
import Testing

/// Runs `scripts/safetensors_interop.py` with the Python of `$NERVA_PYTHON` (default `python3`).
enum SafetensorsInterop {
    struct Output: Sendable {
        let status: Int32, stdout: String, stderr: String
        var log: String { "exit status \(status)\n\(stdout)\(stderr)" }
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let script = repositoryRoot.appendingPathComponent("scripts/safetensors_interop.py").path
    static let python: String = {
        let configured = ProcessInfo.processInfo.environment["NERVA_PYTHON"] ?? ""
        return configured.isEmpty ? "python3" : configured
    }()
    /// CI sets `NERVA_REQUIRE_INTEROP=1`: a missing Python or package is then a failure, not a skip.
    static let isRequired = ProcessInfo.processInfo.environment["NERVA_REQUIRE_INTEROP"] == "1"
    static let probe = run(["-c", "import safetensors, numpy"])
    static let isAvailable = probe.status == 0

    /// Runs `python arguments…` through `/usr/bin/env`, so that `python` may be a bare name.
    static func run(_ arguments: [String]) -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        process.currentDirectoryURL = repositoryRoot
        // stderr goes to a file, so that a chatty child cannot block on a full pipe we are not reading.
        let errorURL = FileManager.default.temporaryDirectory.appendingPathComponent("nerva-interop-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: errorURL) }
        guard FileManager.default.createFile(atPath: errorURL.path, contents: nil),
              let errorHandle = FileHandle(forWritingAtPath: errorURL.path) else {
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
        return Output(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                      stderr: String(decoding: errorData, as: UTF8.self))
    }

    /// Fails the test with instructions when the reference implementation cannot be imported.
    static func requireReference() throws {
        try #require(isAvailable, """
            \(python) cannot import safetensors and numpy (pip install safetensors numpy), \
            and NERVA_REQUIRE_INTEROP=1 makes this a failure: \(probe.log)
            """)
    }
}

/// The contents of a checkpoint as exchanged with the Python script.
struct SafetensorsInteropContents: Codable {
    struct Entry: Codable { let dtype: String, shape: [Int], values: [Double] }
    let tensors: [String: Entry], metadata: [String: String]
}

// Skipped, not failed, when Python lacks `safetensors` or `numpy`, unless NERVA_REQUIRE_INTEROP=1.
@Suite(.enabled(if: SafetensorsInterop.isAvailable || SafetensorsInterop.isRequired,
                "needs python3 (or $NERVA_PYTHON) with safetensors and numpy: pip install safetensors numpy"))
struct SafetensorsInteropTests {
    @Test func referenceImplementationReadsNervaFiles() throws {
        try SafetensorsInterop.requireReference()
        let directory = try CheckpointTestDirectory()
        defer { directory.remove() }
        let tensors: [String: Tensor] = [
            "layer.0.weight": Tensor.normal([3, 4], generator: RandomGenerator(seed: 7)),
            "layer.0.bias": Tensor([0.5, -1.25, 3]),
            "scalar": Tensor(2.75),
            "empty": Tensor.zeros([0, 4]),
            "ünïcode \"name\"": Tensor([1, 2, 3, 4, 5, 6], shape: [1, 2, 3]),
            "odd": Tensor([1, 2, 3], shape: [3]),  // a 12-byte tensor keeps later offsets off 8-byte alignment
        ]
        let metadata = ["format": "pt", "note": "é \"quoted\"\n"]
        let file = directory.file("nerva.safetensors"), expectedFile = directory.file("expected.json")
        try Safetensors.write(tensors, metadata: metadata, to: file)
        let expected = SafetensorsInteropContents(
            tensors: tensors.mapValues { .init(dtype: "float32", shape: $0.shape, values: $0.scalars.map(Double.init)) },
            metadata: metadata)
        try JSONEncoder().encode(expected).write(to: expectedFile)

        let output = SafetensorsInterop.run([SafetensorsInterop.script, "check", file.path, expectedFile.path])
        #expect(output.status == 0, "\(output.log)")
    }

    @Test func nervaReadsReferenceFiles() throws {
        try SafetensorsInterop.requireReference()
        let directory = try CheckpointTestDirectory()
        defer { directory.remove() }
        let file = directory.file("reference.safetensors")
        let output = SafetensorsInterop.run([SafetensorsInterop.script, "make", file.path])
        try #require(output.status == 0, "\(output.log)")
        let expected = try JSONDecoder().decode(SafetensorsInteropContents.self, from: Data(output.stdout.utf8))
        #expect(Set(expected.tensors.map(\.value.dtype)).isSuperset(of: ["float32", "float64", "float16", "int64",
                                                                          "int32", "uint8", "bool"]))

        let (tensors, metadata) = try Safetensors.read(from: file)
        #expect(metadata == expected.metadata)
        #expect(Set(tensors.keys) == Set(expected.tensors.keys))
        for (name, entry) in expected.tensors {
            let tensor = try #require(tensors[name], "missing \(name)")
            #expect(tensor.shape == entry.shape, "\(name)")
            #expect(tensor.scalars == entry.values.map { Float($0) }, "\(name) (\(entry.dtype))")
        }
    }
}
