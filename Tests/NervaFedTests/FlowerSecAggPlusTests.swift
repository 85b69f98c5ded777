import Foundation
import NervaTensor
import NervaTestSupport
import Testing

@testable import NervaFed

/// Nerva's SecAgg+ primitives against flwr 1.42's own (scripts/secaggplus_interop.py, run with
/// the Flower venv): NumPy's masks, ECDH + HKDF keys, Fernet tokens, Shamir shares, the share
/// packet layout; and the client's stage checks.
@Suite struct FlowerSecAggPlusTests {
    /// The values flwr computes (`vectors`), or nil when flwr is not installed.
    nonisolated(unsafe) static let vectors: [String: Any]? = {
        guard let text = try? FlowerContentTests.flower(["vectors"], script: "secaggplus_interop.py") else {
            return nil
        }
        return try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }()

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    static func hexString(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func masksAreNumpysRandomStateDrawsBitForBit() throws {
        guard let vectors = Self.vectors else { return }
        let cases = try #require(vectors["masks"] as? [[String: Any]])
        #expect(cases.count == 5)
        for item in cases {
            let seed = Self.hex(try #require(item["seed"] as? String))
            let modulus = try #require(item["modulus"] as? Int64)
            let shapes = try #require(item["shapes"] as? [[Int]])
            let expected = try #require(item["values"] as? [[Int64]])
            let masks = try SecAggPlusMasks.generate(seed: seed, modulus: modulus, shapes: shapes)
            #expect(masks == expected, "seed \(Self.hexString(seed)) modulus \(modulus)")
        }
        #expect(throws: SecAggPlusError.self) {
            try SecAggPlusMasks.generate(seed: [1, 2, 3], modulus: 1 << 32, shapes: [[1]])
        }
    }

    @Test func keyAgreementFernetAndSharePacketMatchFlwr() throws {
        guard let vectors = Self.vectors else { return }
        let alice = try SecAggPlusKeyPair(
            privateKeyPEM: Array(try #require(vectors["alicePrivatePEM"] as? String).utf8))
        let bobPublic = Array(try #require(vectors["bobPublicPEM"] as? String).utf8)
        let sharedKey = try alice.sharedKey(withPublicKeyPEM: bobPublic)
        #expect(String(decoding: sharedKey, as: UTF8.self) == vectors["sharedKey"] as? String)
        let plaintext = Self.hex(try #require(vectors["plaintext"] as? String))
        let token = Array(try #require(vectors["token"] as? String).utf8)
        #expect(try Fernet(key: sharedKey).decrypt(token) == plaintext)
        var altered = token
        altered[60] = altered[60] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: SecAggPlusError.self) { try Fernet(key: sharedKey).decrypt(altered) }
        let packet = try SecAggPlusSharePacket(bytes: plaintext)
        #expect(
            packet
                == SecAggPlusSharePacket(
                    source: 7, destination: 1 << 40, seedShare: Array("share-of-seed".utf8),
                    keyShare: Array("share-of-key".utf8)))
        #expect(packet.bytes == plaintext)
        let ownToken = try Fernet(key: sharedKey).encrypt(
            plaintext, initializationVector: Array(repeating: 7, count: 16), timestamp: 1)
        #expect(try Fernet(key: sharedKey).decrypt(ownToken) == plaintext)
    }

    @Test func flwrsShamirSharesCombineInNerva() throws {
        guard let vectors = Self.vectors else { return }
        let secret = Self.hex(try #require(vectors["secret"] as? String))
        let shares = try #require(vectors["shares"] as? [String]).map(Self.hex)
        #expect(shares.count == 5 && shares[0].count == 4 + 48, "40 bytes pad to 48: three 16-byte chunks")
        for subset in [[0, 1, 2], [4, 2, 0], [1, 3, 4], [0, 1, 2, 3, 4]] {
            #expect(try ShamirSecretSharing.combine(subset.map { shares[$0] }) == secret, "\(subset)")
        }
    }

    @Test func nervasSharesTokensAndKeysAreReadByFlwr() throws {
        guard let vectors = Self.vectors else { return }
        let keys = SecAggPlusKeyPair()
        let peer = Array(try #require(vectors["bobPublicPEM"] as? String).utf8)
        let fernetKey = try keys.sharedKey(withPublicKeyPEM: peer)
        let plaintext = SecAggPlusSharePacket(
            source: 1 << 63, destination: 3, seedShare: [1, 2, 3], keyShare: Array(0..<200)
        ).bytes
        var random = SystemRandomNumberGenerator()
        let secret = keys.privateKeyPEM
        let shares = try ShamirSecretSharing.shares(of: secret, threshold: 3, count: 5, using: &random)
        #expect(try ShamirSecretSharing.combine([shares[3], shares[0], shares[4]]) == secret)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "nerva-secagg-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let json: [String: Any] = [
            "fernetKey": String(decoding: fernetKey, as: UTF8.self), "plaintext": Self.hexString(plaintext),
            "token": String(decoding: try Fernet(key: fernetKey).encrypt(plaintext), as: UTF8.self),
            "secret": Self.hexString(secret), "shares": shares.map(Self.hexString), "threshold": 3,
            "privatePEM": String(decoding: keys.privateKeyPEM, as: UTF8.self),
            "publicPEM": String(decoding: keys.publicKeyPEM, as: UTF8.self),
            "peerPublicPEM": String(decoding: peer, as: UTF8.self),
            "sharedKey": String(decoding: fernetKey, as: UTF8.self)
        ]
        try JSONSerialization.data(withJSONObject: json).write(to: file)
        let output = try FlowerContentTests.flower(["check", file.path], script: "secaggplus_interop.py")
        #expect(output?.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(output ?? "")")
    }

    @Test func tooFewSharesDoNotRecoverTheSecret() throws {
        var generator = RandomGenerator(seed: 5)
        let secret = Array("a secret of 24 bytes....".utf8)
        let shares = try ShamirSecretSharing.shares(of: secret, threshold: 3, count: 4, using: &generator)
        #expect(try ShamirSecretSharing.combine(Array(shares[1...3])) == secret)
        #expect((try? ShamirSecretSharing.combine(Array(shares[0...1]))) != secret)
        #expect(throws: SecAggPlusError.self) { try ShamirSecretSharing.combine([shares[0], shares[0]]) }
        #expect(throws: SecAggPlusError.self) {
            try ShamirSecretSharing.shares(of: secret, threshold: 5, count: 4, using: &generator)
        }
    }

    @Test func quantizationIsUnbiasedAndWithinOneStep() {
        var generator = RandomGenerator(seed: 11)
        let values: [Float] = [-9, -8, -1.25, 0, 0.3, 7.999, 12]
        let step = 16.0 / 1024
        var sums = [Double](repeating: 0, count: values.count)
        for _ in 0..<2000 {
            let quantized = SecAggPlusQuantization.quantize(
                values, clippingRange: 8, targetRange: 1024, using: &generator)
            #expect(quantized.allSatisfy { (0...1024).contains($0) })
            let restored = SecAggPlusQuantization.dequantize(quantized, clippingRange: 8, targetRange: 1024)
            for (index, value) in restored.enumerated() {
                #expect(abs(value - Double(min(max(values[index], -8), 8))) <= step + 1e-9)
                sums[index] += value
            }
        }
        for (index, sum) in sums.enumerated() {
            #expect(abs(sum / 2000 - Double(min(max(values[index], -8), 8))) < step / 10, "mean of \(values[index])")
        }
    }

    @Test func stagesOutOfOrderOrIncompleteAreRefusedWithTheirReason() throws {
        let client = SecAggPlusClient()
        func message(_ stage: String, _ values: [String: FlowerValue] = [:]) -> FlowerContent {
            FlowerContent(records: ["secaggplus_configs": .config(values.merging(["stage": .string(stage)]) { $1 })])
        }
        let never: (FlowerContent) throws -> FlowerContent = { _ in
            Issue.record("no training expected")
            return FlowerContent()
        }
        #expect(
            throws: SecAggPlusError.protocolViolation(
                "abort secure aggregation: expected the setup stage, received share_keys")
        ) {
            try client.reply(to: message("share_keys"), runID: 1, nodeID: 5, train: never)
        }
        #expect(throws: SecAggPlusError.protocolViolation("stage setup: the config has no \"sample_num\"")) {
            try client.reply(to: message("setup"), runID: 1, nodeID: 5, train: never)
        }
        let setup: [String: FlowerValue] = [
            "sample_num": .integer(3), "share_num": .integer(3), "threshold": .integer(2),
            "clipping_range": .double(8), "target_range": .integer(1 << 22),
            "mod_range": .integer(1 << 32), "max_weight": .double(1000)
        ]
        let reply = try client.reply(to: message("setup", setup), runID: 1, nodeID: 5, train: never)
        guard case .config(let keys)? = reply.records["secaggplus_configs"], case .bytes(let pk1)? = keys["pk1"],
            case .bytes(let pk2)? = keys["pk2"]
        else {
            Issue.record("setup reply \(reply)")
            return
        }
        #expect(String(decoding: pk1, as: UTF8.self).hasPrefix("-----BEGIN PUBLIC KEY-----") && pk1 != pk2)
        let other = SecAggPlusKeyPair()
        let onlyOne: [String: FlowerValue] = ["7": .bytesList([other.publicKeyPEM, SecAggPlusKeyPair().publicKeyPEM])]
        #expect(throws: SecAggPlusError.protocolViolation("share_keys: 1 neighbours, fewer than the threshold 2")) {
            try client.reply(to: message("share_keys", onlyOne), runID: 1, nodeID: 5, train: never)
        }
    }
}
