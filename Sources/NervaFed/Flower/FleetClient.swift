import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import SwiftProtobuf

/// How a node reaches the SuperLink: plain HTTP (`--insecure`) or HTTPS, trusting either the
/// system's certificate authorities or the PEM certificates of a file (`--root-certificates`).
public enum FleetTransport: Sendable, Equatable {
    case insecure
    case tls(rootCertificates: String?)
}

/// When and how long a Fleet call is retried after a transport error (connection refused or
/// reset, timeout) or an HTTP 502/503/504: exponential backoff, `initialDelay · 2ⁿ` capped at
/// `maximumDelay`, at most `maximumAttempts` tries. Deterministic (no jitter).
public struct FleetRetryPolicy: Sendable, Equatable {
    public var maximumAttempts: Int
    public var initialDelay: Double
    public var maximumDelay: Double

    public init(maximumAttempts: Int = 8, initialDelay: Double = 0.5, maximumDelay: Double = 15) {
        self.maximumAttempts = maximumAttempts
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// The pause before attempt `attempt + 1` (attempts count from 1).
    public func delay(afterAttempt attempt: Int) -> Double {
        min(maximumDelay, initialDelay * pow(2, Double(attempt - 1)))
    }
}

/// A failed Fleet call, in words that name the culprit.
public enum FleetError: Error, CustomStringConvertible, Equatable {
    /// `--superlink` is not `HOST:PORT`.
    case invalidAddress(String)
    /// The TLS settings cannot be used (unreadable root certificates, …).
    case tls(String)
    /// No answer after every retry.
    case unreachable(address: String, call: String, attempts: Int, lastError: String)
    /// The SuperLink answered with an HTTP error; `detail` is Flower's message.
    case rejected(call: String, status: Int, detail: String)
    /// The SuperLink's answer is not the protobuf expected.
    case badResponse(call: String, problem: String)
    /// The SuperLink said no in a well-formed answer (e.g. a push it did not store).
    case refused(String)

    public var description: String {
        switch self {
        case let .invalidAddress(address):
            "--superlink \"\(address)\" is not HOST:PORT (e.g. 127.0.0.1:8000 or superlink.example.org:443)"
        case let .tls(problem): "TLS: \(problem)"
        case let .unreachable(address, call, attempts, lastError):
            "cannot reach the Flower SuperLink at \(address) (\(call), \(attempts) attempt\(attempts == 1 ? "" : "s")): \(lastError)"
        case let .rejected(call, status, detail):
            status == 401
                ? "the SuperLink refused the node's credentials (\(call), HTTP 401): \(detail)"
                : "the SuperLink rejected \(call) with HTTP \(status): \(detail)"
        case let .badResponse(call, problem): "unreadable SuperLink answer to \(call): \(problem)"
        case let .refused(problem): "the SuperLink refused: \(problem)"
        }
    }
}

/// A client of a Flower 1.42 SuperLink's Fleet API: protobuf bodies POSTed to
/// `/v1/fleet/<rpc>` (`content-type: application/protobuf`), every request signed with the
/// node's `FleetIdentity`, transport errors retried with exponential backoff (`FleetRetryPolicy`),
/// HTTP errors reported with Flower's `detail`.
public final class FleetClient: Sendable {
    /// `HOST:PORT`, as given.
    public let address: String
    public let identity: FleetIdentity
    public let retryPolicy: FleetRetryPolicy
    private let baseURL: String
    private let http: HTTPClient
    private let requestTimeout: TimeAmount

