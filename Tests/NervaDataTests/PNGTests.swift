import Foundation
import NervaData
import NervaTensor
import NervaTestSupport
import Testing

/// Pillow, reached through `scripts/png_decode.py`: an independent PNG decoder.
enum PNGReference {
    static let isAvailable = PythonScript.canImport("PIL")

    struct Decoded: Decodable {
        let mode: String, size: [Int], pixels: [Pixel]
    }

    /// One pixel: a grey level, or a list of band values.
    enum Pixel: Decodable, Equatable {
        case gray(Int), bands([Int])
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Int.self) {
                self = .gray(value)
            } else {
                self = .bands(try container.decode([Int].self))
            }
        }
    }

    static func decode(_ url: URL) throws -> Decoded {
        let output = PythonScript.run([PythonScript.script("png_decode.py"), url.path])
        try #require(output.status == 0, "\(output.log)")
        return try JSONDecoder().decode(Decoded.self, from: Data(output.stdout.utf8))
    }
}

/// The chunks of a PNG file: type, data, and whether the stored CRC matches one computed here
/// (bitwise, without zlib).
func pngChunks(_ bytes: [UInt8]) -> [(type: String, data: [UInt8], crcMatches: Bool)] {
    func crc(_ data: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in data {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }
    func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 << 8 | Int(bytes[at + $1]) } }
    var chunks: [(String, [UInt8], Bool)] = [], offset = 8
    while offset + 12 <= bytes.count {
        let length = u32(offset)
        let type = String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self)
        let data = Array(bytes[offset + 8..<offset + 8 + length])
        let stored = UInt32(u32(offset + 8 + length))
        chunks.append((type, data, stored == crc(bytes[offset + 4..<offset + 8 + length])))
        offset += 12 + length
    }
    return chunks
}

@Suite struct PNGTests {
    @Test func chunkLayout() {
        let png = PNG.encode(grayscale: Array(0..<12), width: 4, height: 3)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let chunks = pngChunks(png)
        #expect(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
        #expect(chunks.allSatisfy { $0.crcMatches })
        // Width 4, height 3, bit depth 8, grey-scale, deflate, adaptive filtering, no interlace.
        #expect(chunks[0].data == [0, 0, 0, 4, 0, 0, 0, 3, 8, 0, 0, 0, 0])
        #expect(chunks[2].data.isEmpty)
        let rgb = pngChunks(PNG.encode(rgb: Array(repeating: 9, count: 3 * 2 * 2), width: 2, height: 2))
        #expect(rgb[0].data[9] == 2, "colour type 2 is RGB")
        // Every byte is accounted for by the chunks.
        #expect(8 + chunks.map { 12 + $0.data.count }.reduce(0, +) == png.count)
    }

    @Test func encodesTensorsWithClamping() throws {
        let directory = try DataTestDirectory()
        defer { directory.remove() }
        let url = directory.file("clamped.png")
        try PNG.write(Tensor([-0.5, 0, 0.5, 1, 1.5, .nan], shape: [2, 3]), to: url)
        let chunks = pngChunks([UInt8](try Data(contentsOf: url)))
        #expect(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"] && chunks.allSatisfy { $0.crcMatches })
        #expect(
            PNG.encode(Tensor.zeros([1, 3, 2]))
                == PNG.encode(grayscale: Array(repeating: 0, count: 6), width: 2, height: 3))
    }

    // MARK: - Decoded by Pillow

    @Test(
        .enabled(
            if: PNGReference.isAvailable || PythonScript.isRequired,
            "needs Python with Pillow (scripts/install-dependencies)"))
    func pillowDecodesGrayscale() throws {
        try #require(PNGReference.isAvailable, "\(PythonScript.python) cannot import PIL, and NERVA_REQUIRE_INTEROP=1")
        let directory = try DataTestDirectory()
        defer { directory.remove() }
        let (width, height) = (7, 5)
        let pixels = (0..<width * height).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
        let url = directory.file("gray.png")
        try Data(PNG.encode(grayscale: pixels, width: width, height: height)).write(to: url)
        let decoded = try PNGReference.decode(url)
        #expect(decoded.mode == "L")
        #expect(decoded.size == [width, height])
        #expect(decoded.pixels == pixels.map { .gray(Int($0)) })
    }

    @Test(
        .enabled(
            if: PNGReference.isAvailable || PythonScript.isRequired,
            "needs Python with Pillow (scripts/install-dependencies)"))
    func pillowDecodesRGB() throws {
        try #require(PNGReference.isAvailable, "\(PythonScript.python) cannot import PIL, and NERVA_REQUIRE_INTEROP=1")
        let directory = try DataTestDirectory()
        defer { directory.remove() }
        let (width, height) = (4, 3)
        let bytes = (0..<3 * width * height).map { UInt8(truncatingIfNeeded: $0 * 53 + 7) }
        let url = directory.file("rgb.png")
        try Data(PNG.encode(rgb: bytes, width: width, height: height)).write(to: url)
        let decoded = try PNGReference.decode(url)
        #expect(decoded.mode == "RGB")
        #expect(decoded.size == [width, height])
        #expect(decoded.pixels == (0..<width * height).map { .bands(bytes[3 * $0..<3 * $0 + 3].map { Int($0) }) })
    }

    @Test(
        .enabled(
            if: PNGReference.isAvailable || PythonScript.isRequired,
            "needs Python with Pillow (scripts/install-dependencies)"))
    func pillowDecodesTensorImages() throws {
        try #require(PNGReference.isAvailable, "\(PythonScript.python) cannot import PIL, and NERVA_REQUIRE_INTEROP=1")
        let directory = try DataTestDirectory()
        defer { directory.remove() }
        // [H, W] grey-scale with values outside [0, 1] and NaN.
        let grayURL = directory.file("tensor-gray.png")
        try PNG.write(Tensor([-0.5, 0, 0.5, 1, 1.5, .nan], shape: [2, 3]), to: grayURL)
        let gray = try PNGReference.decode(grayURL)
        #expect(gray.mode == "L" && gray.size == [3, 2])
        #expect(gray.pixels == [0, 0, 128, 255, 255, 0].map { .gray($0) })
        // [3, H, W] planes become interleaved RGB pixels.
        let rgbURL = directory.file("tensor-rgb.png")
        let planes: [Float] = [1, 0, 0, 1, /* green */ 0, 1, 0, 1, /* blue */ 0, 0, 1, 1]
        try PNG.write(Tensor(planes, shape: [3, 2, 2]), to: rgbURL)
        let rgb = try PNGReference.decode(rgbURL)
        #expect(rgb.mode == "RGB" && rgb.size == [2, 2])
        #expect(rgb.pixels == [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]].map { .bands($0) })
    }

    @Test func unwritableDestinationNamesTheFile() {
        let url = URL(fileURLWithPath: "/nonexistent-nerva-folder/out.png")
        let error = #expect(throws: DataError.self) { try PNG.write(Tensor.zeros([2, 2]), to: url) }
        #expect(error?.description.hasPrefix("/nonexistent-nerva-folder/out.png: cannot write the file") == true)
    }
}
