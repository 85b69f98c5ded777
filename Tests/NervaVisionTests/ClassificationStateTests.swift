import Foundation
import NervaNN
import NervaTensor
import NervaVision
import Testing

@Suite struct ClassificationStateTests {
    /// A trainer after one step and the state of two epochs with their step losses.
    private func makeState(_ configuration: ClassificationConfiguration) -> (ClassificationState, ImageClassification) {
        let training = ImageClassification(
            architecture: configuration.architecture,
            learningRate: configuration.learningRate,
            generator: RandomGenerator(seed: 3))
        training.step(inputs: Tensor.uniform([4, 1, 28, 28], generator: RandomGenerator(seed: 4)), labels: [0, 1, 2, 3])
        let history = [
            ImageClassification.EpochResult(
                epoch: 1, trainLoss: 0.9, validationAccuracy: 0.7,
                samplesPerSecond: 50, stepLosses: [1.2, 0.8]),
            ImageClassification.EpochResult(
                epoch: 2, trainLoss: 0.5, validationAccuracy: 0.8,
                samplesPerSecond: 60, stepLosses: [0.6, 0.4])
        ]
        let state = ClassificationState(
            configuration: configuration, history: history,
            stepLosses: [1.2, 0.8, 0.6, 0.4], training: training)
        return (state, training)
    }

    private func encoded(_ state: ClassificationState) throws -> [UInt8] {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("nerva-state-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try state.write(to: url)
        return [UInt8](try Data(contentsOf: url))
    }

    @Test func aWrittenStateReadsBackAndRestoresTheTrainer() throws {
        var configuration = ClassificationConfiguration(architecture: .mlp)
        configuration.epochs = 5
        configuration.limit = 300
        configuration.seed = 11
        let (state, training) = makeState(configuration)
        let read = try ClassificationState(bytes: encoded(state))
        #expect(read.configuration == configuration)
        #expect(read.history.map(\.epoch) == [1, 2])
        #expect(read.history.map(\.validationAccuracy).map { Float($0) } == [0.7, 0.8])
        #expect(read.stepLosses.map { Float($0) } == [1.2, 0.8, 0.6, 0.4])

        let restored = ImageClassification(
            architecture: .mlp, learningRate: configuration.learningRate,
            generator: RandomGenerator(seed: 99))
        try read.restore(into: restored)
        let input = Tensor.uniform([2, 1, 28, 28], generator: RandomGenerator(seed: 5))
        #expect(withoutGradients { restored.model(input).scalars == training.model(input).scalars })
        #expect(restored.generator.snapshot == training.generator.snapshot)
    }

    /// Sizes and counts are checked before anything is allocated from them.
    @Test(arguments: [
        ("batch_size", "0", "batch size must be at least 1, got 0"),
        ("epochs", "-3", "epochs must be in 0…1000000, got -3"),
        ("limit", "2", "limit must be at least 10, got 2")
    ])
    func outOfRangeSettingsAreRefused(key: String, value: String, message: String) throws {
        let (state, _) = makeState(ClassificationConfiguration())
        var file = try Safetensors.decode(encoded(state))
        file.metadata[key] = value
        let bytes = try Safetensors.encode(file.tensors, metadata: file.metadata)
        let error = #expect(throws: ClassificationStateError.self) {
            try ClassificationState(bytes: bytes, source: "s")
        }
        #expect(error.map { "\($0)" } == "s: \(message).")
    }

    @Test func unreadableValuesAndMissingPartsAreNamed() throws {
        let (state, _) = makeState(ClassificationConfiguration())
        let file = try Safetensors.decode(encoded(state))
        var metadata = file.metadata
        metadata["architecture"] = "resnet"
        #expect(throws: ClassificationStateError.invalid(file: "s", key: "architecture", value: "resnet")) {
            try ClassificationState(bytes: Safetensors.encode(file.tensors, metadata: metadata), source: "s")
        }
        var tensors = file.tensors
        tensors["history"] = nil
        #expect(throws: ClassificationStateError.missing(file: "s", key: "history")) {
            try ClassificationState(bytes: Safetensors.encode(tensors, metadata: file.metadata), source: "s")
        }
        tensors = file.tensors
        tensors["history"] = Tensor([.infinity, 0.5, 0.8, 100], shape: [1, 4])
        #expect(throws: ClassificationStateError.invalid(file: "s", key: "history", value: "epoch inf in row 0")) {
            try ClassificationState(bytes: Safetensors.encode(tensors, metadata: file.metadata), source: "s")
        }
        tensors = file.tensors
        tensors["step_losses"] = Tensor([1, 2, 3, 4], shape: [2, 2])
        #expect(throws: ClassificationStateError.invalid(file: "s", key: "step_losses", value: "shape [2, 2]")) {
            try ClassificationState(bytes: Safetensors.encode(tensors, metadata: file.metadata), source: "s")
        }
    }

    /// States written before step losses were kept still resume (their curve starts later).
    @Test func aStateWithoutStepLossesReads() throws {
        let (state, _) = makeState(ClassificationConfiguration())
        var file = try Safetensors.decode(encoded(state))
        file.tensors["step_losses"] = nil
        let read = try ClassificationState(bytes: Safetensors.encode(file.tensors, metadata: file.metadata))
        #expect(read.stepLosses.isEmpty && read.history.count == 2)
    }
}
