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
        let tasks = EncodedTasks()
        func instruction(_ parameters: ParameterSet, seed: UInt64) -> FitInstruction {
            FitInstruction(
                model: .mlp(hiddenSizes: [8]), parameters: parameters,
                configuration: FitConfiguration(round: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1, seed: seed))
        }
        func elements(_ parts: [ByteBuffer]) -> UnsafeRawPointer? {
            parts.last!.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress! + $0.count - 4) }
        }
        // Every client's message is exactly its own encoding …
        let first = try tasks.body(for: instruction(global, seed: 1))
        let second = try tasks.body(for: instruction(global, seed: 2))
        #expect(first.flatMap { Array(buffer: $0) } == (try WireFormat.encode(instruction(global, seed: 1))))
        #expect(second.flatMap { Array(buffer: $0) } == (try WireFormat.encode(instruction(global, seed: 2))))
        let evaluation = try tasks.body(
            model: .mlp(hiddenSizes: [8]), parameters: global, configuration: EvaluateConfiguration(round: 1))
        #expect(
            evaluation.flatMap { Array(buffer: $0) }
                == (try WireFormat.encodeEvaluation(
                    model: .mlp(hiddenSizes: [8]), parameters: global, configuration: EvaluateConfiguration(round: 1))))
        // … and all of them send the same bytes of the model, not copies.
        #expect(second.count == 2 && elements(first) == elements(second) && elements(evaluation) == elements(first))
        // Other values, even equal ones in storage of their own, are encoded anew.
        var moved = global
        moved.values[0] += 1
        let third = try tasks.body(for: instruction(moved, seed: 1))
        #expect(try WireFormat.decodeFitInstruction(third.flatMap { Array(buffer: $0) }).parameters == moved)
        let copy = ParameterSet(layout: moved.layout, values: moved.values.map { $0 })
        let fourth = try tasks.body(for: instruction(copy, seed: 1))
        #expect(fourth.flatMap { Array(buffer: $0) } == third.flatMap { Array(buffer: $0) })
        #expect(fourth.count == 1 && elements(fourth) != elements(third))
    }
}
