import Foundation
import Testing

@testable import NervaFed

@Suite struct ModelDescriptionTests {
    @Test func mlpRoundTripsThroughJSONAndBuildsPyTorchNames() throws {
        let description = ModelDescription.mlp(hiddenSizes: [200, 200])
        let json = try description.jsonString()
        #expect(json.contains("\"type\":\"linear\""))
        let decoded = try ModelDescription(json: Data(json.utf8))
        #expect(decoded == description)
        let model = try decoded.makeModel(generator: RandomGenerator(seed: 1))
        #expect(model.stateDictionaryKeys() == ["1.weight", "1.bias", "3.weight", "3.bias", "5.weight", "5.bias"])
        #expect(model.parameterCount == 784 * 200 + 200 + 200 * 200 + 200 + 200 * 10 + 10)
        #expect(model(Tensor.zeros([4, 1, 28, 28])).shape == [4, 10])
    }

    @Test func lenetBuildsAndChainsShapes() throws {
        let description = ModelDescription.lenet()
        #expect(try description.validated() == [10])
        let decoded = try ModelDescription(json: description.jsonData())
        #expect(decoded == description)
        let model = try decoded.makeModel(generator: RandomGenerator(seed: 2))
        #expect(model(Tensor.zeros([2, 1, 28, 28])).shape == [2, 10])
    }

    @Test func optionalSettingsTakeTheirDefaults() throws {
        let json =
            #"{"inputShape":[3,8,8],"layers":[{"type":"conv2d","inputChannels":3,"outputChannels":4,"kernelSize":3},"#
            + #"{"type":"maxPool2d","kernelSize":2},{"type":"leakyReLU"},{"type":"flatten"},{"type":"dropout","probability":0.5},"#
            + #"{"type":"linear","inputSize":36,"outputSize":2,"bias":false}]}"#
        let description = try ModelDescription(json: Data(json.utf8))
        #expect(
            description.layers[0]
                == .conv2d(inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 1, padding: 0, bias: true))
        #expect(description.layers[1] == .maxPool2d(kernelSize: 2, stride: nil, padding: 0))
        #expect(try description.validated() == [2])
    }

    @Test func unknownLayersAndBadSettingsAreNamed() {
        func error(_ json: String) -> String {
            do {
                _ = try ModelDescription(json: Data(json.utf8))
                return "no error"
            } catch { return "\(error)" }
        }
        let unknown = error(#"{"inputShape":[4],"layers":[{"type":"relu"},{"type":"transformer","heads":8}]}"#)
        #expect(unknown.contains("layer 1") && unknown.contains("unknown type \"transformer\""), "\(unknown)")
        let missing = error(#"{"inputShape":[4],"layers":[{"type":"linear","inputSize":4}]}"#)
        #expect(missing.contains("layer 0") && missing.contains("outputSize"), "\(missing)")
        let mistyped = error(#"{"inputShape":[4],"layers":[{"type":"linear","inputSize":"four","outputSize":2}]}"#)
        #expect(mistyped.contains("layer 0") && mistyped.contains("inputSize"), "\(mistyped)")
        let shapes = error(
            #"{"inputShape":[1,28,28],"layers":[{"type":"flatten"},{"type":"linear","inputSize":100,"outputSize":2}]}"#)
        #expect(shapes.contains("layer 1") && shapes.contains("[784]") && shapes.contains("expects 100"), "\(shapes)")
        let conv = error(
            #"{"inputShape":[1,28,28],"layers":[{"type":"conv2d","inputChannels":3,"outputChannels":4,"kernelSize":3}]}"#
        )
        #expect(conv.contains("layer 0") && conv.contains("expects [3, H, W]"), "\(conv)")
        #expect(error("not json").contains("model description"))
    }

    /// Found while adding the federated-message fuzz target (issue #18): sizes in a received
    /// description overflowed `Int` (a padding of 2⁶²) or asked for more memory than exists, and
    /// trapped instead of being refused.
    @Test func sizesBeyondMemoryAreRefusedBeforeAnyAllocation() {
        func error(_ json: String) -> String {
            do {
                _ = try ModelDescription(json: Data(json.utf8))
                return "no error"
            } catch { return "\(error)" }
        }
        let padding = error(
            #"{"inputShape":[1,4,4],"layers":[{"type":"conv2d","inputChannels":1,"outputChannels":1,"kernelSize":3,"#
                + #""padding":4611686018427387904}]}"#)
        #expect(padding.contains("layer 0"), "\(padding)")
        let pool = error(
            #"{"inputShape":[1,4,4],"layers":[{"type":"maxPool2d","kernelSize":9223372036854775807,"padding":4611686018427387903}]}"#
        )
        #expect(pool.contains("layer 0"), "\(pool)")
        let input = error(#"{"inputShape":[4294967296,4294967296],"layers":[{"type":"flatten"}]}"#)
        #expect(input.contains("memory budget"), "\(input)")
        let weights = error(
            #"{"inputShape":[100000],"layers":[{"type":"linear","inputSize":100000,"outputSize":1000000000}]}"#)
        #expect(weights.contains("layer 0") && weights.contains("memory budget"), "\(weights)")
    }
}
