import Foundation
import NervaData
import NervaTensor
import Testing

/// One IDX file per element type: its code, payload bytes and the values they encode.
struct IDXCase: Sendable, CustomStringConvertible {
    let type: IDXDataType, code: UInt8, payload: [UInt8], values: [Double]
    var description: String { "\(type)" }

    static let all: [IDXCase] = {
        let i16: [Int16] = [-32768, -1, 0, 1, 300, 32767]
        let i32: [Int32] = [Int32.min, -1, 0, 1, 1 << 24, 123_456]
        let f32: [Float] = [-1.5, 0, 3.25, .pi, 1e-3, -7e8]
        let f64: [Double] = [-2.5, 0, 0.125, 1e10, -1e-7, 42]
        return [
            IDXCase(type: .uint8, code: 0x08, payload: [0, 1, 127, 128, 254, 255], values: [0, 1, 127, 128, 254, 255]),
            IDXCase(type: .int8, code: 0x09, payload: [0x80, 0xFF, 0, 1, 0x7F, 5], values: [-128, -1, 0, 1, 127, 5]),
            IDXCase(
                type: .int16, code: 0x0B, payload: i16.flatMap { bigEndian(UInt16(bitPattern: $0)) },
                values: i16.map(Double.init)),
            IDXCase(
                type: .int32, code: 0x0C, payload: i32.flatMap { bigEndian(UInt32(bitPattern: $0)) },
                values: i32.map(Double.init)),
            IDXCase(
                type: .float32, code: 0x0D, payload: f32.flatMap { bigEndian($0.bitPattern) },
                values: f32.map(Double.init)),
            IDXCase(type: .float64, code: 0x0E, payload: f64.flatMap { bigEndian($0.bitPattern) }, values: f64)
        ]
    }()
}

@Suite struct IDXTests {
    // MARK: - Every type, plain and gzip'd

    @Test(arguments: IDXCase.all, [false, true])
    func readsEachType(_ example: IDXCase, gzip: Bool) throws {
        let directory = try DataTestDirectory()
        defer { directory.remove() }
        let plain = idxBytes(type: example.code, shape: [2, 3], payload: example.payload)
        let url = try directory.write(gzip ? gzipped(plain) : plain, to: gzip ? "data.idx.gz" : "data.idx")

        let file = try IDXFile.read(from: url)
        #expect(file.shape == [2, 3])
        #expect(file.dataType == example.type)
        #expect(file.count == 6)
        let tensor = file.tensor()
        #expect(tensor.shape == [2, 3])
        #expect(tensor.scalars == example.values.map { Float($0) })
        #expect(file.tensor(scaledBy: 0.5).scalars == example.values.map { Float($0) * 0.5 })
        #expect(file.payload == Data(example.payload))
        if example.type.isInteger { #expect(file.integers() == example.values.map { Int($0) }) }
        if example.type == .uint8 { #expect(file.bytes == example.payload) }
    }

    @Test func typeCodesAndWidths() {
        #expect(IDXDataType.allCases.map(\.rawValue) == [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E])
        #expect(IDXDataType.allCases.map(\.byteWidth) == [1, 1, 2, 4, 4, 8])
        #expect(IDXDataType.allCases.map(\.description) == ["u8", "i8", "i16", "i32", "f32", "f64"])
    }

    @Test func readsHigherRanksAndEmptyDimensions() throws {
        let cube = try IDXFile.decode(Data(idxBytes(type: 0x08, shape: [2, 2, 2], payload: Array(0..<8))))
        #expect(cube.shape == [2, 2, 2])
        #expect(cube.tensor().scalars == (0..<8).map(Float.init))
        let empty = try IDXFile.decode(Data(idxBytes(type: 0x0D, shape: [0, 5], payload: [])))
        #expect(empty.shape == [0, 5])
        #expect(empty.tensor().shape == [0, 5])
    }

    @Test(arguments: [false, true])
    func limitKeepsLeadingEntries(gzip: Bool) throws {
        let directory = try DataTestDirectory()
        defer { directory.remove() }
        let plain = idxBytes(type: 0x08, shape: [4, 3], payload: Array(0..<12))
        let url = try directory.write(gzip ? gzipped(plain) : plain, to: "limited")
        let two = try IDXFile.read(from: url, limit: 2)
        #expect(two.shape == [2, 3])
        #expect(two.bytes == Array(0..<6))
        #expect(try IDXFile.read(from: url, limit: 10).shape == [4, 3])
        #expect(try IDXFile.read(from: url, limit: 0).shape == [0, 3])
    }

    // MARK: - Gzip and zlib streams

    @Test func inflatesZlibAndConcatenatedGzipStreams() throws {
        let zlibHello: [UInt8] = [0x78, 0x9C, 0xCB, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x06, 0x2C, 0x02, 0x15]
        #expect(try Gzip.decompress(Data(zlibHello)) == Data("hello".utf8))
        let joined = try gzipped(Array("one ".utf8)) + gzipped(Array("two".utf8))
        #expect(try Gzip.decompress(Data(joined)) == Data("one two".utf8))
        let large = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) }
        #expect(try Gzip.decompress(Data(gzipped(large))) == Data(large))
    }

    // MARK: - Malformed files

    /// Writes `bytes`, reads them back as IDX, and returns the error thrown.
    private func readError(_ bytes: [UInt8], name: String = "bad.idx") throws -> (DataError, path: String) {
        let directory = try DataTestDirectory()
        defer { directory.remove() }
        let url = try directory.write(bytes, to: name)
        let error = #expect(throws: DataError.self) { try IDXFile.read(from: url) }
        let caught = try #require(error)
        #expect(caught.description.hasPrefix(url.path + ": "), "the message names the file: \(caught)")
        return (caught, url.path)
    }

