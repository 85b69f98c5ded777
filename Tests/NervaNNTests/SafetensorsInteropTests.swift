import Foundation
import NervaNN
import NervaTensor
import NervaTestSupport
import Testing

/// The safetensors reference implementation, reached through `scripts/safetensors_interop.py`.
enum SafetensorsInterop {
    static let script = PythonScript.script("safetensors_interop.py")
    static let isAvailable = PythonScript.canImport("safetensors, numpy")
    static let isRequired = PythonScript.isRequired
    static func run(_ arguments: [String]) -> PythonScript.Output { PythonScript.run(arguments) }

    /// Fails the test with instructions when the reference implementation cannot be imported.
    static func requireReference() throws {
        try #require(
            isAvailable,
            """
            \(PythonScript.python) cannot import safetensors and numpy (scripts/install-dependencies), \
            and NERVA_REQUIRE_INTEROP=1 makes this a failure.
            """)
    }
}

/// The contents of a checkpoint as exchanged with the Python script.
struct SafetensorsInteropContents: Codable {
    struct Entry: Codable { let dtype: String, shape: [Int], values: [Double] }
    let tensors: [String: Entry], metadata: [String: String]
}

// Skipped, not failed, when Python lacks `safetensors` or `numpy`, unless NERVA_REQUIRE_INTEROP=1.
@Suite(
    .enabled(
        if: SafetensorsInterop.isAvailable || SafetensorsInterop.isRequired,
        "needs Python with safetensors and numpy: run scripts/install-dependencies"))
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
            "odd": Tensor([1, 2, 3], shape: [3]) // a 12-byte tensor keeps later offsets off 8-byte alignment
        ]
        let metadata = ["format": "pt", "note": "é \"quoted\"\n"]
        let file = directory.file("nerva.safetensors"), expectedFile = directory.file("expected.json")
        try Safetensors.write(tensors, metadata: metadata, to: file)
        let expected = SafetensorsInteropContents(
            tensors: tensors.mapValues {
                .init(dtype: "float32", shape: $0.shape, values: $0.scalars.map(Double.init))
            },
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
        #expect(
            Set(expected.tensors.map(\.value.dtype)).isSuperset(of: [
                "float32", "float64", "float16", "int64",
                "int32", "uint8", "bool"
            ]))

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
