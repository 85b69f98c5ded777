import NIOCore
import NervaNN

/// The messages of `WireFormat` written straight into network buffers: the parameters go from
/// their flat vector into the buffer that is sent, with no intermediate array (a message of a
/// 1.6 M-parameter model is 6.4 MB, and a server sends one to every client).
extension WireFormat {
    /// `encode(_:)` of a fit instruction, as a buffer.
    static func encodedBuffer(_ instruction: FitInstruction) throws -> ByteBuffer {
        try instruction.parameters.encodedBuffer(metadata: metadata(of: instruction))
    }

    /// `encode(_:)` of a fit result, as a buffer.
    static func encodedBuffer(_ result: FitResult) throws -> ByteBuffer {
        try result.update.encodedBuffer(metadata: metadata(of: result))
    }

    /// `encodeEvaluation`, as a buffer.
    static func encodedEvaluationBuffer(
        model: ModelDescription, parameters: ParameterSet, configuration: EvaluateConfiguration
    ) throws -> ByteBuffer {
        try parameters.encodedBuffer(metadata: evaluationMetadata(model: model, configuration: configuration))
    }

    /// `encodeGlobalModel`, as a buffer.
    static func encodedGlobalModelBuffer(model: ModelDescription, parameters: ParameterSet, round: Int) throws
        -> ByteBuffer
    {
        try parameters.encodedBuffer(metadata: globalModelMetadata(model: model, round: round))
    }
}

extension ParameterSet {
    /// The first bytes of `encoded(metadata:)`: the length prefix and the header, without the elements.
    func encodedHeader(metadata: [String: String]) throws -> [UInt8] {
        var metadata = metadata
        metadata["nerva.order"] = layout.names.joined(separator: "\n")
        return try Safetensors.encodedHeader(
            names: layout.names, shapes: layout.entries.map(\.shape), metadata: metadata)
    }

    /// `encoded(metadata:)` written into a buffer of exactly the file's size.
    func encodedBuffer(metadata: [String: String]) throws -> ByteBuffer {
        try encoded(metadata: metadata) { count, fill in
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { free in
                fill(UnsafeMutableRawBufferPointer(rebasing: free.prefix(count)))
                return count
            }
            return buffer
        }
    }
}
