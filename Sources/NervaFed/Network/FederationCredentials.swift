import Crypto
import Foundation

/// A credentials file that cannot be used: every case names the file and the line.
public enum FederationCredentialsError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, problem: String)
    case malformedLine(path: String, line: Int, problem: String)
    case empty(path: String)

    public var description: String {
        switch self {
        case let .unreadable(path, problem): "cannot read the credentials file \(path): \(problem)"
        case let .malformedLine(path, line, problem): "\(path), line \(line): \(problem)"
        case let .empty(path): "\(path) lists no client credentials (expected lines \"<client-id> <token>\")"
        }
    }
}

/// The clients allowed to join a federation, each with a secret token.
///
/// The file has one client per line, `<client-id> <token>`; blank lines and lines starting with
/// `#` are ignored. Tokens must be at least 16 characters. Only SHA-256 digests of the tokens are
/// kept in memory, and a presented token is compared with each digest in constant time.
///
/// ```
/// # clients.txt
/// client-000 3f9a0c1e5b7d2f4a8c6e1b3d5f7a9c0e
/// client-001 7b2d4f6a8c0e1a3c5e7b9d1f3a5c7e9b
/// ```
public struct FederationCredentials: Sendable {
    private let digests: [(client: String, digest: [UInt8])]

    /// The client identifiers, in file order.
    public var clients: [String] { digests.map(\.client) }

    /// Credentials from `(client, token)` pairs.
    public init(_ pairs: [(client: String, token: String)]) {
        digests = pairs.map { ($0.client, Array(SHA256.hash(data: Data($0.token.utf8)))) }
    }

    /// Reads a credentials file.
    ///
    /// - Throws: `FederationCredentialsError` naming the file and line.
    public init(contentsOf url: URL) throws {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw FederationCredentialsError.unreadable(path: url.path, problem: error.localizedDescription)
        }
        var pairs: [(client: String, token: String)] = [], seen = Set<String>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count == 2 else {
                throw FederationCredentialsError.malformedLine(
                    path: url.path, line: index + 1,
                    problem: "expected \"<client-id> <token>\", found \(fields.count) fields")
            }
            guard fields[1].count >= 16 else {
                throw FederationCredentialsError.malformedLine(
                    path: url.path, line: index + 1,
                    problem: "the token of \(fields[0]) is shorter than 16 characters")
            }
            guard seen.insert(fields[0]).inserted else {
                throw FederationCredentialsError.malformedLine(
                    path: url.path, line: index + 1, problem: "client \(fields[0]) is listed twice")
            }
            pairs.append((fields[0], fields[1]))
        }
        guard !pairs.isEmpty else { throw FederationCredentialsError.empty(path: url.path) }
        self.init(pairs)
    }

    /// The client that `token` belongs to, or `nil`.
    public func client(presenting token: String) -> String? {
        let presented = Array(SHA256.hash(data: Data(token.utf8)))
        var match: String?
        for (client, digest) in digests {
            var difference: UInt8 = 0
            for (a, b) in zip(presented, digest) { difference |= a ^ b }
            if difference == 0 { match = client }
        }
        return match
    }
}