    /// - Parameters:
    ///   - superlink: `HOST:PORT` of the SuperLink's Fleet API (`[::1]:9093` for IPv6).
    ///   - transport: plain HTTP or TLS, with the certificates to trust.
    ///   - identity: the node's key, which signs every request.
    ///   - retryPolicy: how often and how long to retry an unreachable SuperLink.
    ///   - requestTimeout: seconds one HTTP request may take.
    /// - Throws: `FleetError.invalidAddress` or `.tls`.
    public init(
        superlink: String, transport: FleetTransport, identity: FleetIdentity,
        retryPolicy: FleetRetryPolicy = FleetRetryPolicy(), requestTimeout: Double = 120
    ) throws {
        guard let colon = superlink.lastIndex(of: ":"), let port = Int(superlink[superlink.index(after: colon)...]),
            (1...65535).contains(port), colon != superlink.startIndex, !superlink.contains("/")
        else {
            throw FleetError.invalidAddress(superlink)
        }
        var configuration = HTTPClient.Configuration()
        switch transport {
        case .insecure:
            baseURL = "http://\(superlink)"
        case let .tls(rootCertificates):
            baseURL = "https://\(superlink)"
            var tls = TLSConfiguration.makeClientConfiguration()
            if let rootCertificates {
                do {
                    let certificates = try NIOSSLCertificate.fromPEMFile(rootCertificates)
                    guard !certificates.isEmpty else {
                        throw FleetError.tls("\(rootCertificates) holds no PEM certificate")
                    }
                    tls.trustRoots = .certificates(certificates)
                } catch let error as FleetError { throw error } catch {
                    throw FleetError.tls("cannot read the root certificates \(rootCertificates): \(error)")
                }
            }
            configuration.tlsConfiguration = tls
        }
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(Int64(requestTimeout)))
        address = superlink
        self.identity = identity
        self.retryPolicy = retryPolicy
        self.requestTimeout = .milliseconds(Int64(requestTimeout * 1000))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Closes the connections; call once when done.
    public func shutdown() async {
        try? await http.shutdown()
    }

    /// Sends `request` to `/v1/fleet/<rpc>` and parses the answer as `Response`, retrying
    /// transport errors (unless `retrying` is false: one attempt).
    func call<Response: SwiftProtobuf.Message>(
        _ rpc: String, _ request: some SwiftProtobuf.Message,
        as _: Response.Type = Response.self, retrying: Bool = true
    ) async throws -> Response {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        let body: [UInt8] = try request.serializedBytes(options: options)
        let attempts = retrying ? max(retryPolicy.maximumAttempts, 1) : 1
        var lastError = ""
        for attempt in 1...attempts {
            try Task.checkCancellation()
            do {
                let (status, payload) = try await post(rpc, body: body)
                switch status {
                case 200..<300:
                    do { return try Response(serializedBytes: payload) } catch {
                        throw FleetError.badResponse(
                            call: rpc, problem: "not a \(Response.protoMessageName) (\(payload.count) bytes)")
                    }
                case 502, 503, 504:
                    lastError = "HTTP \(status): \(Self.detail(of: payload))"
                default:
                    throw FleetError.rejected(call: rpc, status: status, detail: Self.detail(of: payload))
                }
            } catch let error as FleetError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Self.isCertificateError(error) { throw FleetError.tls("\(error) (is --root-certificates right?)") }
                lastError = "\(error)"
            }
            if attempt < attempts { try await Task.sleep(for: .seconds(retryPolicy.delay(afterAttempt: attempt))) }
        }
        throw FleetError.unreachable(address: address, call: rpc, attempts: attempts, lastError: lastError)
    }

    /// One HTTP request; returns the status and the body.
    private func post(_ rpc: String, body: [UInt8]) async throws -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: "\(baseURL)/v1/fleet/\(rpc)")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/protobuf")
        request.headers.add(name: "accept", value: "application/protobuf")
        request.headers.add(name: "flwr-package-name", value: "flwr")
        request.headers.add(name: "flwr-package-version", value: FlowerNode.protocolVersion)
        request.headers.add(name: "flwr-component-name", value: "SuperNode")
        for header in try identity.headers() { request.headers.add(name: header.name, value: header.value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await http.execute(request, timeout: requestTimeout)
        let payload = try await response.body.collect(upTo: 1 << 30)
        return (Int(response.status.code), Array(buffer: payload))
    }

    /// Flower's error message in a JSON error body (`{"detail": …}` or `{"message": …}`), else the body.
    static func detail(of body: [UInt8]) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            if let detail = object["detail"] as? String { return detail }
            if let message = object["message"] as? String { return message }
            if let detail = object["detail"] { return "\(detail)" }
        }
        let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "(no detail)" : text
    }

    private static func isCertificateError(_ error: any Error) -> Bool {
        if error is NIOSSLError || error is NIOSSLExtraError { return true }
        return "\(error)".contains("certificate")
    }
}
