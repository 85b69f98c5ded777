import Foundation

/// The HTTP protocol between `FederationServer` and `FederationClient`.
///
/// Clients pull; the server never connects to them, so clients behind NAT or firewalls work.
/// Every request carries `Authorization: Bearer <token>` when the server has credentials.
///
/// | Request | Body | Answer |
/// |---|---|---|
/// | `POST /v1/register` | — | 200 `RegistrationReply` (JSON) |
/// | `GET /v1/task?wait=s` | — | 200 a task (safetensors: `WireFormat` fit or evaluate message, headers `nerva-task`, `nerva-task-id`, `nerva-round`); 204 none yet; 410 the federation is over |
/// | `POST /v1/result/<task-id>` | fit: `WireFormat` fit-result (safetensors); evaluate: `ParticipantEvaluation` (JSON) | 200; 400 unreadable (with the reason); 404 unknown or expired task; 413 too large |
/// | `POST /v1/heartbeat` | — | 204 |
/// | `GET /v1/model` | — | 200 the global model (`WireFormat.encodeGlobalModel`) |
/// | `GET /v1/status` | — | 200 `FederationStatus` (JSON) |
///
/// Under secure aggregation (`FederationServer` with `SecureAggregationSettings`) a training
/// round is four tasks per client instead of one `fit`: `secagg-keys`, `secagg-shares`,
/// `secagg-masked-input` and `secagg-unmask` (see `FederationTaskKind`). The server collects
/// each step with the round time-out, relays the encrypted shares without being able to open
/// them, and declares a client that misses a step a dropout.
///
/// Errors answer with a JSON body `{"error": "…"}` naming the problem; 401 for a missing or
/// invalid credential (the request changes nothing).
public enum FederationProtocol {
    public static let registerPath = "/v1/register"
    public static let taskPath = "/v1/task"
    public static let resultPath = "/v1/result"
    public static let heartbeatPath = "/v1/heartbeat"
    public static let modelPath = "/v1/model"
    public static let statusPath = "/v1/status"

    /// The client's self-chosen name, used only by servers without credentials.
    public static let clientHeader = "nerva-client"
    /// `fit` or `evaluate`.
    public static let taskKindHeader = "nerva-task"
    /// The task's identifier, to post its result to.
    public static let taskIDHeader = "nerva-task-id"
    /// The round a task belongs to.
    public static let roundHeader = "nerva-round"
}

/// What a server asks a client to do.
public enum FederationTaskKind: String, Sendable, Codable {
    /// Train (`FederatedParticipant.fit`) and post a `WireFormat` fit result.
    case fit
    /// Evaluate (`FederatedParticipant.evaluate`) and post an `ParticipantEvaluation` as JSON.
    case evaluate
    /// Secure aggregation, step 1: the body is a `SecureRoundSetup` (JSON); post `AdvertisedKeys` (JSON).
    case secureKeys = "secagg-keys"
    /// Step 2: the body is the roster, `[AdvertisedKeys]` (JSON); post `[EncryptedShares]` (JSON),
    /// one box per neighbour, which the server relays unopened.
    case secureShares = "secagg-shares"
    /// Step 3: the body is `SecureAggregationWire.encodeMaskingTask` (the neighbours' boxes, the
    /// strategy's `SecureInputRule`, the fit instruction); train and post
    /// `SecureAggregationWire.encode(_:)` of the `MaskedInput`.
    case secureMaskedInput = "secagg-masked-input"
    /// Step 4: the body is `SecureAggregationWire.UnmaskingTask` (JSON); post `UnmaskingShares` (JSON).
    case secureUnmask = "secagg-unmask"
}

/// The server's answer to a registration.
public struct RegistrationReply: Sendable, Codable, Equatable {
    /// The client's identity in the federation (from its credential).
    public var client: String
    /// How often the client should send heartbeats while it works, in seconds.
    public var heartbeatSeconds: Double
    /// The largest body the server accepts, in bytes.
    public var maximumMessageBytes: Int
    /// The rounds finished so far.
    public var completedRounds: Int
}

/// A snapshot of the federation, for monitoring.
public struct FederationStatus: Sendable, Codable, Equatable {
    /// The rounds finished so far.
    public var completedRounds: Int
    /// The clients whose last request is more recent than the heartbeat timeout, sorted.
    public var connected: [String]
    /// Whether the federation is over.
    public var isFinished: Bool
}

/// The JSON body of every error answer.
public struct FederationErrorBody: Sendable, Codable, Equatable {
    public var error: String
}
