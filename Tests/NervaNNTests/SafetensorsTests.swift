import Foundation
import NervaNN
import NervaTensor
import Testing

/// Little-endian bytes of an integer or float bit pattern.
private func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
private func le(_ values: [Float]) -> [UInt8] { values.flatMap { le($0.bitPattern) } }

/// A file with this exact header text (unpadded) and data buffer.
private func file(_ header: String, data: [UInt8] = []) -> [UInt8] {
    le(UInt64(header.utf8.count)) + Array(header.utf8) + data
}

/// A file holding one tensor of `dtype` with the given raw bytes.
private func single(_ dtype: String, shape: [Int], data: [UInt8]) -> [UInt8] {
    file(#"{"t":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[0,\#(data.count)]}}"#, data: data)
}

/// The case name of an error, e.g. `sizeMismatch`.
private func caseName(_ error: SafetensorsError) -> String {
    Mirror(reflecting: error).children.first?.label ?? "\(error)"
}

/// A malformed file, the error case it must raise and a fragment of the message.
struct SafetensorsHostileFile: Sendable, CustomTestStringConvertible {
    let label: String, bytes: [UInt8], errorCase: String, fragment: String
    var testDescription: String { label }
    init(_ label: String, _ bytes: [UInt8], _ errorCase: String, _ fragment: String) {
        (self.label, self.bytes, self.errorCase, self.fragment) = (label, bytes, errorCase, fragment)
    }
}

private let f32x2 = le([1, 2] as [Float])
/// One header member; `dtype` is quoted when it starts with a letter, else inserted as raw JSON.
private func entry(_ name: String = "a", _ dtype: String = "F32", _ shape: String = "[2]", _ offsets: String = "[0,8]")
    -> String
{
    let dtypeJSON = dtype.first?.isLetter == true ? "\"\(dtype)\"" : dtype
    return #""\#(name)":{"dtype":\#(dtypeJSON),"shape":\#(shape),"data_offsets":\#(offsets)}"#
}

private let hostileFiles: [SafetensorsHostileFile] = [
    SafetensorsHostileFile("empty file", [], "truncated", "0 bytes"),
    SafetensorsHostileFile("seven bytes", [8, 0, 0, 0, 0, 0, 0], "truncated", "7 bytes"),
    SafetensorsHostileFile(
        "header over 100 MB", le(UInt64(100_000_001)) + Array("{}".utf8), "headerTooLarge", "100000001"),
    SafetensorsHostileFile("header length UInt64.max", le(UInt64.max), "headerTooLarge", "18446744073709551615"),
    SafetensorsHostileFile("header past end", le(UInt64(16)) + Array("{}  ".utf8), "headerOutOfBounds", "12-byte file"),
    SafetensorsHostileFile("invalid UTF-8", le(UInt64(4)) + [0x7B, 0xFF, 0xFE, 0x7D], "invalidHeader", "UTF-8"),
    SafetensorsHostileFile("truncated JSON", file(#"{"a":"#), "invalidHeader", "not valid JSON"),
    SafetensorsHostileFile("trailing comma", file(#"{"a":1,}"#), "invalidHeader", "not valid JSON"),
    SafetensorsHostileFile("trailing garbage", file("{} x"), "invalidHeader", "after the value"),
    SafetensorsHostileFile("empty header", file(""), "invalidHeader", "unexpected end"),
    SafetensorsHostileFile("array header", file("[]"), "invalidHeader", "not a JSON object"),
    SafetensorsHostileFile("string header", file(#""x""#), "invalidHeader", "not a JSON object"),
    SafetensorsHostileFile("deep nesting", file(String(repeating: "[", count: 100_000)), "invalidHeader", "nesting"),
    SafetensorsHostileFile("lone surrogate", file(#"{"\ud800":1}"#), "invalidHeader", "surrogate"),
    SafetensorsHostileFile("entry not object", file(#"{"a":5}"#), "invalidEntry", "not a JSON object"),
    SafetensorsHostileFile(
        "missing dtype", file(#"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, data: f32x2), "invalidEntry", #"no "dtype""#
    ),
    SafetensorsHostileFile(
        "missing shape", file(#"{"a":{"dtype":"F32","data_offsets":[0,8]}}"#, data: f32x2), "invalidEntry",
        #"no "shape""#),
    SafetensorsHostileFile(
        "missing offsets", file(#"{"a":{"dtype":"F32","shape":[2]}}"#, data: f32x2), "invalidEntry",
        #"no "data_offsets""#),
    SafetensorsHostileFile(
        "dtype not string", file("{\(entry("a", "5"))}", data: f32x2), "invalidEntry", "not a string"),
    SafetensorsHostileFile(
        "shape not array", file("{\(entry("a", "F32", "2"))}", data: f32x2), "invalidEntry", "not an array"),
    SafetensorsHostileFile(
        "float dimension", file("{\(entry("a", "F32", "[2.0]"))}", data: f32x2), "invalidEntry", "integers"),
    SafetensorsHostileFile(
        "exponent dimension", file("{\(entry("a", "F32", "[2e0]"))}", data: f32x2), "invalidEntry", "integers"),
    SafetensorsHostileFile(
        "bool dimension", file("{\(entry("a", "F32", "[true]"))}", data: f32x2), "invalidEntry", "integers"),
    SafetensorsHostileFile(
        "negative dimension", file("{\(entry("a", "F32", "[-2]"))}", data: f32x2), "invalidEntry", "non-negative"),
    SafetensorsHostileFile(
        "huge dimension", file("{\(entry("a", "F32", "[99999999999999999999]"))}", data: f32x2), "invalidEntry",
        "integers"),
    SafetensorsHostileFile(
        "three offsets", file("{\(entry("a", "F32", "[2]", "[0,8,8]"))}", data: f32x2), "invalidEntry", "3 data_offsets"
    ),
    SafetensorsHostileFile(
        "bool offset", file("{\(entry("a", "F32", "[2]", "[false,8]"))}", data: f32x2), "invalidEntry", "integers"),
    SafetensorsHostileFile(
        "negative offset", file("{\(entry("a", "F32", "[2]", "[-8,0]"))}", data: f32x2), "invalidEntry", "non-negative"),
    SafetensorsHostileFile(
        "duplicate entry key",
        file(#"{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: f32x2),
        "invalidEntry", "twice"),
    SafetensorsHostileFile("unknown dtype", file("{\(entry("a", "F8_E4M3"))}", data: f32x2), "unknownDType", "F8_E4M3"),
    SafetensorsHostileFile(
        "lower-case dtype", file("{\(entry("a", "f32"))}", data: f32x2), "unknownDType", #"unsupported dtype "f32""#),
    SafetensorsHostileFile(
        "size mismatch",
        file("{\(entry("fc.weight", "F32", "[3, 4]", "[0, 40]"))}", data: .init(repeating: 0, count: 40)),
        "sizeMismatch", #"tensor "fc.weight" has data_offsets [0, 40] but shape [3, 4] of F32 needs 48 bytes"#),
    SafetensorsHostileFile(
        "size overflow", file("{\(entry("a", "F32", "[4611686018427387904,4]", "[0,8]"))}", data: f32x2),
        "sizeMismatch", "overflows"),
    SafetensorsHostileFile(
        "reversed offsets", file("{\(entry("a", "F32", "[2]", "[8,0]"))}", data: f32x2), "invalidOffsets", "end before"),
    SafetensorsHostileFile(
        "offsets past buffer", file("{\(entry("a", "F32", "[2]", "[0,8]"))}", data: le([1] as [Float])),
        "offsetsOutOfBounds", "4-byte data buffer"),
    SafetensorsHostileFile(
        "huge offsets", file("{\(entry("a", "U8", "[1]", "[9223372036854775806,9223372036854775807]"))}"),
        "offsetsOutOfBounds", "0-byte data buffer"),
    SafetensorsHostileFile(
        "gap",
        file(
            "{\(entry("a", "F32", "[1]", "[0,4]")),\(entry("b", "F32", "[1]", "[8,12]"))}",
            data: .init(repeating: 0, count: 12)),
        "invalidOffsets", "gap"),
    SafetensorsHostileFile(
        "overlap",
        file(
            "{\(entry("a", "F32", "[2]", "[0,8]")),\(entry("b", "F32", "[2]", "[4,12]"))}",
            data: .init(repeating: 0, count: 12)),
        "invalidOffsets", "overlaps"),
    SafetensorsHostileFile(
        "same offsets twice", file("{\(entry("a", "F32", "[2]")),\(entry("b", "F32", "[2]"))}", data: f32x2),
        "invalidOffsets", #"tensor "b""#),
    SafetensorsHostileFile(
        "unused data", file("{\(entry("a", "F32", "[1]", "[0,4]"))}", data: f32x2), "unusedData", "cover 4 bytes"),
    SafetensorsHostileFile(
        "data without tensors", file("{}", data: [0]), "unusedData", "cover 0 bytes but the data buffer has 1"),
    SafetensorsHostileFile("metadata not object", file(#"{"__metadata__":5}"#), "invalidMetadata", "not an object"),
    SafetensorsHostileFile(
        "metadata number value", file(#"{"__metadata__":{"k":1}}"#), "invalidMetadata", #""k" is not a string"#),
    SafetensorsHostileFile(
        "metadata nested", file(#"{"__metadata__":{"k":{"a":"b"}}}"#), "invalidMetadata", "not a string"),
    SafetensorsHostileFile(
        "metadata duplicate key", file(#"{"__metadata__":{"k":"a","k":"b"}}"#), "invalidMetadata", "twice"),
    SafetensorsHostileFile(
        "metadata twice", file(#"{"__metadata__":{},"__metadata__":{}}"#), "invalidName", "more than once"),
    SafetensorsHostileFile("empty name", file("{\(entry(""))}", data: f32x2), "invalidName", "is empty"),
    SafetensorsHostileFile(
        "duplicate name", file("{\(entry("a")),\(entry("a"))}", data: f32x2), "invalidName", "more than once")
]

@Suite struct SafetensorsTests {
    @Test func roundTripsShapesValuesAndMetadata() throws {
        let tensors: [String: Tensor] = [
            "layer.0.weight": Tensor((0..<6).map { Float($0) * 0.25 - 1 }, shape: [2, 3]),
            "scalar": Tensor(-7.5),
            "empty": Tensor([], shape: [0]),
            "empty.matrix": Tensor([], shape: [0, 3]),
            "deep": Tensor([1, 2, 3, 4, 5], shape: [1, 1, 1, 5]),
            "special": Tensor([.infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .nan]),
            "ünïcode \"quoted\" \\ name\n": Tensor([42])
        ]
        let metadata = ["format": "pt", "note": "tab\there \"quotes\" \\ é 🚀 \u{01}"]
        let (decoded, decodedMetadata) = try Safetensors.decode(Safetensors.encode(tensors, metadata: metadata))
        #expect(decodedMetadata == metadata)
        #expect(Set(decoded.keys) == Set(tensors.keys))
        for (name, tensor) in tensors {
            #expect(decoded[name]?.shape == tensor.shape, "\(name)")
            #expect(decoded[name]?.scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern), "\(name)")
        }
    }

    @Test func roundTripsThroughFiles() throws {
        let directory = try CheckpointTestDirectory()
        defer { directory.remove() }
        let url = directory.file("model.safetensors")
        let weight = Tensor.normal([4, 5], generator: RandomGenerator(seed: 3))
        try Safetensors.write(["w": weight], metadata: ["epoch": "3"], to: url)
        let (tensors, metadata) = try Safetensors.read(from: url)
        #expect(tensors["w"]?.scalars == weight.scalars)
        #expect(tensors["w"]?.shape == [4, 5])
        #expect(metadata == ["epoch": "3"])
        #expect(try Safetensors.decode([UInt8](Data(contentsOf: url))).tensors.count == 1)
    }

    @Test func exactByteLayout() throws {
        let bytes = try Safetensors.encode(["b": Tensor([1, 2], shape: [2]), "a": Tensor(3)], metadata: ["k": "v"])
        let json =
            #"{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let header = Array(json.utf8) + [UInt8](repeating: 0x20, count: (8 - json.utf8.count % 8) % 8)
        #expect(json.utf8.count == 132 && header.count == 136)
        #expect(Array(bytes[0..<8]) == [136, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[8..<144]) == header)
        #expect(Array(bytes[144...]) == [0, 0, 0x40, 0x40, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40])
        #expect(bytes.count == 156)
    }

    @Test func emptyFileLayout() throws {
        let bytes = try Safetensors.encode([:])
        #expect(bytes == le(UInt64(8)) + Array("{}      ".utf8))
        let decoded = try Safetensors.decode(bytes)
        #expect(decoded.tensors.isEmpty && decoded.metadata.isEmpty)
    }

    @Test(
        arguments: [
            ("F32", le([1.5, -0.0, .infinity] as [Float]), [1.5, -0.0, .infinity]),
            ("F64", [0.5, -1e300, 1.25, 1e-50].flatMap { le(($0 as Double).bitPattern) }, [0.5, -.infinity, 1.25, 0]),
            (
                "F16",
                [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x7C00, 0xFC00, 0x8000].flatMap { le(UInt16($0)) },
                [1, -2, 65504, 0x1p-24, 0x1.ff8p-15, 0x1p-14, .infinity, -.infinity, -0.0]
            ),
            (
                "BF16", [0x3F80, 0xC040, 0x7F80, 0x0001].flatMap { le(UInt16($0)) },
                [1, -3, .infinity, Float(bitPattern: 0x0001_0000)]
            ),
            ("I64", ([-5, 1 << 40, .min] as [Int64]).flatMap(le), [-5, 0x1p40, -0x1p63]),
            ("I32", ([-7, 123_456, .max] as [Int32]).flatMap(le), [-7, 123_456, 0x1p31]),
            ("I16", ([.min, .max] as [Int16]).flatMap(le), [-32768, 32767]),
            ("I8", [0x80, 0x7F, 0xFF], [-128, 127, -1]),
            ("U64", le(UInt64.max) + le(UInt64(3)), [0x1p64, 3]),
            ("U32", le(UInt32.max) + le(UInt32(9)), [0x1p32, 9]),
            ("U16", le(UInt16.max), [65535]),
            ("U8", [0, 255, 7], [0, 255, 7]),
            ("BOOL", [0, 1, 1], [0, 1, 1])
        ] as [(String, [UInt8], [Float])])
    func convertsDType(dtype: String, data: [UInt8], expected: [Float]) throws {
        let tensor = try #require(Safetensors.decode(single(dtype, shape: [expected.count], data: data)).tensors["t"])
        #expect(tensor.shape == [expected.count])
        #expect(tensor.scalars.map(\.bitPattern) == expected.map(\.bitPattern), "\(tensor.scalars) ≠ \(expected)")
    }

    @Test func convertsHalfNaNAndMultiDimensionalShapes() throws {
        let half = try Safetensors.decode(single("F16", shape: [1], data: le(UInt16(0x7E00)))).tensors["t"]!
        #expect(half.scalar.isNaN)
        let bytes = single("I8", shape: [2, 1, 3], data: [1, 2, 3, 4, 5, 0xFA])
        let matrix = try Safetensors.decode(bytes).tensors["t"]!
        #expect(matrix.shape == [2, 1, 3] && matrix.scalars == [1, 2, 3, 4, 5, -6])
    }

    @Test func acceptsPaddingNullMetadataAndUnalignedOffsets() throws {
        let header =
            #"{"__metadata__":null,"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},"#
            + #""b":{"dtype":"F32","shape":[],"data_offsets":[3,7]}}   "#
        let decoded = try Safetensors.decode(file(header, data: [1, 2, 3] + le([2.5] as [Float])))
        #expect(decoded.tensors["a"]?.scalars == [1, 2, 3])
        #expect(decoded.tensors["b"]?.shape == [] && decoded.tensors["b"]?.scalar == 2.5)
        #expect(decoded.metadata.isEmpty)
    }

    @Test(arguments: hostileFiles)
    func rejectsHostileFile(_ hostile: SafetensorsHostileFile) {
        let error = #expect(throws: SafetensorsError.self) {
            try Safetensors.decode(hostile.bytes, source: "bad.safetensors")
        }
        guard let error else { return }
        #expect(caseName(error) == hostile.errorCase, "\(error)")
        #expect(error.description.hasPrefix("bad.safetensors: "), "\(error)")
        #expect(error.description.contains(hostile.fragment), "\(error)")
    }

    @Test func sizeMismatchMessage() {
        let bytes = file("{\(entry("fc.weight", "F32", "[3, 4]", "[0, 40]"))}", data: .init(repeating: 0, count: 40))
        #expect(
            throws: SafetensorsError.sizeMismatch(
                source: "model.safetensors", name: "fc.weight", dtype: "F32",
                shape: [3, 4], dataOffsets: [0, 40], neededBytes: 48)
        ) {
            try Safetensors.decode(bytes, source: "model.safetensors")
        }
        let expected =
            #"model.safetensors: tensor "fc.weight" has data_offsets [0, 40] but shape [3, 4] of F32 needs 48 bytes"#
        #expect(
            SafetensorsError.sizeMismatch(
                source: "model.safetensors", name: "fc.weight", dtype: "F32", shape: [3, 4],
                dataOffsets: [0, 40], neededBytes: 48
            ).description == expected)
    }

    @Test func everyTruncationAndCorruptionThrowsOrDecodes() throws {
        let valid = try Safetensors.encode(
            ["a": Tensor([1, 2, 3], shape: [3]), "b": Tensor([4, 5], shape: [1, 2])],
            metadata: ["k": "v"])
        for length in 0..<valid.count {
            #expect(throws: SafetensorsError.self) { try Safetensors.decode(Array(valid[..<length])) }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            var bytes = valid
            for _ in 0..<3 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes[Int(state >> 33) % bytes.count] = UInt8(truncatingIfNeeded: state >> 13)
            }
            _ = try? Safetensors.decode(bytes) // must not crash
        }
    }

    @Test func concatenatedEncodingWritesTheBytesOfTheTensors() throws {
        // Declaration order differs from the file's sorted order; a scalar and an empty tensor included.
        let names = ["z.weight", "a.bias", "scalar", "empty", "m"]
        let shapes: [[Int]] = [[2, 3], [3], [], [0, 4], [1, 2]]
        let values: [Float] = (0..<6).map { Float($0) * 0.5 - 1 } + [.nan, -0.0, .infinity] + [7.25] + [3, -4]
        let metadata = ["nerva.order": names.joined(separator: "\n"), "k": "v"]
        var offset = 0
        var tensors: [String: Tensor] = [:]
        for (name, shape) in zip(names, shapes) {
            let count = shape.reduce(1, *)
            tensors[name] = Tensor(Array(values[offset..<offset + count]), shape: shape)
            offset += count
        }
        let bytes: [UInt8] = try Safetensors.encodeConcatenated(
            names: names, shapes: shapes, values: values, metadata: metadata
        ) { count, fill in
            [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                fill(UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            }
        }
        #expect(bytes == (try Safetensors.encode(tensors, metadata: metadata)))
        // The header alone: the same first bytes, then only the elements follow.
        let header = try Safetensors.encodedHeader(names: names, shapes: shapes, metadata: metadata)
        #expect(Array(bytes.prefix(header.count)) == header && bytes.count - header.count == values.count * 4)

        // Read back flat, in the sorted order and in a chosen one.
        let sorted = try Safetensors.decodeConcatenated(bytes)
        #expect(sorted.names == names.sorted() && sorted.metadata == metadata)
        #expect(sorted.shapes == names.sorted().map { tensors[$0]!.shape })
        #expect(sorted.values.map(\.bitPattern) == names.sorted().flatMap { tensors[$0]!.scalars.map(\.bitPattern) })
        let declared = try Safetensors.decodeConcatenated(bytes) { sortedNames, metadata in
            #expect(sortedNames == names.sorted())
            return metadata["nerva.order"]!.components(separatedBy: "\n")
        }
        #expect(declared.names == names && declared.shapes == shapes)
        #expect(declared.values.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test func concatenatedDecodingConvertsOtherDTypesAndRejectsHostileFiles() throws {
        let header =
            #"{"a":{"dtype":"I8","shape":[2],"data_offsets":[0,2]},"#
            + #""b":{"dtype":"F16","shape":[1],"data_offsets":[2,4]},"c":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}"#
        let decoded = try Safetensors.decodeConcatenated(file(header, data: [0xFF, 5] + le(UInt16(0xC000)) + le([2.5])))
        #expect(decoded.names == ["a", "b", "c"] && decoded.shapes == [[2], [1], []])
        #expect(decoded.values == [-1, 5, -2, 2.5])
        for hostile in hostileFiles {
            #expect(throws: SafetensorsError.self, "\(hostile)") { try Safetensors.decodeConcatenated(hostile.bytes) }
        }
    }

    @Test func concatenatedEncodingRejectsRepeatedReservedAndEmptyNames() {
        for names in [["a", "a"], ["", "b"], ["__metadata__", "b"]] {
            let error = #expect(throws: SafetensorsError.self) {
                try Safetensors.encodeConcatenated(names: names, shapes: [[1], [1]], values: [1, 2]) { _, _ in 0 }
            }
            #expect(error.map(caseName) == "invalidName", "\(String(describing: error))")
        }
    }

    @Test func writingRejectsReservedAndEmptyNames() {
        for name in ["", "__metadata__", "__metadata__.x"] {
            let error = #expect(throws: SafetensorsError.self) { try Safetensors.encode([name: Tensor([1])]) }
            #expect(error.map(caseName) == "invalidName", "\(String(describing: error))")
        }
    }

    @Test func missingFileIsUnreadable() throws {
        let directory = try CheckpointTestDirectory()
        defer { directory.remove() }
        let url = directory.file("absent.safetensors")
        let error = #expect(throws: SafetensorsError.self) { try Safetensors.read(from: url) }
        #expect(error.map(caseName) == "unreadable")
        #expect(error?.description.hasPrefix(url.path + ": ") == true)
    }
}
