import Foundation
import NervaNN

/// A message that is not a valid federated message: every case says what is wrong.
public enum WireFormatError: Error, CustomStringConvertible, Equatable {
    case wrongMessage(expected: String, actual: String?)
    case missingField(message: String, field: String)
    case invalidField(message: String, field: String, problem: String)
    case tooLarge(byteCount: Int, limit: Int)

    public var description: String {
        switch self {
        case let .wrongMessage(expected, actual):
            "expected a \"\(expected)\" message, got \(actual.map { "\"\($0)\"" } ?? "none")"
        case let .missingField(message, field): "\(message) message: missing \"\(field)\""
        case let .invalidField(message, field, problem): "\(message) message: \"\(field)\" \(problem)"
        case let .tooLarge(count, limit): "message of \(count) bytes exceeds the limit of \(limit) bytes"
        }
    }
}

/// The bytes that travel between server and participants: one safetensors file per message,
/// whose tensors are the parameters and whose string metadata holds the control fields as JSON
/// (`nerva.message`, `nerva.model`, `nerva.configuration`, …). A safetensors body is readable by
/// any safetensors library, and a networked transport (HTTP bodies) needs nothing else.
public enum WireFormat {
    /// The largest message accepted by `decode…` (512 MB unless changed per call).
    public static let defaultSizeLimit = 512 << 20

    /// A fit instruction as bytes.
    public static func encode(_ instruction: FitInstruction) throws -> [UInt8] {
        try instruction.parameters.encoded(metadata: metadata(of: instruction))
    }

    static func metadata(of instruction: FitInstruction) throws -> [String: String] {
        [
            "nerva.message": "fit",
            "nerva.model": try instruction.model.jsonString(),
            "nerva.configuration": try json(instruction.configuration)
        ]
    }

    /// Decodes a fit instruction.
    ///
    /// - Throws: `WireFormatError`, `SafetensorsError` or `ModelDescriptionError` naming the problem.
    public static func decodeFitInstruction(_ bytes: some ContiguousBytes, sizeLimit: Int = defaultSizeLimit) throws
        -> FitInstruction
    {
        let (parameters, metadata) = try open(bytes, expecting: "fit", sizeLimit: sizeLimit)
        let model = try ModelDescription(json: Data(try field("nerva.model", of: "fit", in: metadata).utf8))
        let configuration: FitConfiguration = try decodeJSON("nerva.configuration", of: "fit", in: metadata)
        return FitInstruction(model: model, parameters: parameters, configuration: configuration)
    }

    /// A fit result as bytes.
    public static func encode(_ result: FitResult) throws -> [UInt8] {
        try result.update.encoded(metadata: metadata(of: result))
    }

    static func metadata(of result: FitResult) throws -> [String: String] {
        [
            "nerva.message": "fit-result",
            "nerva.kind": result.kind.rawValue,
            "nerva.exampleCount": String(result.exampleCount),
            "nerva.metrics": try json(result.metrics)
        ]
    }

    /// Decodes a fit result.
    ///
    /// - Throws: `WireFormatError` or `SafetensorsError` naming the problem.
    public static func decodeFitResult(_ bytes: some ContiguousBytes, sizeLimit: Int = defaultSizeLimit) throws
        -> FitResult
    {
        let (parameters, metadata) = try open(bytes, expecting: "fit-result", sizeLimit: sizeLimit)
        let kindText = try field("nerva.kind", of: "fit-result", in: metadata)
        guard let kind = UpdateKind(rawValue: kindText) else {
            throw WireFormatError.invalidField(
                message: "fit-result", field: "nerva.kind", problem: "is \"\(kindText)\", not parameters or gradient")
        }
        let countText = try field("nerva.exampleCount", of: "fit-result", in: metadata)
        guard let count = Int(countText) else {
            throw WireFormatError.invalidField(
                message: "fit-result", field: "nerva.exampleCount", problem: "is not an integer: \"\(countText)\"")
        }
        let metrics: [String: Double] = try decodeJSON("nerva.metrics", of: "fit-result", in: metadata)
        return FitResult(update: parameters, kind: kind, exampleCount: count, metrics: metrics)
    }

    /// An evaluation request as bytes: the architecture, the parameters and the settings.
    public static func encodeEvaluation(
        model: ModelDescription, parameters: ParameterSet,
        configuration: EvaluateConfiguration
    ) throws -> [UInt8] {
        try parameters.encoded(metadata: evaluationMetadata(model: model, configuration: configuration))
    }

    static func evaluationMetadata(model: ModelDescription, configuration: EvaluateConfiguration) throws
        -> [String: String]
    {
        [
            "nerva.message": "evaluate",
            "nerva.model": try model.jsonString(),
            "nerva.configuration": try json(configuration)
        ]
    }

