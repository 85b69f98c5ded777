import Foundation
import NervaNN
import NervaTensor
import NervaTestSupport
import Testing

/// PyTorch reached through `scripts/torch_vision_interop.py`.
enum PyTorchVisionInterop {
    static let script = PythonScript.script("torch_vision_interop.py")
}

/// One layer checked against `torch.nn`: the Nerva layer, its PyTorch name and constructor
/// arguments (JSON), and the input shape.
struct VisionInteropCase: Sendable, CustomTestStringConvertible {
    let name: String
    let torchLayer: String
    let kwargs: String
    let inputShape: [Int]
    let make: @Sendable (RandomGenerator) -> any Layer

    var testDescription: String { name }
}

/// Nerva's vision layers compute PyTorch's outputs and gradients (input, weight, bias) on the
/// same random inputs and weights, PyTorch loads their state with strict `load_state_dict`, and
/// PyTorch loads a small CNN's checkpoint and computes the same outputs. Runs where Python has
/// torch and safetensors (`scripts/install-dependencies --with-torch`); CI requires it.
@Suite(
    .enabled(
        if: PyTorchInterop.isAvailable || PyTorchInterop.isRequired,
        "needs Python with torch and safetensors: run scripts/install-dependencies --with-torch"))
struct PyTorchVisionInteropTests {
    static let cases: [VisionInteropCase] = [
        VisionInteropCase(
            name: "conv2d", torchLayer: "Conv2d",
            kwargs: #"{"in_channels": 3, "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}"#,
            inputShape: [2, 3, 9, 8]
        ) {
            Conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1, generator: $0)
        },
        VisionInteropCase(
            name: "conv2d 5×5 no bias", torchLayer: "Conv2d",
            kwargs: #"{"in_channels": 2, "out_channels": 6, "kernel_size": 5, "padding": 2, "bias": false}"#,
            inputShape: [3, 2, 7, 7]
        ) {
            Conv2d(inputChannels: 2, outputChannels: 6, kernelSize: 5, padding: 2, bias: false, generator: $0)
        },
        VisionInteropCase(
            name: "convTranspose2d", torchLayer: "ConvTranspose2d",
            kwargs:
                #"{"in_channels": 4, "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}"#,
            inputShape: [2, 4, 5, 6]
        ) {
            ConvTranspose2d(
                inputChannels: 4, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1,
                generator: $0)
        },
        VisionInteropCase(
            name: "maxPool2d", torchLayer: "MaxPool2d", kwargs: #"{"kernel_size": 2}"#,
            inputShape: [2, 3, 8, 7]
        ) { _ in MaxPool2d(kernelSize: 2) },
        VisionInteropCase(
            name: "maxPool2d overlapping padded", torchLayer: "MaxPool2d",
            kwargs: #"{"kernel_size": 3, "stride": 2, "padding": 1}"#,
            inputShape: [2, 2, 9, 6]
        ) { _ in MaxPool2d(kernelSize: 3, stride: 2, padding: 1) },
        VisionInteropCase(
            name: "avgPool2d", torchLayer: "AvgPool2d", kwargs: #"{"kernel_size": 3, "stride": 2, "padding": 1}"#,
            inputShape: [2, 3, 7, 8]
        ) { _ in AvgPool2d(kernelSize: 3, stride: 2, padding: 1) },
        VisionInteropCase(
            name: "batchNorm2d", torchLayer: "BatchNorm2d", kwargs: #"{"num_features": 3}"#,
            inputShape: [4, 3, 5, 5]
        ) { _ in BatchNorm2d(featureCount: 3) },
        VisionInteropCase(
            name: "upsample", torchLayer: "Upsample", kwargs: #"{"scale_factor": 2, "mode": "nearest"}"#,
            inputShape: [2, 3, 4, 5]
        ) { _ in Upsample(scaleFactor: 2) }
    ]

    /// The architecture of `cnn()` in `scripts/torch_vision_interop.py`.
    static func cnn(seed: UInt64) -> Sequential {
        let rng = RandomGenerator(seed: seed)
        return Sequential(
            Conv2d(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: 1, generator: rng),
            BatchNorm2d(featureCount: 4),
            ReLU(), MaxPool2d(kernelSize: 2),
            ConvTranspose2d(
                inputChannels: 4, outputChannels: 6, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1,
                generator: rng), ReLU(),
            AvgPool2d(kernelSize: 4), Upsample(scaleFactor: 2),
            Conv2d(inputChannels: 6, outputChannels: 8, kernelSize: 3, stride: 2, generator: rng), Flatten(),
            Linear(inputSize: 32, outputSize: 5, generator: rng))
    }

    @Test func layersMatchPyTorchOutputsAndGradients() throws {
        try #require(
            PyTorchInterop.isAvailable, "torch is not importable by \(PythonScript.python) and NERVA_REQUIRE_TORCH=1")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nerva-torch-vision-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // Write every case, then run PyTorch once over the folder.
        var expectations: [(VisionInteropCase, any Layer, Tensor, Tensor)] = []
        for (index, c) in Self.cases.enumerated() {
            let rng = RandomGenerator(seed: 100 + UInt64(index))
            let layer = c.make(rng)
            let input = Tensor.normal(c.inputShape, generator: rng)
            layer.eval() // the output's shape, without moving running statistics
            let seed = Tensor.normal(withoutGradients { layer(input) }.shape, generator: rng)
            layer.train()
            var tensors = ["input": input, "seed": seed]
            for (key, value) in layer.stateDictionary() { tensors["state." + key] = value }
            try Safetensors.write(
                tensors, metadata: ["layer": c.torchLayer, "kwargs": c.kwargs],
                to: directory.appendingPathComponent("\(index).case.safetensors"))
            expectations.append((c, layer, input, seed))
        }
        let run = PythonScript.run([PyTorchVisionInterop.script, "layers", directory.path])
        try #require(run.status == 0, "\(run.log)")

        for (index, (c, layer, input, seed)) in expectations.enumerated() {
            let torch = try Safetensors.read(from: directory.appendingPathComponent("\(index).result.safetensors"))
                .tensors
            let x = input.detached().requiringGradient()
            let y = layer(x)
            let parameters = layer.namedParameters()
            let grads = gradients(of: y, wrt: [x] + parameters.map(\.tensor), seed: seed)
            let tolerance: (Float, Float) = (1e-4, 1e-5)
            expectClose(
                y, try #require(torch["output"]), relativeTolerance: tolerance.0, absoluteTolerance: tolerance.1,
                "\(c.name): output")
            expectClose(
                grads[0], try #require(torch["input_grad"]), relativeTolerance: tolerance.0,
                absoluteTolerance: tolerance.1, "\(c.name): input gradient")
            for ((name, _), grad) in zip(parameters, grads.dropFirst()) {
                expectClose(
                    grad, try #require(torch["grad." + name], "\(c.name): torch has no gradient for \(name)"),
                    relativeTolerance: tolerance.0, absoluteTolerance: 1e-4, "\(c.name): gradient of \(name)")
            }
            #expect(
                Set(parameters.map { "grad." + $0.name }) == Set(torch.keys.filter { $0.hasPrefix("grad.") }),
                "\(c.name)")
            for (name, buffer) in layer.namedBuffers() { // running statistics after one training step
                expectClose(
                    buffer, try #require(torch["state." + name]), relativeTolerance: tolerance.0,
                    absoluteTolerance: tolerance.1, "\(c.name): buffer \(name)")
            }
        }
    }

    @Test func pytorchLoadsSmallCNNCheckpointAndComputesTheSameOutputs() throws {
        try #require(
            PyTorchInterop.isAvailable, "torch is not importable by \(PythonScript.python) and NERVA_REQUIRE_TORCH=1")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nerva-torch-cnn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let model = Self.cnn(seed: 7)
        let input = Tensor.normal([3, 1, 12, 12], generator: RandomGenerator(seed: 8))
        _ = model(input) // a training-mode pass moves BatchNorm2d's running statistics
        model.eval()
        #expect(withoutGradients { model(input) }.shape == [3, 5])
        let checkpoint = directory.appendingPathComponent("cnn.safetensors")
        let inputs = directory.appendingPathComponent("input.safetensors"),
            output = directory.appendingPathComponent("output.safetensors")
        try model.save(to: checkpoint)
        try Safetensors.write(["input": input], to: inputs)

        let run = PythonScript.run([PyTorchVisionInterop.script, "cnn", checkpoint.path, inputs.path, output.path])
        try #require(run.status == 0, "\(run.log)")
        let torch = try #require(try Safetensors.read(from: output).tensors["output"])
        expectClose(withoutGradients { model(input) }, torch, relativeTolerance: 1e-4, absoluteTolerance: 1e-5)
    }
}
