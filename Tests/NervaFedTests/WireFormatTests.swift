import Foundation
import Testing

@testable import NervaFed

@Suite struct WireFormatTests {
    private func parameters(seed: UInt64) throws -> ParameterSet {
        ParameterSet(
            module: try ModelDescription.mlp(hiddenSizes: [8]).makeModel(generator: RandomGenerator(seed: seed)))
    }

    @Test func parameterSetsKeepOrderAndValuesThroughSafetensors() throws {
        let original = try parameters(seed: 1)
        let bytes = try original.encoded()
        let (decoded, _) = try ParameterSet.decode(safetensors: bytes)
        #expect(decoded == original)
        #expect(decoded.layout.names == ["1.weight", "1.bias", "3.weight", "3.bias"])
        // The wire form is plain safetensors: the engine's reader sees the same tensors.
        let tensors = try Safetensors.decode(bytes).tensors
        #expect(tensors["1.weight"]?.scalars == original.stateDictionary()["1.weight"]?.scalars)
    }

    @Test func fitInstructionsAndResultsRoundTrip() throws {
        let global = try parameters(seed: 2)
        let instruction = FitInstruction(
            model: .mlp(hiddenSizes: [8]), parameters: global,
            configuration: FitConfiguration(
                round: 3, localEpochs: 2, batchSize: 16, learningRate: 0.05,
                momentum: 0.9, proximalMu: 0.01, seed: 99))
        #expect(try WireFormat.decodeFitInstruction(WireFormat.encode(instruction)) == instruction)
        let result = FitResult(
            update: try parameters(seed: 3), kind: .parameters, exampleCount: 600, metrics: ["train_loss": 0.5])
        #expect(try WireFormat.decodeFitResult(WireFormat.encode(result)) == result)
    }

    @Test func malformedMessagesAreRejectedWithReasons() throws {
        let result = FitResult(update: try parameters(seed: 3), kind: .gradient, exampleCount: 5)
        let bytes = try WireFormat.encode(result)
        #expect(throws: WireFormatError.wrongMessage(expected: "fit", actual: "fit-result")) {
            try WireFormat.decodeFitInstruction(bytes)
        }
        #expect(throws: WireFormatError.tooLarge(byteCount: bytes.count, limit: 100)) {
            try WireFormat.decodeFitResult(bytes, sizeLimit: 100)
        }
        #expect(throws: SafetensorsError.self) { try WireFormat.decodeFitResult(Array(bytes.prefix(20))) }
    }
}
