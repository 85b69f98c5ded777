import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The client's HTTP(S) connection to the server: blocking requests with the credential attached.
final class FederationTransport: @unchecked Sendable {
    /// An answer from the server.
    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        /// The body as received (not copied: a fit instruction can be hundreds of megabytes).
        let body: ByteBuffer

        /// The body as `Data`, for JSON.
        var data: Data { Data(body.readableBytesView) }

        func header(_ name: String) -> String? { headers.first(name: name) }

        /// The `error` of a JSON error body, or the body as text.
        var errorMessage: String {
            (try? JSONDecoder().decode(FederationErrorBody.self, from: data).error)
                ?? String(decoding: body.readableBytesView.prefix(500), as: UTF8.self)
        }

        /// `self` when the status is `status`.
        ///
        /// - Throws: `FederationTransportError.unexpected` naming the status and the server's message.
        func expecting(_ status: Int) throws -> Reply {
            guard self.status == status else {
                throw FederationTransportError.unexpected(status: self.status, message: errorMessage)
            }
            return self
        }
    }

    enum Method { case get, post }

    private let base: String
    private let headers: HTTPHeaders
    private let client: HTTPClient

    init(configuration: FederationClientConfiguration, name: String) throws {
        guard let url = URL(string: configuration.server), ["http", "https"].contains(url.scheme ?? ""), url.host != nil
        else {
            throw FederationClientError.invalidServer(configuration.server)
        }
        base = configuration.server.hasSuffix("/") ? String(configuration.server.dropLast()) : configuration.server
        var headers = HTTPHeaders()
        if let token = configuration.token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        headers.add(name: FederationProtocol.clientHeader, value: name)
        self.headers = headers
        var settings = HTTPClient.Configuration(timeout: .init(connect: .seconds(10)))
        if let path = configuration.rootCertificatesPath {
            var tls = TLSConfiguration.makeClientConfiguration()
            do { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path)) } catch {
                throw FederationClientError.tls(path: path, problem: "not a PEM certificate file (\(error))")
            }
            settings.tlsConfiguration = tls
        }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: settings)
    }

    /// Sends a request and waits for the whole answer.
    ///
    /// - Throws: connection errors (the caller retries them).
    func send(_ method: Method, _ path: String, body: ByteBuffer? = nil, timeout: Double = 60) throws -> Reply {
        var request = try HTTPClient.Request(url: base + path, method: method == .get ? .GET : .POST, headers: headers)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            request.body = .byteBuffer(body) // sent as it is, not copied
        }
        let response = try client.execute(request: request, deadline: .now() + .milliseconds(Int64(timeout * 1000)))
            .wait()
        return Reply(
            status: Int(response.status.code), headers: response.headers,
            body: response.body ?? ByteBuffer())
    }

    /// `send` with a body of bytes (copied into a buffer).
    func send(_ method: Method, _ path: String, body: [UInt8]?, timeout: Double = 60) throws -> Reply {
        try send(method, path, body: body.map { ByteBuffer(bytes: $0) }, timeout: timeout)
    }

    func shutdown() { try? client.syncShutdown() }
}

/// An answer the client did not expect.
enum FederationTransportError: Error, CustomStringConvertible {
    case unexpected(status: Int, message: String)

    var description: String {
        switch self {
        case let .unexpected(status, message): "the server answered \(status): \(message)"
        }
    }
}
