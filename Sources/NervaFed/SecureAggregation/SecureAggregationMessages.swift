import Crypto
import Foundation

/// A participant's public keys for one round (step 1 of `SecureAggregation`).
public struct AdvertisedKeys: Sendable, Codable, Equatable {
    /// The participant's position `0..<n` in the round.
    public let index: Int
    /// Raw X25519 public key for encrypting shares (`c_u`).
    public let encryptionKey: Data
    /// Raw X25519 public key for agreeing on masks (`s_u`).
    public let maskingKey: Data

    /// - Parameters:
    ///   - index: the participant's position in the round.
    ///   - encryptionKey: raw X25519 public key for encrypting shares.
    ///   - maskingKey: raw X25519 public key for agreeing on masks.
    public init(index: Int, encryptionKey: Data, maskingKey: Data) {
        self.index = index
        self.encryptionKey = encryptionKey
        self.maskingKey = maskingKey
    }
}

/// One participant's encrypted shares for a neighbour, relayed by the server (step 2).
public struct EncryptedShares: Sendable, Codable, Equatable {
    /// The sender's index.
    public let from: Int
    /// The recipient's index.
    public let to: Int
    /// ChaCha20-Poly1305 box of `from`, `to` and the shares of `s_from` and `b_from`.
    public let ciphertext: Data

    /// - Parameters:
    ///   - from: the sender's index.
    ///   - to: the recipient's index.
    ///   - ciphertext: the sealed box.
    public init(from: Int, to: Int, ciphertext: Data) {
        self.from = from
        self.to = to
        self.ciphertext = ciphertext
    }

    /// The size of every box: the plaintext's `from`, `to` and two shares of 32-byte secrets as
    /// 64-bit words, plus ChaCha20-Poly1305's nonce and tag.
    public static let ciphertextBytes = (2 + 2 * (1 + SecureAggregation.limbCount)) * 8 + 12 + 16
}

/// A survivor's answer to the unmasking request (step 4).
public struct UnmaskingShares: Sendable, Codable, Equatable {
    /// The survivor's index.
    public let from: Int
    /// Shares of the self-mask seeds of survivors, by participant.
    public let selfMaskShares: [Int: SecureAggregation.Share]
    /// Shares of the masking keys of participants that dropped, by participant.
    public let maskingKeyShares: [Int: SecureAggregation.Share]

    /// - Parameters:
    ///   - from: the survivor's index.
    ///   - selfMaskShares: shares of survivors' self-mask seeds, by participant.
    ///   - maskingKeyShares: shares of dropped participants' masking keys, by participant.
    public init(
        from: Int, selfMaskShares: [Int: SecureAggregation.Share], maskingKeyShares: [Int: SecureAggregation.Share]
    ) {
        self.from = from
        self.selfMaskShares = selfMaskShares
        self.maskingKeyShares = maskingKeyShares
    }
}
