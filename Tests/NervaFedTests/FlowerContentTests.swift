import Foundation
import NervaTestSupport
import Testing

@testable import NervaFed

/// Nerva's Flower objects against flwr 1.42 itself (scripts/flower_interop.py, run with the
/// interpreter in $NERVA_FLOWER_PYTHON or ./.venv-flower, where `.ci/run` installs flwr).
@Suite struct FlowerContentTests {
    /// The content scripts/flower_interop.py builds with flwr's own classes.
    static let reference = FlowerContent(records: [
        "arrays": .arrays(
            names: ["fc.weight", "fc.bias", "zeros"],
            arrays: [
                NumpyArray(scalars: [0, 0.25, 0.5, 0.75, 1, 1.25], shape: [2, 3]),
                NumpyArray(scalars: [1.5, -2], shape: [2]),
                NumpyArray(scalars: [0, 0, 0], shape: [3])
            ]),
        "config": .config([
            "lr": .double(0.1), "name": .string("nerva"), "proximal-mu": .double(0.01), "server-round": .integer(3)
        ]),
        "metrics": .metrics(["loss": .double(0.25), "num-examples": .integer(10)])
    ])

    @Test func readsWhatFlowerWrites() throws {
        guard let sent = try Self.flower(["deflate"]) else { return }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(sent.utf8)) as? [String: Any])
        let encoded = try #require(json["objects"] as? [String: String])
        var objects: [String: FlowerObject] = [:]
        for (id, base64) in encoded {
            objects[id] = try FlowerObject(bytes: [UInt8](try #require(Data(base64Encoded: base64))), expectedID: id)
        }
        let content = try FlowerContent(inflating: try #require(json["root"] as? String), from: objects)
        #expect(content == Self.reference)
    }

    @Test func writesWhatFlowerWritesByteForByte() throws {
        let (objects, root) = try Self.reference.deflated()
        #expect(objects.last?.id == root)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flower-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let map = Dictionary(uniqueKeysWithValues: objects.map { ($0.id, Data($0.bytes).base64EncodedString()) })
        try JSONSerialization.data(withJSONObject: ["root": root, "objects": map]).write(to: file)
        guard let verdict = try Self.flower(["inflate", file.path]) else { return }
        #expect(verdict.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(verdict)")
    }

    @Test func roundTripKeepsArrayOrderAndValues() throws {
        let (objects, root) = try Self.reference.deflated(chunkSize: 7) // many chunks, some repeated
        let byID = Dictionary(objects.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(try FlowerContent(inflating: root, from: byID) == Self.reference)
    }

    @Test func tamperedObjectIsRejected() throws {
        let (objects, _) = try Self.reference.deflated()
        var bytes = objects[0].bytes
        bytes[bytes.count - 1] ^= 1
        #expect(throws: FlowerProtocolError.self) { try FlowerObject(bytes: bytes, expectedID: objects[0].id) }
        let fake = Array("Array  3\u{0}abc".utf8)
        #expect(throws: FlowerProtocolError.self) {
            try FlowerObject(bytes: fake, expectedID: FlowerObject.id(of: fake) + "0")
        }
        let badLength = Array("ArrayChunk  99\u{0}abc".utf8)
        #expect(throws: FlowerProtocolError.self) {
            try FlowerObject(bytes: badLength, expectedID: FlowerObject.id(of: badLength))
        }
        let unknownType = Array("Tensor  3\u{0}abc".utf8)
        #expect(throws: FlowerProtocolError.self) {
            try FlowerObject(bytes: unknownType, expectedID: FlowerObject.id(of: unknownType))
        }
    }

    @Test func aPulledMessageIsReadFromTheBytesOfItsObjects() throws {
        let (objects, root) = try Self.reference.deflated()
        let message = FlowerObject(kind: .message, children: [root], body: Array("metadata".utf8))
        let byID = Dictionary((objects + [message]).map { ($0.id, $0.bytes) }, uniquingKeysWith: { first, _ in first })
        #expect(try FlowerContent(messageObjects: byID, messageID: message.id) == Self.reference)
        #expect(throws: FlowerProtocolError.self) { try FlowerContent(messageObjects: byID, messageID: root) }
        var tampered = byID
        tampered[root]![tampered[root]!.count - 1] ^= 1
        #expect(throws: FlowerProtocolError.self) { try FlowerContent(messageObjects: tampered, messageID: message.id) }
    }

    @Test func missingOrMistypedChildrenAreNamedErrors() throws {
        let (objects, root) = try Self.reference.deflated()
        var byID = Dictionary(objects.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let chunk = try #require(objects.first { $0.kind == .arrayChunk })
        byID[chunk.id] = nil
        #expect(throws: FlowerProtocolError.self) { try FlowerContent(inflating: root, from: byID) }
        #expect(throws: FlowerProtocolError.self) { try FlowerContent(inflating: chunk.id, from: byID) }
    }

    /// Runs `script` (scripts/flower_interop.py by default) with flwr's Python; `nil` (test
    /// skipped) when flwr is not installed, unless CI requires it.
    static func flower(_ arguments: [String], script: String = "flower_interop.py") throws -> String? {
        let python =
            ProcessInfo.processInfo.environment["NERVA_FLOWER_PYTHON"]
            ?? PythonScript.repositoryRoot.appendingPathComponent(".venv-flower/bin/python3").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            if PythonScript.isRequired {
                Issue.record("flwr's Python (\(python)) is missing: run scripts/install-dependencies --with-flower")
            }
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [PythonScript.script(script)] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
        return text
    }
}
