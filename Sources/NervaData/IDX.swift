import Foundation
import NervaTensor

/// The element type of an IDX file, with its type code from the format's header.
public enum IDXDataType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Unsigned bytes (`0x08`), as in the MNIST family's images and labels.
    case uint8 = 0x08
    /// Signed bytes (`0x09`).
    case int8 = 0x09
    /// Big-endian 16-bit integers (`0x0B`).
    case int16 = 0x0B
    /// Big-endian 32-bit integers (`0x0C`).
    case int32 = 0x0C
    /// Big-endian IEEE 754 single precision (`0x0D`).
    case float32 = 0x0D
    /// Big-endian IEEE 754 double precision (`0x0E`).
    case float64 = 0x0E

    /// The size of one element in bytes.
    public var byteWidth: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .float64: return 8
        }
    }

    /// Whether the elements are integers.
    public var isInteger: Bool { self != .float32 && self != .float64 }

    /// The short name: `u8`, `i8`, `i16`, `i32`, `f32` or `f64`.
    public var description: String {
        switch self {
        case .uint8: return "u8"
        case .int8: return "i8"
        case .int16: return "i16"
        case .int32: return "i32"
        case .float32: return "f32"
        case .float64: return "f64"
        }
    }
}

/// An n-dimensional array in the IDX format of the MNIST family of data sets
/// (http://yann.lecun.com/exdb/mnist/), read from a plain or gzip'd file.
///
/// The file is a magic number `00 00 <type> <rank>`, `rank` big-endian 32-bit dimensions, then
/// the elements in row-major order, big-endian.
///
/// ```swift
/// let images = try IDXFile.read(from: URL(fileURLWithPath: "train-images-idx3-ubyte.gz"))
/// images.shape                         // [60000, 28, 28]
/// let x = images.tensor(scaledBy: 1 / 255)   // Float values in [0, 1]
/// ```
public struct IDXFile: Sendable {
    /// The dimensions from the header.
    public let shape: [Int]
    /// The element type from the header.
    public let dataType: IDXDataType
    /// The path or name used in errors.
    public let source: String
    /// The decompressed file; the payload starts at `payloadOffset`.
    private let contents: Data
    private let payloadOffset: Int

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The payload exactly as stored: big-endian elements in row-major order.
    public var payload: Data { contents.subdata(in: payloadOffset..<payloadOffset + count * dataType.byteWidth) }

    /// The elements of a `u8` file.
    ///
    /// - Precondition: `dataType == .uint8`.
    public var bytes: [UInt8] {
        precondition(
            dataType == .uint8, "IDXFile.bytes: \(source) holds \(dataType), not u8; use tensor() or integers().")
        return withPayload { [UInt8]($0) }
    }

    // MARK: - Reading

    /// Reads an IDX file, gzip'd (detected by its `1f 8b` magic number) or not.
    ///
    /// - Parameters:
    ///   - url: the file.
    ///   - limit: keep only the first `limit` entries of the first dimension; the rest of a gzip'd
    ///     file is then not decompressed (nor checked). `nil` reads everything.
    /// - Throws: `DataError` naming the file: `.unreadable`, `.invalidCompression`, `.invalidMagic`,
    ///   `.unknownDataType`, `.zeroRank`, `.truncatedHeader` or `.payloadSizeMismatch`.
    public static func read(from url: URL, limit: Int? = nil) throws -> IDXFile {
        let source = url.path
        let raw: Data
        do { raw = try Data(contentsOf: url) } catch {
            throw DataError.unreadable(file: source, problem: DataError.reason(error))
        }
        return try decode(raw, source: source, limit: limit)
    }

