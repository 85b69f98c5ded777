import Foundation
import NervaFed
import Testing

@Suite struct FleetIdentityTests {
    @Test func flowerAcceptsTheSignedHeaders() throws {
        let headers = try FleetIdentity().headers()
        #expect(headers.map(\.name) == ["flwr-public-key", "flwr-timestamp", "flwr-signature"])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("auth-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try JSONSerialization.data(
            withJSONObject: Dictionary(uniqueKeysWithValues: headers.map { ($0.name, $0.value) })
        ).write(to: file)
        guard let verdict = try FlowerContentTests.flower(["verify-auth", file.path]) else { return }
        #expect(verdict.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(verdict)")
    }

    @Test func staleTimestampIsRejectedByFlower() throws {
        let headers = try FleetIdentity().headers(at: Date(timeIntervalSinceNow: -600))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("auth-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try JSONSerialization.data(
            withJSONObject: Dictionary(uniqueKeysWithValues: headers.map { ($0.name, $0.value) })
        ).write(to: file)
        guard let verdict = try FlowerContentTests.flower(["verify-auth", file.path]) else { return }
        #expect(verdict.hasPrefix("invalid"), "\(verdict)")
    }

    @Test func keyFileKeepsTheIdentityAndRejectsGarbage() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("node.pem")
        let first = try FleetIdentity(keyFile: file)
        let again = try FleetIdentity(keyFile: file)
        #expect(first.publicKeyPEM == again.publicKeyPEM)
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        try Data("not a key".utf8).write(to: file)
        #expect(throws: FleetIdentityError.self) { try FleetIdentity(keyFile: file) }
    }
}
