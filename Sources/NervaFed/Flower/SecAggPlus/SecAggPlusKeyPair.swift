import Crypto
import Foundation

/// A SecAgg+ key pair: ECDH on NIST P-384, the private key as PEM PKCS#8 and the public key as
/// PEM SubjectPublicKeyInfo, the bytes Flower's `private_key_to_bytes`/`public_key_to_bytes` make
/// and its `bytes_to_private_key`/`bytes_to_public_key` read (a dropped node's private key is
/// rebuilt by the server from Shamir shares of these PEM bytes).
public struct SecAggPlusKeyPair {
    public let privateKey: P384.KeyAgreement.PrivateKey

    /// A new key pair from the system's secure random source.
    public init() { privateKey = P384.KeyAgreement.PrivateKey() }

    /// The key pair of a PEM private key (PKCS#8 or SEC 1).
    ///
    /// - Throws: `SecAggPlusError.cryptography` when the bytes are not a P-384 private key in PEM.
    public init(privateKeyPEM: [UInt8]) throws(SecAggPlusError) {
        do {
            privateKey = try P384.KeyAgreement.PrivateKey(
                pemRepresentation: String(decoding: privateKeyPEM, as: UTF8.self))
        } catch {
            throw .cryptography("not a P-384 private key in PEM: \(error)")
        }
    }

    /// The private key as PEM PKCS#8 bytes.
    public var privateKeyPEM: [UInt8] { Array((privateKey.pemRepresentation + "\n").utf8) }

    /// The public key as PEM SubjectPublicKeyInfo bytes.
    public var publicKeyPEM: [UInt8] { Array((privateKey.publicKey.pemRepresentation + "\n").utf8) }

    /// Flower's `generate_shared_key`: ECDH with the peer's PEM public key, HKDF-SHA256 (no salt,
    /// no info) to 32 bytes, URL-safe base64: a Fernet key and a mask seed.
    ///
    /// - Throws: `SecAggPlusError.cryptography` when `publicKeyPEM` is not a P-384 public key.
    public func sharedKey(withPublicKeyPEM publicKeyPEM: [UInt8]) throws(SecAggPlusError) -> [UInt8] {
        let peer: P384.KeyAgreement.PublicKey
        do {
            peer = try P384.KeyAgreement.PublicKey(pemRepresentation: String(decoding: publicKeyPEM, as: UTF8.self))
        } catch {
            throw .cryptography("a neighbour's public key is not a P-384 key in PEM: \(error)")
        }
        do {
            let secret = try privateKey.sharedSecretFromKeyAgreement(with: peer)
            let derived = secret.hkdfDerivedSymmetricKey(
                using: SHA256.self, salt: [UInt8](), sharedInfo: [UInt8](), outputByteCount: 32)
            return Fernet.encodeBase64URL(derived.withUnsafeBytes { Array($0) })
        } catch {
            throw .cryptography("ECDH key agreement failed: \(error)")
        }
    }
}