    @Test func wrongMagic() throws {
        let (error, path) = try readError([0x01, 0x00, 0x08, 0x01, 0, 0, 0, 1, 9])
        #expect(error == .invalidMagic(file: path, bytes: [0x01, 0x00, 0x08, 0x01]))
        #expect(error.description.contains("not an IDX file"))
    }

    @Test func unknownType() throws {
        let (error, path) = try readError([0, 0, 0x07, 1, 0, 0, 0, 1, 9])
        #expect(error == .unknownDataType(file: path, code: 0x07))
        #expect(error.description.contains("0x07"))
    }

    @Test func zeroRank() throws {
        let (error, path) = try readError([0, 0, 0x08, 0])
        #expect(error == .zeroRank(file: path))
    }

    @Test func truncatedHeader() throws {
        let (error, path) = try readError([0, 0, 0x08, 2, 0, 0, 0, 3, 0, 0])
        #expect(error == .truncatedHeader(file: path, byteCount: 10, headerSize: 12))
        let (short, shortPath) = try readError([0, 0])
        #expect(short == .truncatedHeader(file: shortPath, byteCount: 2, headerSize: 4))
    }

    @Test func truncatedPayload() throws {
        let (error, path) = try readError(idxBytes(type: 0x08, shape: [2, 3], payload: [1, 2, 3, 4]))
        #expect(
            error == .payloadSizeMismatch(file: path, shape: [2, 3], dataType: .uint8, expectedBytes: 6, actualBytes: 4)
        )
        #expect(error.description.contains("truncated: 2 bytes are missing"))
        // A multi-byte element cut in half.
        let (half, halfPath) = try readError(idxBytes(type: 0x0B, shape: [3], payload: [0, 1, 0, 2, 0]))
        #expect(
            half == .payloadSizeMismatch(file: halfPath, shape: [3], dataType: .int16, expectedBytes: 6, actualBytes: 5)
        )
    }

    @Test func dimensionsDescribingLessThanThePayload() throws {
        let (error, path) = try readError(idxBytes(type: 0x0D, shape: [2], payload: Array(repeating: 0, count: 12)))
        #expect(
            error == .payloadSizeMismatch(file: path, shape: [2], dataType: .float32, expectedBytes: 8, actualBytes: 12)
        )
        #expect(error.description.contains("4 bytes more than the dimensions describe"))
    }

    @Test func dimensionsOverflowing() throws {
        let huge = Int(UInt32.max)
        let (error, path) = try readError(idxBytes(type: 0x0E, shape: [huge, huge, huge], payload: [1]))
        #expect(
            error
                == .payloadSizeMismatch(
                    file: path, shape: [huge, huge, huge], dataType: .float64,
                    expectedBytes: nil, actualBytes: 1))
    }

    /// Found while adding the IDX fuzz target (issue #18): reading a gzip'd file with a limit
    /// added the header size to the payload size unchecked, which trapped when the dimensions
    /// describe exactly `Int.max` bytes (454279 · 31252369 · 649657 = 2⁶³ − 1).
    @Test(.enabled(if: hasGzip)) func limitedGzipWhosePayloadIsIntMaxBytes() throws {
        let bytes = try gzipped(idxBytes(type: 0x08, shape: [454_279, 31_252_369, 649_657], payload: [1, 2, 3]))
        #expect(throws: DataError.self) { try IDXFile.decode(Data(bytes), limit: 500_000) }
    }

    @Test(.enabled(if: hasGzip)) func corruptGzip() throws {
        var bytes = try gzipped(idxBytes(type: 0x08, shape: [64], payload: (0..<64).map { UInt8($0 * 3) }))
        for i in 12..<bytes.count - 8 { bytes[i] ^= 0x5A }
        let (error, path) = try readError(bytes, name: "bad.idx.gz")
        guard case .invalidCompression(let file, _) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(file == path)
    }

    @Test(.enabled(if: hasGzip)) func truncatedGzip() throws {
        let bytes = try gzipped(idxBytes(type: 0x08, shape: [256], payload: (0..<256).map { UInt8($0) }))
        let (error, _) = try readError(Array(bytes.dropLast(12)), name: "cut.idx.gz")
        guard case .invalidCompression = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(error.description.contains("ends early"))
    }

    @Test(.enabled(if: hasGzip)) func gzipWithTrailingGarbage() throws {
        let bytes = try gzipped(idxBytes(type: 0x08, shape: [1], payload: [7])) + [1, 2, 3]
        let (error, _) = try readError(bytes, name: "trailing.idx.gz")
        guard case .invalidCompression = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(error.description.contains("3 bytes of trailing data"))
    }

    @Test(.enabled(if: hasGzip)) func malformedContentInsideGzip() throws {
        let (error, path) = try readError(
            gzipped(idxBytes(type: 0x08, shape: [5], payload: [1, 2])), name: "short.idx.gz")
        #expect(
            error == .payloadSizeMismatch(file: path, shape: [5], dataType: .uint8, expectedBytes: 5, actualBytes: 2))
    }

    @Test func missingFile() throws {
        let url = URL(fileURLWithPath: "/nonexistent-nerva-folder/none.idx")
        #expect(throws: DataError.unreadable(file: url.path, problem: "no such file")) { try IDXFile.read(from: url) }
    }
}
