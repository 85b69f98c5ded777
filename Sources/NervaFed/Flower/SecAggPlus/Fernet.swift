import Crypto
import Foundation
import _CryptoExtras

/// Fernet authenticated encryption (the `cryptography` package's `Fernet`, which SecAgg+ uses to
/// send key shares through the server): a token is URL-safe base64 of
/// `0x80 ‖ timestamp (8 bytes, big-endian) ‖ IV (16) ‖ AES-128-CBC(PKCS#7) ‖ HMAC-SHA256 (32)`, the
/// HMAC over everything before it. The key is 32 bytes given as URL-safe base64: the first 16 sign,
/// the last 16 encrypt. Tokens do not expire here (SecAgg+ decrypts without a TTL).
public struct Fernet {
    private let signingKey: SymmetricKey
    private let encryptionKey: SymmetricKey

    /// - Parameter key: the 44-character URL-safe base64 key (`Fernet.generate_key()`, or
    ///   SecAgg+'s `generate_shared_key`).
    /// - Throws: `SecAggPlusError.cryptography` when the key is not 32 bytes of URL-safe base64.
    public init(key: [UInt8]) throws(SecAggPlusError) {
        guard let raw = Self.decodeBase64URL(key), raw.count == 32 else {
            throw .cryptography("a Fernet key must be 32 bytes in URL-safe base64")
        }
        signingKey = SymmetricKey(data: raw[0..<16])
        encryptionKey = SymmetricKey(data: raw[16..<32])
    }

    /// The token of `plaintext` (URL-safe base64 bytes, as `Fernet.encrypt` returns them).
    ///
    /// - Parameters:
    ///   - plaintext: the bytes to encrypt.
    ///   - initializationVector: 16 bytes; random by default (as Fernet requires for secrecy).
    ///   - timestamp: seconds since 1970 written in the token; now by default.
    public func encrypt(
        _ plaintext: [UInt8], initializationVector: [UInt8]? = nil,
        timestamp: UInt64 = UInt64(Date().timeIntervalSince1970)
    ) throws(SecAggPlusError) -> [UInt8] {
        var random = SystemRandomNumberGenerator()
        let ivBytes = initializationVector ?? (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        do {
            let iv = try AES._CBC.IV(ivBytes: ivBytes)
            let ciphertext = try AES._CBC.encrypt(plaintext, using: encryptionKey, iv: iv)
            var token: [UInt8] = [0x80]
            withUnsafeBytes(of: timestamp.bigEndian) { token += $0 }
            token += ivBytes
            token += ciphertext
            token += Array(HMAC<SHA256>.authenticationCode(for: token, using: signingKey))
            return Self.encodeBase64URL(token)
        } catch {
            throw .cryptography("Fernet encryption failed: \(error)")
        }
    }

    /// The plaintext of a token made with this key.
    ///
    /// - Throws: `SecAggPlusError.cryptography` for a token that is malformed, was made with
    ///   another key, or was altered.
    public func decrypt(_ token: [UInt8]) throws(SecAggPlusError) -> [UInt8] {
        guard let raw = Self.decodeBase64URL(token), raw.count >= 1 + 8 + 16 + 16 + 32, raw[0] == 0x80,
            (raw.count - 57) % 16 == 0
        else {
            throw .cryptography("not a Fernet token")
        }
        let signed = raw[0..<raw.count - 32]
        guard
            HMAC<SHA256>.isValidAuthenticationCode(raw[(raw.count - 32)...], authenticating: signed, using: signingKey)
        else {
            throw .cryptography("the Fernet token's signature does not match (another key, or altered)")
        }
        do {
            let iv = try AES._CBC.IV(ivBytes: raw[9..<25])
            return Array(try AES._CBC.decrypt(raw[25..<(raw.count - 32)], using: encryptionKey, iv: iv))
        } catch {
            throw .cryptography("the Fernet token does not decrypt: \(error)")
        }
    }

    /// URL-safe base64 (with or without padding) to bytes.
    static func decodeBase64URL(_ text: [UInt8]) -> [UInt8]? {
        var standard = String(decoding: text, as: UTF8.self).replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: standard).map(Array.init)
    }

    /// Bytes to URL-safe base64 with padding (Python's `base64.urlsafe_b64encode`).
    static func encodeBase64URL(_ bytes: [UInt8]) -> [UInt8] {
        Array(
            Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
                of: "/", with: "_"
            ).utf8)
    }
}