    /// Decodes the bytes of an IDX file, gzip'd (detected by its `1f 8b` magic number) or not.
    ///
    /// - Parameters:
    ///   - data: the whole file.
    ///   - source: the name used in errors.
    ///   - limit: keep only the first `limit` entries of the first dimension; the rest of a gzip'd
    ///     file is then not decompressed (nor checked).
    /// - Throws: `DataError` naming `source`, as `read(from:limit:)`.
    public static func decode(_ data: Data, source: String = "<memory>", limit: Int? = nil) throws -> IDXFile {
        guard Gzip.isCompressed(data) else { return try decode(data, source: source, limit: limit, isComplete: true) }
        guard let limit else {
            return try decode(Gzip.decompress(data, source: source), source: source, limit: nil, isComplete: true)
        }
        // Inflate the header first, to learn how many bytes `limit` entries take.
        let start = try Gzip.decompress(data, source: source, limit: 4)
        let rank = start.count == 4 ? Int(start[start.startIndex + 3]) : 0
        let header = try Gzip.decompress(data, source: source, limit: 4 + 4 * rank)
        guard let payload = try parseHeader(header, source: source, limit: limit).neededBytes,
            case let (needed, overflow) = (4 + 4 * rank).addingReportingOverflow(payload), !overflow
        else {
            return try decode(Gzip.decompress(data, source: source), source: source, limit: limit, isComplete: true)
        }
        let prefix = try Gzip.decompress(data, source: source, limit: needed)
        return try decode(prefix, source: source, limit: limit, isComplete: prefix.count < needed)
    }

    /// `isComplete == false` means `data` was cut after `limit` entries, so that only a shortfall
    /// can be detected, not extra bytes.
    private static func decode(_ data: Data, source: String, limit: Int?, isComplete: Bool) throws -> IDXFile {
        let data = data.startIndex == 0 ? data : Data(data)
        let header = try parseHeader(data, source: source, limit: isComplete ? nil : limit)
        var shape = header.shape
        let available = data.count - header.size
        guard let needed = header.neededBytes, isComplete ? available == needed : available >= needed else {
            throw DataError.payloadSizeMismatch(
                file: source, shape: header.fileShape, dataType: header.dataType,
                expectedBytes: header.neededBytes, actualBytes: available)
        }
        if let limit { shape[0] = Swift.min(shape[0], Swift.max(limit, 0)) }
        return IDXFile(
            shape: shape, dataType: header.dataType, source: source, contents: data, payloadOffset: header.size)
    }

    private struct Header {
        var fileShape: [Int], shape: [Int], dataType: IDXDataType, size: Int
        /// The payload size of `shape`, `nil` on overflow.
        var neededBytes: Int?
    }

    /// The header, with `shape[0]` cut to `limit`; throws on a malformed one.
    private static func parseHeader(_ data: Data, source: String, limit: Int?) throws -> Header {
        let bytes = [UInt8](data.prefix(4 + 4 * 255))
        guard bytes.count >= 4 else {
            throw bytes.count >= 2 && (bytes[0] != 0 || bytes[1] != 0)
                ? DataError.invalidMagic(file: source, bytes: bytes)
                : DataError.truncatedHeader(file: source, byteCount: bytes.count, headerSize: 4)
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError.invalidMagic(file: source, bytes: Array(bytes[0..<4]))
        }
        guard let dataType = IDXDataType(rawValue: bytes[2]) else {
            throw DataError.unknownDataType(file: source, code: bytes[2])
        }
        let rank = Int(bytes[3])
        guard rank > 0 else { throw DataError.zeroRank(file: source) }
        let size = 4 + 4 * rank
        guard bytes.count >= size else {
            throw DataError.truncatedHeader(file: source, byteCount: data.count, headerSize: size)
        }
        let fileShape = (0..<rank).map { axis in
            (0..<4).reduce(0) { $0 << 8 | Int(bytes[4 + 4 * axis + $1]) }
        }
        var shape = fileShape
        if let limit { shape[0] = Swift.min(shape[0], Swift.max(limit, 0)) }
        var needed: Int? = dataType.byteWidth
        for dimension in shape {
            guard let product = needed?.multipliedReportingOverflow(by: dimension), !product.overflow else {
                needed = nil
                break
            }
            needed = product.partialValue
        }
        return Header(fileShape: fileShape, shape: shape, dataType: dataType, size: size, neededBytes: needed)
    }

    /// Calls `body` with the payload bytes.
    func withPayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try contents.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[payloadOffset..<payloadOffset + count * dataType.byteWidth]))
        }
    }
}
