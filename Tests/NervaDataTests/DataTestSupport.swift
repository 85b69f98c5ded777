import Foundation
import NervaData

// Shared fixtures for the data tests: temporary folders, hand-made IDX files, /usr/bin/gzip.

/// A fresh folder under the temporary directory; call `remove()` when done.
struct DataTestDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("nerva-data-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
    func remove() { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to `name` and returns its URL.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let url = file(name)
        try Data(bytes).write(to: url)
        return url
    }
}

/// The bytes of an IDX file, written independently of the reader: magic, big-endian dimensions,
/// then `payload` as given.
func idxBytes(type: UInt8, shape: [Int], payload: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, type, UInt8(shape.count)]
    for dimension in shape { bytes += bigEndian(UInt32(dimension)) }
    return bytes + payload
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

func bigEndian(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

func bigEndian(_ value: UInt64) -> [UInt8] { bigEndian(UInt32(value >> 32)) + bigEndian(UInt32(value & 0xFFFF_FFFF)) }

/// The `/usr/bin/gzip` compression of `bytes` (an implementation independent of Nerva's zlib use).
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let input = FileManager.default.temporaryDirectory.appendingPathComponent("nerva-gzip-\(UUID().uuidString)")
    try Data(bytes).write(to: input)
    defer { try? FileManager.default.removeItem(at: input) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
    process.arguments = ["-c", "-n", input.path]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    return [UInt8](data)
}

/// Whether `/usr/bin/gzip` exists, for the tests that need it.
let hasGzip = FileManager.default.isExecutableFile(atPath: "/usr/bin/gzip")
