import Foundation
import NervaNN
import NervaTensor
import NervaTestSupport
import Testing

/// Whether PyTorch can be reached through `scripts/torch_interop.py`.
enum PyTorchInterop {
    static let isAvailable = PythonScript.canImport("torch, safetensors")
    static let isRequired = ProcessInfo.processInfo.environment["NERVA_REQUIRE_TORCH"] == "1"
    static let script = PythonScript.script("torch_interop.py")
}

/// PyTorch itself loads Nerva's checkpoints (strict `load_state_dict`) and computes the same
/// outputs, and Nerva loads PyTorch's. Runs where Python has torch and safetensors
/// (`scripts/install-dependencies --with-torch`); CI requires it.
@Suite(
    .enabled(
        if: PyTorchInterop.isAvailable || PyTorchInterop.isRequired,
        "needs Python with torch and safetensors: run scripts/install-dependencies --with-torch"))
struct PyTorchInteropTests {

    /// The architecture of `scripts/torch_interop.py`.
    static func model(seed: UInt64) -> Sequential {
        let rng = RandomGenerator(seed: seed)
        return Sequential(
            Linear(inputSize: 4, outputSize: 8, generator: rng), ReLU(), BatchNorm1d(featureCount: 8),
            Linear(inputSize: 8, outputSize: 8, generator: rng), Tanh(),
            Linear(inputSize: 8, outputSize: 3, generator: rng))
    }

    let inputs = Tensor.normal([5, 4], generator: RandomGenerator(seed: 11))

    func writeInputs(in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent("inputs.json")
        let json = "{\"shape\": \(inputs.shape), \"values\": \(inputs.scalars)}"
        try Data(json.utf8).write(to: url)
        return url
    }

    func outputs(of result: PythonScript.Output) throws -> [Float] {
        struct Values: Decodable { let values: [Float] }
        return try JSONDecoder().decode(Values.self, from: Data(result.stdout.utf8)).values
    }

    @Test func pytorchLoadsNervaCheckpointAndComputesTheSameOutputs() throws {
        try #require(
            PyTorchInterop.isAvailable, "torch is not importable by \(PythonScript.python) and NERVA_REQUIRE_TORCH=1")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nerva-torch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let model = Self.model(seed: 5)
        _ = model(inputs) // one training-mode pass moves the running statistics
        model.eval()
        let checkpoint = directory.appendingPathComponent("nerva.safetensors")
        try model.save(to: checkpoint)

        let result = PythonScript.run([
            PyTorchInterop.script, "load", checkpoint.path, try writeInputs(in: directory).path
        ])
        try #require(result.status == 0, "\(result.log)")
        let expected = withoutGradients { model(inputs) }.scalars
        expectClose(try outputs(of: result), expected, relativeTolerance: 1e-4, absoluteTolerance: 1e-5)
    }

    @Test func nervaLoadsPyTorchCheckpointAndComputesTheSameOutputs() throws {
        try #require(
            PyTorchInterop.isAvailable, "torch is not importable by \(PythonScript.python) and NERVA_REQUIRE_TORCH=1")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nerva-torch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let checkpoint = directory.appendingPathComponent("torch.safetensors")
        let result = PythonScript.run([
            PyTorchInterop.script, "save", checkpoint.path, try writeInputs(in: directory).path
        ])
        try #require(result.status == 0, "\(result.log)")

        let model = Self.model(seed: 99)
        try model.load(from: checkpoint) // strict: every PyTorch key, including num_batches_tracked
        model.eval()
        expectClose(
            withoutGradients { model(inputs) }.scalars, try outputs(of: result),
            relativeTolerance: 1e-4, absoluteTolerance: 1e-5)
    }
}
