import Foundation

/// What a participant sends back from `fit`: its trained parameters, or the gradient it
/// computed at the global parameters (FedSGD).
public enum UpdateKind: String, Sendable, Codable, Equatable {
    /// The locally trained parameters (FedAvg and its relatives).
    case parameters
    /// The gradient of the local loss at the global parameters (FedSGD).
    case gradient
}

/// The settings of one participant's local training in one round (Flower's fit `config`, typed).
public struct FitConfiguration: Sendable, Codable, Equatable {
    /// The round number, from 1.
    public var round: Int
    /// `E`: passes over the local data.
    public var localEpochs: Int
    /// `B`: examples per local step.
    public var batchSize: Int
    /// The local SGD step size.
    public var learningRate: Float
    /// The local SGD momentum (0 for plain SGD).
    public var momentum: Float
    /// FedProx's `μ`: the local loss gets `μ/2 · ‖w − w_global‖²` (0 for FedAvg).
    public var proximalMu: Float
    /// What to send back.
    public var updateKind: UpdateKind
    /// Seeds the participant's shuffling and dropout for this round, so a round replays exactly.
    public var seed: UInt64

    public init(
        round: Int, localEpochs: Int = 1, batchSize: Int = 10, learningRate: Float = 0.01, momentum: Float = 0,
        proximalMu: Float = 0, updateKind: UpdateKind = .parameters, seed: UInt64 = 0
    ) {
        self.round = round
        self.localEpochs = localEpochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.proximalMu = proximalMu
        self.updateKind = updateKind
        self.seed = seed
    }
}

extension FitConfiguration {
    /// These settings as sent to `participant` in `round`: the round number and a seed that
    /// depends only on the strategy's seed, the round and the participant's name.
    public func forRound(_ round: Int, participant: String, strategySeed: UInt64) -> FitConfiguration {
        var settings = self
        settings.round = round
        settings.seed = FederatedStrategy.seed(strategySeed, round: round, participant: participant)
        return settings
    }
}

/// The settings of one participant's evaluation.
public struct EvaluateConfiguration: Sendable, Codable, Equatable {
    /// The round number.
    public var round: Int
    /// Examples per forward pass.
    public var batchSize: Int

    public init(round: Int, batchSize: Int = 500) {
        self.round = round
        self.batchSize = batchSize
    }
}

/// What the server sends a participant: the architecture, the global parameters and the
/// settings. The architecture travels with every instruction, so a participant needs no prior
/// knowledge of the model.
public struct FitInstruction: Sendable, Equatable {
    public var model: ModelDescription
    public var parameters: ParameterSet
    public var configuration: FitConfiguration

    public init(model: ModelDescription, parameters: ParameterSet, configuration: FitConfiguration) {
        self.model = model
        self.parameters = parameters
        self.configuration = configuration
    }
}

/// The result of a participant's `fit`: Flower's `(parameters, num_examples, metrics)`.
public struct FitResult: Sendable, Equatable {
    /// The trained parameters, or the gradient (see `kind`), in the global model's layout.
    public var update: ParameterSet
    /// What `update` holds.
    public var kind: UpdateKind
    /// The number of local examples trained on (FedAvg's weight).
    public var exampleCount: Int
    /// Named measurements, such as `train_loss` and `train_accuracy`.
    public var metrics: [String: Double]

    public init(update: ParameterSet, kind: UpdateKind, exampleCount: Int, metrics: [String: Double] = [:]) {
        self.update = update
        self.kind = kind
        self.exampleCount = exampleCount
        self.metrics = metrics
    }
}

/// The result of a participant's `evaluate`: Flower's `(loss, num_examples, metrics)`.
public struct ParticipantEvaluation: Sendable, Codable, Equatable {
    /// The mean loss over `exampleCount` examples.
    public var loss: Double
    /// The number of examples evaluated.
    public var exampleCount: Int
    /// Named measurements, such as `accuracy`.
    public var metrics: [String: Double]

    public init(loss: Double, exampleCount: Int, metrics: [String: Double] = [:]) {
        self.loss = loss
        self.exampleCount = exampleCount
        self.metrics = metrics
    }
}

/// A participant of a federation: it holds private data that never leaves it and answers two
/// requests (Flower's `Client`). Implementations must be callable from any thread; one
/// participant is asked one thing at a time.
public protocol FederatedParticipant: AnyObject, Sendable {
    /// A stable name, unique in the federation (`client-007`).
    var id: String { get }
    /// Trains the model described by `instruction` from its parameters on the local data.
    func fit(_ instruction: FitInstruction) throws -> FitResult
    /// Evaluates the model with `parameters` on the local data.
    func evaluate(model: ModelDescription, parameters: ParameterSet, configuration: EvaluateConfiguration) throws
        -> ParticipantEvaluation
}

/// Why a participant's contribution to a round was not used. Failures are data: a strategy
/// receives them beside the results and a round goes on without them.
public struct ParticipantFailure: Sendable, Equatable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// The participant threw or could not be reached.
        case error(String)
        /// The update's tensors do not match the global model's names and shapes.
        case wrongLayout(String)
        /// The update holds NaN or infinite values.
        case nonFinite(count: Int)
        /// The update moved the model (or the gradient's norm) further than the limit.
        case normTooLarge(norm: Double, limit: Double)
        /// The participant claimed no examples, or an implausible number.
        case invalidExampleCount(Int)
        /// The update kind is not the one the strategy asked for.
        case wrongKind(expected: UpdateKind, actual: UpdateKind)
        /// The participant did not answer in time.
        case timedOut(seconds: Double)

        public var description: String {
            switch self {
            case let .error(message): "error: \(message)"
            case let .wrongLayout(problem): "wrong tensors: \(problem)"
            case let .nonFinite(count): "\(count) NaN or infinite values"
            case let .normTooLarge(norm, limit):
                "update norm \(String(format: "%.4g", norm)) exceeds the limit \(String(format: "%.4g", limit))"
            case let .invalidExampleCount(count): "invalid example count \(count)"
            case let .wrongKind(expected, actual): "sent \(actual.rawValue), expected \(expected.rawValue)"
            case let .timedOut(seconds): "no answer within \(seconds) s"
            }
        }
    }

    /// The participant.
    public var participant: String
    /// What went wrong.
    public var reason: Reason

    public init(participant: String, reason: Reason) {
        self.participant = participant
        self.reason = reason
    }

    public var description: String { "\(participant): \(reason)" }
}
