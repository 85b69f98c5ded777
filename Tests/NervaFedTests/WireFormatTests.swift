import Foundation
import NIOCore
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

    @Test func networkBuffersHoldTheSameBytesAsTheMessages() throws {
        let instruction = FitInstruction(
            model: .mlp(hiddenSizes: [8]), parameters: try parameters(seed: 4),
            configuration: FitConfiguration(round: 2, localEpochs: 1, batchSize: 8, learningRate: 0.1))
        #expect(Array(buffer: try WireFormat.encodedBuffer(instruction)) == (try WireFormat.encode(instruction)))
        let result = FitResult(
            update: try parameters(seed: 5), kind: .gradient, exampleCount: 7, metrics: ["train_loss": 0.25])
        #expect(Array(buffer: try WireFormat.encodedBuffer(result)) == (try WireFormat.encode(result)))
        let evaluation = EvaluateConfiguration(round: 2)
        #expect(
            Array(
                buffer: try WireFormat.encodedEvaluationBuffer(
                    model: .mlp(hiddenSizes: [8]), parameters: instruction.parameters, configuration: evaluation))
                == (try WireFormat.encodeEvaluation(
                    model: .mlp(hiddenSizes: [8]), parameters: instruction.parameters, configuration: evaluation)))
        #expect(
            Array(buffer: try WireFormat.encodedGlobalModelBuffer(model: .mlp(), parameters: result.update, round: 3))
                == (try WireFormat.encodeGlobalModel(model: .mlp(), parameters: result.update, round: 3)))
    }

    @Test func aRoundEncodesItsGlobalModelOnce() throws {
        let global = try parameters(seed: 6)
        let settings = FitConfiguration(round: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1)
        let tasks = EncodedTasks()
        let first = try tasks.body(
            for: FitInstruction(model: .mlp(hiddenSizes: [8]), parameters: global, configuration: settings))
        let second = try tasks.body(
            for: FitInstruction(model: .mlp(hiddenSizes: [8]), parameters: global, configuration: settings))
        // One buffer: the same storage, not an equal copy.
        #expect(first.withUnsafeReadableBytes { $0.baseAddress } == second.withUnsafeReadableBytes { $0.baseAddress })
        // Other settings, or other values (even equal ones in storage of their own), are encoded anew.
        var other = settings
        other.localEpochs = 2
        let third = try tasks.body(
            for: FitInstruction(model: .mlp(hiddenSizes: [8]), parameters: global, configuration: other))
        #expect(try WireFormat.decodeFitInstruction(Array(buffer: third)).configuration == other)
        var moved = global
        moved.values[0] += 1
        let fourth = try tasks.body(
            for: FitInstruction(model: .mlp(hiddenSizes: [8]), parameters: moved, configuration: other))
        #expect(try WireFormat.decodeFitInstruction(Array(buffer: fourth)).parameters == moved)
        let copy = ParameterSet(layout: moved.layout, values: moved.values.map { $0 })
        let fifth = try tasks.body(
            for: FitInstruction(model: .mlp(hiddenSizes: [8]), parameters: copy, configuration: other))
        #expect(Array(buffer: fifth) == Array(buffer: fourth))
        #expect(fifth.withUnsafeReadableBytes { $0.baseAddress } != fourth.withUnsafeReadableBytes { $0.baseAddress })
    }
}
