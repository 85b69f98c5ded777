import Crypto
import Foundation
import NervaNN

/// A Flower node's identity: the EC key pair (P-256) whose public half the SuperLink knows the node
/// by, and the signed headers that authenticate every Fleet request (required even with
/// `--insecure`): `flwr-public-key` (base64 of the PEM SubjectPublicKeyInfo), `flwr-timestamp`
/// (ISO-8601 UTC) and `flwr-signature` (base64 of the DER ECDSA-SHA256 signature of the timestamp).
public struct FleetIdentity: Sendable {
    /// The private key's raw bytes (the key type itself is not `Sendable`).
    private let rawKey: Data
    /// The public key as the SuperLink stores it: PEM SubjectPublicKeyInfo bytes.
    public let publicKeyPEM: [UInt8]

    /// A new random identity.
    public init() { self.init(key: P256.Signing.PrivateKey()) }

    private init(key: P256.Signing.PrivateKey) {
        rawKey = key.rawRepresentation
        publicKeyPEM = Array(key.publicKey.pemRepresentation.utf8)
    }

    /// The identity stored in the PEM file at `url`, created there (mode 0600, atomically) when
    /// the file does not exist, so that a restarted node keeps its name.
    public init(keyFile url: URL) throws {
        let key: P256.Signing.PrivateKey
        if FileManager.default.fileExists(atPath: url.path) {
            let text: String
            do { text = try String(contentsOf: url, encoding: .utf8) } catch {
                throw FleetIdentityError(
                    file: url.path, problem: "cannot be read as UTF-8 text (\(error.localizedDescription))")
            }
            do { key = try P256.Signing.PrivateKey(pemRepresentation: text) } catch {
                throw FleetIdentityError(file: url.path, problem: "not a PEM P-256 private key (\(error))")
            }
        } else {
            key = P256.Signing.PrivateKey()
            try AtomicFile.write(Array(key.pemRepresentation.utf8), to: url)
            _ = chmod(url.path, 0o600)
        }
        self.init(key: key)
    }

    /// The authentication headers of a request sent at `date`.
    public func headers(at date: Date = Date()) throws -> [(name: String, value: String)] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let timestamp = formatter.string(from: date).replacingOccurrences(of: "Z", with: "+00:00")
        let signature = try P256.Signing.PrivateKey(rawRepresentation: rawKey).signature(for: Data(timestamp.utf8))
        return [
            ("flwr-public-key", Data(publicKeyPEM).base64EncodedString()),
            ("flwr-timestamp", timestamp),
            ("flwr-signature", signature.derRepresentation.base64EncodedString())
        ]
    }
}

/// A node key file that cannot be used.
public struct FleetIdentityError: Error, CustomStringConvertible {
    public let file: String, problem: String
    public var description: String { "\(file): \(problem)." }
}
