import Foundation
import HTTPTypes
import Hummingbird

extension FederationServer {
    /// The HTTP endpoints of `FederationProtocol`.
    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post(RouterPath(FederationProtocol.registerPath)) { [self] request, _ in
            guard let client = authenticate(request) else { return Self.unauthorized(request) }
            hub.touch(client)
            return Self.json(
                RegistrationReply(
                    client: client, heartbeatSeconds: configuration.heartbeatTimeout / 4,
                    maximumMessageBytes: configuration.maximumMessageBytes, completedRounds: hub.rounds))
        }
        router.post(RouterPath(FederationProtocol.heartbeatPath)) { [self] request, _ in
            guard let client = authenticate(request) else { return Self.unauthorized(request) }
            hub.touch(client)
            return Response(status: .noContent)
        }
        router.get(RouterPath(FederationProtocol.taskPath)) { [self] request, _ in
            guard let client = authenticate(request) else { return Self.unauthorized(request) }
            let wait = min(max(request.uri.queryParameters.get("wait", as: Double.self) ?? 0, 0), 30)
            return try await nextTask(for: client, waiting: wait)
        }
        router.post("\(FederationProtocol.resultPath)/:task") { [self] request, context in
            guard let client = authenticate(request) else { return Self.unauthorized(request) }
            hub.touch(client)
            return await receiveResult(request, task: context.parameters.get("task") ?? "", from: client)
        }
        router.get(RouterPath(FederationProtocol.modelPath)) { [self] request, _ in
            guard let client = authenticate(request) else { return Self.unauthorized(request) }
            hub.touch(client)
            return Response(
                status: .ok, headers: [.contentType: "application/octet-stream"],
                body: ResponseBody(byteBuffer: hub.model))
        }
        router.get(RouterPath(FederationProtocol.statusPath)) { [self] request, _ in
            guard authenticate(request) != nil else { return Self.unauthorized(request) }
            return Self.json(
                FederationStatus(completedRounds: hub.rounds, connected: hub.connected(), isFinished: hub.isFinished))
        }
        return router
    }

    /// The client a request comes from: the owner of its bearer token, or (without credentials)
    /// the name in its `nerva-client` header; `nil` when neither is valid.
    private func authenticate(_ request: Request) -> String? {
        if let credentials = configuration.credentials {
            guard let value = request.headers[.authorization], value.hasPrefix("Bearer ") else { return nil }
            return credentials.client(presenting: String(value.dropFirst("Bearer ".count)))
        }
        guard let name = request.headers[HTTPField.Name(FederationProtocol.clientHeader)!],
            (1...64).contains(name.count),
            name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) })
        else { return nil }
        return name
    }

    /// Long polling: the client's task as soon as there is one, 204 after `wait` seconds, 410 when over.
    private func nextTask(for client: String, waiting wait: Double) async throws -> Response {
        let deadline = Date().addingTimeInterval(wait)
        while true {
            hub.touch(client)
            if hub.isFinished {
                hub.dismiss(client)
                return Self.error(.gone, "the federation is over after \(hub.rounds) rounds")
            }
            if let task = hub.assignment(for: client) {
                var headers = HTTPFields()
                headers[.contentType] = "application/octet-stream"
                headers[HTTPField.Name(FederationProtocol.taskKindHeader)!] = task.kind.rawValue
                headers[HTTPField.Name(FederationProtocol.taskIDHeader)!] = task.id
                headers[HTTPField.Name(FederationProtocol.roundHeader)!] = String(task.round)
                return Response(status: .ok, headers: headers, body: ResponseBody(contentsOf: task.body))
            }
            if Date() >= deadline { return Response(status: .noContent) }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// Reads a task's answer; an unreadable body is answered 400 with the reason and counted as
    /// the client's failure for that task.
    private func receiveResult(_ request: Request, task id: String, from client: String) async -> Response {
        let limit = configuration.maximumMessageBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            return Self.error(
                .contentTooLarge, "the body of \(length) bytes exceeds the server's limit of \(limit) bytes")
        }
        var request = request
        let body: ByteBuffer // shared with the request's, not copied
        do { body = try await request.collectBody(upTo: limit) } catch {
            return Self.error(.contentTooLarge, "the body exceeds the server's limit of \(limit) bytes")
        }
        guard let task = hub.task(id, of: client) else {
            return Self.error(.notFound, "no task \"\(id)\" is waiting for \(client) (it is late, repeated or unknown)")
        }
        let answer: FederationHub.Answer
        do {
            switch task.kind {
            case .fit:
                answer = .fit(try body.withUnsafeReadableBytes { try WireFormat.decodeFitResult($0, sizeLimit: limit) })
            case .evaluate:
                answer = .evaluation(
                    try JSONDecoder().decode(ParticipantEvaluation.self, from: Data(body.readableBytesView)))
            case .secureKeys, .secureShares, .secureMaskedInput, .secureUnmask:
                answer = .secure(Array(body.readableBytesView)) // read and checked by the round's driver
            }
        } catch {
            _ = hub.deliver(.unreadable("\(error)"), task: id, from: client)
            return Self.error(.badRequest, "unreadable \(task.kind.rawValue) result: \(error)")
        }
        guard hub.deliver(answer, task: id, from: client) else {
            return Self.error(.notFound, "task \"\(id)\" was already answered or has expired")
        }
        return Response(status: .ok)
    }

    // MARK: - Responses

    private static func unauthorized(_ request: Request) -> Response {
        error(.unauthorized, "missing or invalid credential for \(request.method) \(request.uri.path)")
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var response = json(FederationErrorBody(error: message))
        response.status = status
        return response
    }

    static func json<T: Encodable>(_ value: T) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
