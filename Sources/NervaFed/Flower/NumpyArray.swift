import NervaTensor

/// An array in NumPy's `.npy` format, the payload Flower puts in every `Array` of an
/// `ArrayRecord` (`np.save(buffer, array, allow_pickle=False)`).
///
/// Decoding accepts format versions 1.0, 2.0 and 3.0, little- and big-endian data, the Boolean,
/// integer (8–64 bits, signed or not) and floating-point (16, 32, 64 bits) types, and C or Fortran
/// order; elements become `Float` in row-major order. Anything else — another magic string, a
/// header that is not the dictionary NumPy writes, an unsupported type, a size that does not match
/// the payload — is a `NumpyFormatError` naming the source and the problem; no input traps.
/// Encoding writes what `np.save` writes for the same array: version 1.0, little-endian, C order,
/// the header padded with spaces to a multiple of 64 bytes and ended by a newline.
///
/// ```swift
/// let array = try NumpyArray(decoding: bytes, source: "arrays/0")
/// let weight = array.tensor                                // [out, in], row-major
/// let reply = NumpyArray(updated, scalarType: array.scalarType).encoded()
/// ```
public struct NumpyArray: Sendable, Equatable {
    /// The element types of `.npy` files that Nerva reads, by NumPy's type code.
    public enum ScalarType: String, Sendable, CaseIterable {
        case bool = "b1"
        case int8 = "i1"
        case int16 = "i2"
        case int32 = "i4"
        case int64 = "i8"
        case uint8 = "u1"
        case uint16 = "u2"
        case uint32 = "u4"
        case uint64 = "u8"
        case float16 = "f2"
        case float32 = "f4"
        case float64 = "f8"

        /// Bytes per element.
        public var byteCount: Int { Int(rawValue.dropFirst())! }
    }

    /// The element type of the file (what `encoded()` writes back).
    public let scalarType: ScalarType
    /// The array's dimensions; `[]` for a scalar.
    public let shape: [Int]
    /// The elements in row-major (C) order.
    public let scalars: [Float]

    /// An array of `scalars` (row-major) with `shape`, to be written as `scalarType`.
    public init(scalars: [Float], shape: [Int], scalarType: ScalarType = .float32) {
        precondition(
            shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == scalars.count,
            "NumpyArray: \(scalars.count) scalars do not fill the shape \(shape).")
        self.scalars = scalars
        self.shape = shape
        self.scalarType = scalarType
    }

    /// The tensor's elements and shape, to be written as `scalarType`.
    public init(_ tensor: Tensor, scalarType: ScalarType = .float32) {
        self.init(scalars: tensor.scalars, shape: tensor.shape, scalarType: scalarType)
    }

    /// The array as a tensor (a scalar array becomes a tensor of shape `[]`).
    public var tensor: Tensor { Tensor(scalars, shape: shape) }

    // MARK: - Encoding

    /// The `.npy` file: version 1.0, little-endian `scalarType`, C order.
    public func encoded() -> [UInt8] {
        var bytes = Self.header(scalarType: scalarType, shape: shape)
        bytes.reserveCapacity(bytes.count + scalars.count * scalarType.byteCount)
        for value in scalars { Self.append(value, as: scalarType, to: &bytes) }
        return bytes
    }

    /// The `.npy` file of int64 `values` (row-major) with `shape`, exactly (SecAgg+'s masked
    /// vectors need all 64 bits, which `Float` scalars cannot hold).
    public static func encoded(int64 values: [Int64], shape: [Int]) -> [UInt8] {
        precondition(
            shape.reduce(1, *) == values.count,
            "NumpyArray: \(values.count) values do not fill the shape \(shape).")
        var bytes = header(scalarType: .int64, shape: shape)
        bytes.reserveCapacity(bytes.count + 8 * values.count)
        for value in values { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// The magic string, version 1.0, header length and header of a `.npy` file.
    private static func header(scalarType: ScalarType, shape: [Int]) -> [UInt8] {
        let descr = (scalarType.byteCount == 1 ? "|" : "<") + scalarType.rawValue
        let dimensions = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dimensions)), }"
        let unpadded = magic.count + 2 + 2 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        return magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
    }

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    private static func append(_ value: Float, as type: ScalarType, to bytes: inout [UInt8]) {
        func little<T: FixedWidthInteger>(_ integer: T) {
            withUnsafeBytes(of: integer.littleEndian) { bytes.append(contentsOf: $0) }
        }
        let integer = value.isFinite ? Int64(max(min(value.rounded(), 9.2e18), -9.2e18)) : 0
        switch type {
        case .bool: bytes.append(value != 0 ? 1 : 0)
        case .int8: little(Int8(clamping: integer))
        case .int16: little(Int16(clamping: integer))
        case .int32: little(Int32(clamping: integer))
        case .int64: little(integer)
        case .uint8: little(UInt8(clamping: integer))
        case .uint16: little(UInt16(clamping: integer))
        case .uint32: little(UInt32(clamping: integer))
        case .uint64: little(UInt64(clamping: integer))
        case .float16: little(Float16(value).bitPattern)
        case .float32: little(value.bitPattern)
        case .float64: little(Double(value).bitPattern)
        }
    }
}

/// Why bytes are not a `.npy` file that Nerva can read.
public struct NumpyFormatError: Error, CustomStringConvertible, Equatable {
    /// Where the bytes came from (a file name, an object id).
    public let source: String
    /// What is wrong, in words.
    public let problem: String

    public var description: String { "\(source): not a readable .npy array: \(problem)." }
}