    /// Decodes an evaluation request.
    ///
    /// - Throws: `WireFormatError`, `SafetensorsError` or `ModelDescriptionError` naming the problem.
    public static func decodeEvaluation(_ bytes: some ContiguousBytes, sizeLimit: Int = defaultSizeLimit)
        throws -> (model: ModelDescription, parameters: ParameterSet, configuration: EvaluateConfiguration)
    {
        let (parameters, metadata) = try open(bytes, expecting: "evaluate", sizeLimit: sizeLimit)
        let model = try ModelDescription(json: Data(try field("nerva.model", of: "evaluate", in: metadata).utf8))
        let configuration: EvaluateConfiguration = try decodeJSON("nerva.configuration", of: "evaluate", in: metadata)
        return (model, parameters, configuration)
    }

    /// A global model as bytes: its parameters, its architecture and the rounds that made it.
    /// Any safetensors reader loads it; `decodeGlobalModel` restores the architecture too.
    public static func encodeGlobalModel(model: ModelDescription, parameters: ParameterSet, round: Int) throws
        -> [UInt8]
    {
        try parameters.encoded(metadata: globalModelMetadata(model: model, round: round))
    }

    static func globalModelMetadata(model: ModelDescription, round: Int) throws -> [String: String] {
        ["nerva.message": "model", "nerva.model": try model.jsonString(), "nerva.round": String(round)]
    }

    /// Decodes a global model written by `encodeGlobalModel`.
    ///
    /// - Throws: `WireFormatError`, `SafetensorsError` or `ModelDescriptionError` naming the problem.
    public static func decodeGlobalModel(_ bytes: some ContiguousBytes, sizeLimit: Int = defaultSizeLimit)
        throws -> (model: ModelDescription, parameters: ParameterSet, round: Int)
    {
        let (parameters, metadata) = try open(bytes, expecting: "model", sizeLimit: sizeLimit)
        let model = try ModelDescription(json: Data(try field("nerva.model", of: "model", in: metadata).utf8))
        let roundText = try field("nerva.round", of: "model", in: metadata)
        guard let round = Int(roundText), round >= 0 else {
            throw WireFormatError.invalidField(
                message: "model", field: "nerva.round", problem: "is not a round number: \"\(roundText)\"")
        }
        return (model, parameters, round)
    }

    // MARK: - Helpers

    private static func open(_ bytes: some ContiguousBytes, expecting message: String, sizeLimit: Int)
        throws -> (ParameterSet, [String: String])
    {
        let count = bytes.withUnsafeBytes(\.count)
        guard count <= sizeLimit else { throw WireFormatError.tooLarge(byteCount: count, limit: sizeLimit) }
        let (parameters, metadata) = try ParameterSet.decode(safetensors: bytes, source: "\(message) message")
        guard metadata["nerva.message"] == message else {
            throw WireFormatError.wrongMessage(expected: message, actual: metadata["nerva.message"])
        }
        return (parameters, metadata)
    }

    private static func field(_ name: String, of message: String, in metadata: [String: String]) throws -> String {
        guard let value = metadata[name] else { throw WireFormatError.missingField(message: message, field: name) }
        return value
    }

    private static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func decodeJSON<T: Decodable>(_ name: String, of message: String, in metadata: [String: String])
        throws -> T
    {
        let text = try field(name, of: message, in: metadata)
        do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
            throw WireFormatError.invalidField(message: message, field: name, problem: "is not valid: \(error)")
        }
    }
}

/// A participant reached through the wire format: every instruction and result is encoded to
/// bytes and decoded again, exactly as a networked transport would carry them. Simulations use
/// it to prove that nothing but bytes crosses the boundary.
public final class WireParticipant: FederatedParticipant {
    /// The participant behind the wire.
    public let remote: any FederatedParticipant
    public var id: String { remote.id }

    public init(_ remote: any FederatedParticipant) { self.remote = remote }

    public func fit(_ instruction: FitInstruction) throws -> FitResult {
        let received = try WireFormat.decodeFitInstruction(WireFormat.encode(instruction))
        return try WireFormat.decodeFitResult(WireFormat.encode(remote.fit(received)))
    }

    public func evaluate(model: ModelDescription, parameters: ParameterSet, configuration: EvaluateConfiguration) throws
        -> ParticipantEvaluation
    {
        let received = try ParameterSet.decode(safetensors: parameters.encoded()).parameters
        let model = try ModelDescription(json: model.jsonData())
        return try remote.evaluate(model: model, parameters: received, configuration: configuration)
    }
}
