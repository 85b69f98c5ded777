import Foundation
import NervaNN
import NervaTensor
import Testing

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct CheckpointTestDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("nerva-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
    /// The names in the directory, temporaries included.
    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

@Suite struct AtomicFileTests {
    @Test func writesNewFileWithoutLeavingTemporaries() throws {
        let directory = try CheckpointTestDirectory()
        defer { directory.remove() }
        let url = directory.file("out.bin")
        try AtomicFile.write([1, 2, 3] as [UInt8], to: url)
        #expect(try Data(contentsOf: url) == Data([1, 2, 3]))
        #expect(try directory.contents() == ["out.bin"])
    }

    @Test func replacesExistingContent() throws {
        let directory = try CheckpointTestDirectory()
        defer { directory.remove() }
        let url = directory.file("out.bin")
        try AtomicFile.write([UInt8](repeating: 7, count: 10_000), to: url)
        try AtomicFile.write(Data("short".utf8), to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "short")
        try AtomicFile.write([UInt8](), to: url)
        #expect(try Data(contentsOf: url).isEmpty)
        #expect(try directory.contents() == ["out.bin"])
    }

    @Test func acceptsNonContiguousCollections() throws {
        let directory = try CheckpointTestDirectory()
        defer { directory.remove() }
        let url = directory.file("range.bin")
        try AtomicFile.write((0...255).lazy.map { UInt8($0) }, to: url)
        #expect(try Data(contentsOf: url) == Data((0...255).map { UInt8($0) }))
    }

    @Test func failedRenameRemovesTemporaryAndKeepsDestination() throws {
        let directory = try CheckpointTestDirectory()
        defer { directory.remove() }
        // A non-empty directory at the destination cannot be replaced by a file.
        let destination = directory.file("occupied")
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: destination.appendingPathComponent("inside.txt"))

        let error = #expect(throws: FileError.self) { try AtomicFile.write([1, 2, 3] as [UInt8], to: destination) }
        guard case let .cannotRename(from, to, _)? = error else {
            Issue.record("expected cannotRename, got \(String(describing: error))")
            return
        }
        #expect(to == destination.path)
        #expect(error!.description.contains(from) && error!.description.contains(destination.path))
        #expect(try directory.contents() == ["occupied"])
        #expect(try String(contentsOf: destination.appendingPathComponent("inside.txt"), encoding: .utf8) == "keep")
    }

    @Test func missingDirectoryReportsPathAndReason() throws {
        let directory = try CheckpointTestDirectory()
        defer { directory.remove() }
        let url = directory.file("absent/out.bin")
        let error = #expect(throws: FileError.self) { try AtomicFile.write([1] as [UInt8], to: url) }
        guard case let .cannotCreate(path, code)? = error else {
            Issue.record("expected cannotCreate, got \(String(describing: error))")
            return
        }
        #expect(code == ENOENT)
        #expect(path.hasPrefix(directory.file("absent").path + "/.out.bin.tmp-"))
        #expect(error!.description.contains(path))
        #expect(error!.description.contains("No such file or directory"))
    }

    // Root ignores directory permissions, so this only runs for ordinary users.
    @Test(.enabled(if: getuid() != 0, "root can write into read-only directories"))
    func readOnlyDirectoryKeepsPreviousFile() throws {
        let directory = try CheckpointTestDirectory()
        defer {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.url.path)
            directory.remove()
        }
        let url = directory.file("model.bin")
        try AtomicFile.write([9, 9] as [UInt8], to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: directory.url.path)
        #expect(throws: FileError.self) { try AtomicFile.write([1, 2, 3] as [UInt8], to: url) }
        #expect(try Data(contentsOf: url) == Data([9, 9]))
        #expect(try directory.contents() == ["model.bin"])
    }

    @Test func failedSafetensorsWriteKeepsPreviousFile() throws {
        let directory = try CheckpointTestDirectory()
        defer { directory.remove() }
        let url = directory.file("model.safetensors")
        try Safetensors.write(["w": Tensor([1, 2], shape: [2])], to: url)
        let before = try Data(contentsOf: url)

        // Encoding fails before anything touches the disk.
        let error = #expect(throws: SafetensorsError.self) {
            try Safetensors.write(["w": Tensor([3, 4], shape: [2]), "": Tensor([5])], to: url)
        }
        #expect(error == .invalidName(source: url.path, name: "", problem: "is empty"))
        #expect(try Data(contentsOf: url) == before)
        #expect(try directory.contents() == ["model.safetensors"])
        #expect(try Safetensors.read(from: url).tensors["w"]?.scalars == [1, 2])
    }
}
