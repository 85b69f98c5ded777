import Foundation
import Synchronization

/// A participant whose answers reach the server only as bytes: every fit result is encoded in
/// the wire format (`WireFormat`) and decoded again, every evaluation result as JSON. It counts
/// the bytes each participant sends, and can hand every message to an observer, so what leaves
/// a device can be measured and inspected (the privacy tests read exactly these bytes).
public final class MeteredParticipant: FederatedParticipant {
    /// What one participant has sent so far.
    public struct Traffic: Sendable, Equatable {
        /// Fit results sent, and their bytes.
        public var fitMessages = 0, fitBytes = 0
        /// Evaluation results sent, and their bytes.
        public var evaluationMessages = 0, evaluationBytes = 0
    }

    /// The kinds of message a participant sends.
    public enum Message: Sendable, Equatable {
        /// A fit result in the wire format (a safetensors file).
        case fitResult([UInt8])
        /// An evaluation result as JSON.
        case evaluationResult([UInt8])
    }

    /// The participant behind the meter.
    public let inner: any FederatedParticipant
    public var id: String { inner.id }
    private let observer: (@Sendable (String, Message) -> Void)?
    private let counters = Mutex(Traffic())

    /// - Parameters:
    ///   - inner: the participant whose messages are measured.
    ///   - observer: receives `(participant id, message)` for every message sent.
    public init(_ inner: any FederatedParticipant, observer: (@Sendable (String, Message) -> Void)? = nil) {
        self.inner = inner
        self.observer = observer
    }

    /// The bytes sent so far.
    public var traffic: Traffic { counters.withLock { $0 } }

    public func fit(_ instruction: FitInstruction) throws -> FitResult {
        let bytes = try WireFormat.encode(inner.fit(instruction))
        counters.withLock {
            $0.fitMessages += 1
            $0.fitBytes += bytes.count
        }
        observer?(id, .fitResult(bytes))
        return try WireFormat.decodeFitResult(bytes)
    }

    public func evaluate(model: ModelDescription, parameters: ParameterSet, configuration: EvaluateConfiguration) throws
        -> ParticipantEvaluation
    {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = Array(
            try encoder.encode(inner.evaluate(model: model, parameters: parameters, configuration: configuration)))
        counters.withLock {
            $0.evaluationMessages += 1
            $0.evaluationBytes += bytes.count
        }
        observer?(id, .evaluationResult(bytes))
        return try JSONDecoder().decode(ParticipantEvaluation.self, from: Data(bytes))
    }
}
