import Foundation
import NervaData
import NervaFed
import NervaNN

// MARK: - File formats shared by every part of Nerva

extension FuzzTarget {
    static let safetensors = FuzzTarget(
        name: "safetensors", reader: "Safetensors.decode (every checkpoint and federated message)",
        run: { bytes in _ = try? Safetensors.decode(bytes) },
        seeds: {
            return [
                (
                    "two-tensors.safetensors",
                    try Safetensors.encode(
                        [
                            "weight": Tensor([0.5, -1, 2, 0, 3, -0.25], shape: [2, 3]),
                            "bias": .zeros([3])
                        ], metadata: ["format": "pt"])
                ),
                ("scalar.safetensors", try Safetensors.encode(["x": Tensor([1.5], shape: [])])),
                ("empty-tensor.safetensors", try Safetensors.encode(["empty": .zeros([0, 4])])),
                ("no-tensors.safetensors", try Safetensors.encode([:], metadata: ["note": "only metadata"])),
                // The other dtypes, as PyTorch writes them (little-endian data after the header).
                (
                    "dtypes.safetensors",
                    handWritten(
                        #"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"#
                            + #""c":{"dtype":"I64","shape":[1],"data_offsets":[8,16]},"d":{"dtype":"U8","shape":[2],"data_offsets":[16,18]},"#
                            + #""e":{"dtype":"BOOL","shape":[2],"data_offsets":[18,20]},"f":{"dtype":"F64","shape":[1],"data_offsets":[20,28]}}"#,
                        data: [
                            0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F, 0x00, 0x40, 7, 0, 0, 0, 0, 0, 0, 0, 255, 1, 0, 1,
                            0, 0, 0, 0, 0, 0, 0xF0, 0x3F
                        ])
                )
            ]
        })

    static let idx = FuzzTarget(
        name: "idx", reader: "IDXFile.decode (Fashion-MNIST and any IDX file, gzip'd or not) and its conversions",
        run: { bytes in
            // The first byte chooses a `limit` (as `--limit` does), the rest is the file.
            guard let first = bytes.first else { return }
            let limit: Int? = first == 0 ? nil : Int(first) - 1
            guard let file = try? IDXFile.decode(Data(bytes.dropFirst()), limit: limit) else { return }
            _ = file.tensor(scaledBy: 1 / 255)
            if file.dataType.isInteger { _ = file.integers() }
            if file.dataType == .uint8 { _ = file.bytes }
            _ = file.payload
        },
        seeds: {
            func idx(_ type: UInt8, _ shape: [Int], _ payload: [UInt8]) -> [UInt8] {
                [0, 0, type, UInt8(shape.count)]
                    + shape.flatMap { withUnsafeBytes(of: UInt32($0).bigEndian, Array.init) } + payload
            }
            return [
                ("images-u8.idx", [0] + idx(0x08, [2, 2, 3], Array(0..<12))),
                ("labels-u8-limit-1.idx", [2] + idx(0x08, [3], [4, 0, 9])),
                ("f32.idx", [0] + idx(0x0D, [2], [0x3F, 0x80, 0, 0, 0xC0, 0, 0, 0])),
                ("i32.idx", [0] + idx(0x0C, [1, 2], [0, 0, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF])),
                ("i16.idx", [0] + idx(0x0B, [2], [0, 1, 0x80, 0])),
                ("f64.idx", [0] + idx(0x0E, [1], [0x3F, 0xF0, 0, 0, 0, 0, 0, 0])),
                ("i8.idx", [0] + idx(0x09, [2], [1, 0xFF])),
                ("zero-sized.idx", [0] + idx(0x08, [0, 28, 28], []))
            ]
        })

    static let npy = FuzzTarget(
        name: "npy", reader: "NumpyArray(decoding:) (.npy arrays of Flower's ArrayRecords)",
        run: { bytes in _ = try? NumpyArray(decoding: bytes) },
        seeds: {
            var seeds: [(name: String, bytes: [UInt8])] = []
            for type in NumpyArray.ScalarType.allCases {
                let array = NumpyArray(scalars: [1, 0, 2, 3, 0, 1], shape: [2, 3], scalarType: type)
                seeds.append(("\(type.rawValue).npy", array.encoded()))
            }
            seeds.append(("scalar.npy", NumpyArray(scalars: [4], shape: []).encoded()))
            seeds.append(("empty.npy", NumpyArray(scalars: [], shape: [0, 5]).encoded()))
            // NumPy's own spelling of a header (version 1.0, Fortran order false, big-endian float).
            let header = "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }"
            let padded = header + String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
            seeds.append(
                (
                    "numpy-big-endian.npy",
                    [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(padded.utf8.count), 0]
                        + Array(padded.utf8) + [0x3F, 0x80, 0, 0, 0x40, 0, 0, 0]
                ))
            return seeds
        })
}

/// A safetensors file with a hand-written header (padded to 8 bytes) and data buffer.
func handWritten(_ header: String, data: [UInt8]) -> [UInt8] {
    var text = Array(header.utf8)
    text += repeatElement(UInt8(ascii: " "), count: (8 - text.count % 8) % 8)
    return withUnsafeBytes(of: UInt64(text.count).littleEndian, Array.init) + text + data
}
