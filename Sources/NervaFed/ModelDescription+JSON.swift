import Foundation

/// The JSON form of a model description:
/// `{"inputShape": [1, 28, 28], "layers": [{"type": "conv2d", "inputChannels": 1, …}, {"type": "relu"}, …]}`.
/// Optional settings (`bias`, `stride`, `padding`, `negativeSlope`) may be left out.
extension ModelDescription: Codable {
    private enum CodingKeys: String, CodingKey { case inputShape, layers }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            inputShape: try container.decode([Int].self, forKey: .inputShape),
            layers: try container.decode([LayerDescription].self, forKey: .layers))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(inputShape, forKey: .inputShape)
        try container.encode(layers, forKey: .layers)
    }

    /// Parses and validates the JSON form.
    ///
    /// - Throws: `ModelDescriptionError` naming the layer index and the problem: an unknown
    ///   `"type"`, a missing or mistyped setting, or shapes that do not chain.
    public init(json data: Data) throws {
        do {
            self = try JSONDecoder().decode(ModelDescription.self, from: data)
        } catch let error as ModelDescriptionError {
            throw error
        } catch let error as DecodingError {
            throw ModelDescriptionError(error)
        } catch {
            throw ModelDescriptionError.invalidJSON(problem: "\(error)")
        }
        try validated()
    }

    /// The JSON form, with sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// The JSON form as a string.
    public func jsonString() throws -> String { String(decoding: try jsonData(), as: UTF8.self) }
}

extension ModelDescriptionError {
    /// A decoding error as a sentence naming the layer (from the coding path) and the setting.
    init(_ error: DecodingError) {
        func where_(_ path: [any CodingKey]) -> (index: Int?, key: String) {
            let index = path.count >= 2 && path[0].stringValue == "layers" ? path[1].intValue : nil
            return (index, path.last?.stringValue ?? "")
        }
        let (path, problem): ([any CodingKey], String) =
            switch error {
            case let .keyNotFound(key, context): (context.codingPath + [key], "missing setting \"\(key.stringValue)\"")
            case let .typeMismatch(type, context):
                (context.codingPath, "\"\(where_(context.codingPath).key)\" must be \(Self.kind(type))")
            case let .valueNotFound(type, context):
                (context.codingPath, "\"\(where_(context.codingPath).key)\" must be \(Self.kind(type))")
            case let .dataCorrupted(context): (context.codingPath, context.debugDescription)
            @unknown default: ([], "\(error)")
            }
        if let index = where_(path).index {
            self = .invalidSetting(index: index, type: "layer", problem: problem)
        } else {
            self = .invalidJSON(problem: problem)
        }
    }

    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Bool.Type: "true or false"
        case is Float.Type, is Double.Type: "a number"
        case is String.Type: "a string"
        default: "\(type)"
        }
    }
}

extension LayerDescription: Codable {
    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: Key.self)
        let index = decoder.codingPath.last?.intValue ?? -1
        let type = try fields.decode(String.self, forKey: Key("type"))
        do {
            self = try Self.decode(type: type, fields: fields, index: index)
        } catch let error as DecodingError {
            guard case .invalidSetting(_, _, let problem) = ModelDescriptionError(error) else { throw error }
            throw ModelDescriptionError.invalidSetting(index: index, type: type, problem: problem)
        }
    }

    private static func decode(type: String, fields: KeyedDecodingContainer<Key>, index: Int) throws -> LayerDescription
    {
        func int(_ key: String) throws -> Int { try fields.decode(Int.self, forKey: Key(key)) }
        func int(_ key: String, default value: Int) throws -> Int {
            try fields.decodeIfPresent(Int.self, forKey: Key(key)) ?? value
        }
        func float(_ key: String) throws -> Float { try fields.decode(Float.self, forKey: Key(key)) }
        func bias() throws -> Bool { try fields.decodeIfPresent(Bool.self, forKey: Key("bias")) ?? true }
        switch type {
        case "linear":
            return .linear(inputSize: try int("inputSize"), outputSize: try int("outputSize"), bias: try bias())
        case "conv2d":
            return .conv2d(
                inputChannels: try int("inputChannels"), outputChannels: try int("outputChannels"),
                kernelSize: try int("kernelSize"), stride: try int("stride", default: 1),
                padding: try int("padding", default: 0), bias: try bias())
        case "maxPool2d", "avgPool2d":
            let kernel = try int("kernelSize"), padding = try int("padding", default: 0)
            let stride = try fields.decodeIfPresent(Int.self, forKey: Key("stride"))
            return type == "maxPool2d"
                ? .maxPool2d(kernelSize: kernel, stride: stride, padding: padding)
                : .avgPool2d(kernelSize: kernel, stride: stride, padding: padding)
        case "batchNorm1d": return .batchNorm1d(featureCount: try int("featureCount"))
        case "batchNorm2d": return .batchNorm2d(featureCount: try int("featureCount"))
        case "dropout": return .dropout(probability: try float("probability"))
        case "relu": return .relu
        case "sigmoid": return .sigmoid
        case "tanh": return .tanh
        case "flatten": return .flatten
        case "leakyReLU":
            return .leakyReLU(
                negativeSlope: try fields.decodeIfPresent(Float.self, forKey: Key("negativeSlope")) ?? 0.01)
        default: throw ModelDescriptionError.unknownLayer(index: index, type: type)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: Key.self)
        try fields.encode(typeName, forKey: Key("type"))
        switch self {
        case let .linear(inputSize, outputSize, bias):
            try fields.encode(inputSize, forKey: Key("inputSize"))
            try fields.encode(outputSize, forKey: Key("outputSize"))
            try fields.encode(bias, forKey: Key("bias"))
        case let .conv2d(inputChannels, outputChannels, kernelSize, stride, padding, bias):
            try fields.encode(inputChannels, forKey: Key("inputChannels"))
            try fields.encode(outputChannels, forKey: Key("outputChannels"))
            try fields.encode(kernelSize, forKey: Key("kernelSize"))
            try fields.encode(stride, forKey: Key("stride"))
            try fields.encode(padding, forKey: Key("padding"))
            try fields.encode(bias, forKey: Key("bias"))
        case let .maxPool2d(kernelSize, stride, padding), let .avgPool2d(kernelSize, stride, padding):
            try fields.encode(kernelSize, forKey: Key("kernelSize"))
            try fields.encodeIfPresent(stride, forKey: Key("stride"))
            try fields.encode(padding, forKey: Key("padding"))
        case let .batchNorm1d(featureCount), let .batchNorm2d(featureCount):
            try fields.encode(featureCount, forKey: Key("featureCount"))
        case let .dropout(probability): try fields.encode(probability, forKey: Key("probability"))
        case let .leakyReLU(negativeSlope): try fields.encode(negativeSlope, forKey: Key("negativeSlope"))
        case .relu, .sigmoid, .tanh, .flatten: break
        }
    }
}
