import Foundation
import NervaTensor

/// A malformed safetensors file or an unwritable tensor name; every case names the file.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    /// Fewer than the 8 bytes of the header-length prefix.
    case truncated(source: String, byteCount: Int)
    /// A header length above the 100 MB limit of the reference implementation.
    case headerTooLarge(source: String, headerLength: UInt64)
    /// A header length that runs past the end of the file.
    case headerOutOfBounds(source: String, headerLength: UInt64, fileSize: Int)
    /// A header that is not UTF-8, not JSON, or not a JSON object.
    case invalidHeader(source: String, problem: String)
    /// A tensor entry that is not an object with a string dtype, an integer shape and two offsets.
    case invalidEntry(source: String, name: String, problem: String)
    /// A dtype this reader does not convert.
    case unknownDType(source: String, name: String, dtype: String)
    /// Offsets whose span is not the byte size of the shape (`neededBytes` is `nil` on overflow).
    case sizeMismatch(source: String, name: String, dtype: String, shape: [Int], dataOffsets: [Int], neededBytes: Int?)
    /// Offsets that reach past the end of the data buffer.
    case offsetsOutOfBounds(source: String, name: String, dataOffsets: [Int], bufferSize: Int)
    /// Offsets that are reversed, overlap another tensor, or leave a gap before it.
    case invalidOffsets(source: String, name: String, problem: String)
    /// Data-buffer bytes after the last tensor.
    case unusedData(source: String, coveredBytes: Int, bufferSize: Int)
    /// A `__metadata__` entry that is not an object of strings.
    case invalidMetadata(source: String, problem: String)
    /// An empty, duplicated or reserved tensor name.
    case invalidName(source: String, name: String, problem: String)
    /// The file could not be read.
    case unreadable(source: String, problem: String)

    /// A sentence naming the file and the problem.
    public var description: String {
        switch self {
        case let .truncated(source, count):
            return "\(source): the file has \(count) bytes, fewer than the 8-byte header length"
        case let .headerTooLarge(source, length):
            return "\(source): header length \(length) exceeds the limit of \(Safetensors.maximumHeaderLength) bytes"
        case let .headerOutOfBounds(source, length, size):
            return "\(source): header length \(length) runs past the end of the \(size)-byte file"
        case let .invalidHeader(source, problem): return "\(source): header \(problem)"
        case let .invalidEntry(source, name, problem): return "\(source): tensor \(quoted(name)) \(problem)"
        case let .unknownDType(source, name, dtype):
            return "\(source): tensor \(quoted(name)) has unsupported dtype \(quoted(dtype))"
        case let .sizeMismatch(source, name, dtype, shape, offsets, needed):
            let need = needed.map { "needs \($0) bytes" } ?? "overflows the byte count"
            return
                "\(source): tensor \(quoted(name)) has data_offsets \(offsets) but shape \(shape) of \(dtype) \(need)"
        case let .offsetsOutOfBounds(source, name, offsets, size):
            return "\(source): tensor \(quoted(name)) has data_offsets \(offsets) beyond the \(size)-byte data buffer"
        case let .invalidOffsets(source, name, problem): return "\(source): tensor \(quoted(name)) \(problem)"
        case let .unusedData(source, covered, size):
            return "\(source): the tensors cover \(covered) bytes but the data buffer has \(size)"
        case let .invalidMetadata(source, problem): return "\(source): __metadata__ \(problem)"
        case let .invalidName(source, name, problem): return "\(source): tensor name \(quoted(name)) \(problem)"
        case let .unreadable(source, problem): return "\(source): cannot read the file: \(problem)"
        }
    }
}

private func quoted(_ text: String) -> String { Safetensors.jsonString(text) }

/// Reads and writes the safetensors checkpoint format of Hugging Face
/// (https://github.com/huggingface/safetensors).
///
/// A file is an 8-byte little-endian header length `N`, `N` bytes of JSON describing each tensor's
/// dtype, shape and `data_offsets` within the data buffer, then the data buffer itself.
public enum Safetensors {
    /// The largest header accepted, as in the reference implementation.
    public static let maximumHeaderLength = 100_000_000

    /// Encodes tensors (as F32) and string metadata; tensor order in the file sorted by name.
    ///
    /// - Throws: `SafetensorsError.invalidName` for an empty name or one starting with `__metadata__`.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        try encode(tensors, metadata: metadata, source: "<memory>")
    }

    /// Decodes a safetensors file, converting every supported dtype to Float32 tensors.
    ///
    /// Supported dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8 and BOOL.
    /// The tensors' offsets must tile the data buffer exactly, as the reference requires.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - source: the file name used in error messages.
    /// - Throws: `SafetensorsError` naming `source` and the first problem found.
    public static func decode(_ bytes: some ContiguousBytes, source: String = "<memory>")
        throws -> (tensors: [String: Tensor], metadata: [String: String])
    {
        try bytes.withUnsafeBytes { try decode(raw: $0, source: source) }
    }

    private static func decode(raw bytes: UnsafeRawBufferPointer, source: String)
        throws -> (tensors: [String: Tensor], metadata: [String: String])
    {
        let (entries, metadata, data) = try parse(raw: bytes, source: source)
        var tensors: [String: Tensor] = [:]
        for entry in entries {
            tensors[entry.name] =
                entry.end == entry.begin ? .zeros(entry.shape) : Tensor(entry.convert(data), shape: entry.shape)
        }
        return (tensors, metadata)
    }

    /// Decodes a safetensors file into one flat Float32 vector, the tensors one after another in
    /// the order `order` chooses: no tensor is made, and each element is converted once, straight
    /// into the vector (for large parameter sets received over a network).
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - source: the file name used in error messages.
    ///   - order: given the tensor names sorted and the file's metadata, returns the names in the
    ///     order wanted, a permutation of them (return the first argument for sorted order).
    /// - Returns: the names and shapes in that order, the concatenated elements and the metadata.
    /// - Throws: `SafetensorsError` naming `source` and the first problem found.
    public static func decodeConcatenated(
        _ bytes: some ContiguousBytes, source: String = "<memory>",
        order: (_ sortedNames: [String], _ metadata: [String: String]) -> [String] = { names, _ in names }
    ) throws -> (names: [String], shapes: [[Int]], values: [Float], metadata: [String: String]) {
        try bytes.withUnsafeBytes { raw in
            let (entries, metadata, data) = try parse(raw: raw, source: source)
            let byName = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })
            let names = order(byName.keys.sorted(), metadata)
            precondition(
                names.count == byName.count && Set(names).count == names.count
                    && names.allSatisfy { byName[$0] != nil },
                "Safetensors.decodeConcatenated: the order must be a permutation of the tensor names.")
            let chosen = names.map { byName[$0]! }
            let total = chosen.reduce(0) { $0 + $1.count }
            let values = [Float](unsafeUninitializedCapacity: total) { buffer, initialized in
                var position = 0
                for entry in chosen {
                    entry.convert(data, into: buffer.baseAddress! + position)
                    position += entry.count
                }
                initialized = total
            }
            return (names, chosen.map(\.shape), values, metadata)
        }
    }

    /// Validates a file's header and offsets; the entries (sorted by offset), the metadata and the data buffer.
    private static func parse(raw bytes: UnsafeRawBufferPointer, source: String)
        throws -> (entries: [Entry], metadata: [String: String], data: UnsafeRawBufferPointer)
    {
        guard bytes.count >= 8 else { throw SafetensorsError.truncated(source: source, byteCount: bytes.count) }
        let length = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard length <= UInt64(maximumHeaderLength) else {
            throw SafetensorsError.headerTooLarge(source: source, headerLength: length)
        }
        let dataStart = 8 + Int(length)
        guard dataStart <= bytes.count else {
            throw SafetensorsError.headerOutOfBounds(source: source, headerLength: length, fileSize: bytes.count)
        }
        let header = Array(bytes[8..<dataStart])
        guard String(validating: header, as: UTF8.self) != nil else {
            throw SafetensorsError.invalidHeader(source: source, problem: "is not valid UTF-8")
        }
        let json: JSON
        do { json = try JSONReader.parse(header) } catch let failure as JSONReader.Failure {
            throw SafetensorsError.invalidHeader(source: source, problem: "is not valid JSON: \(failure.message)")
        }
        guard case .object(let members) = json else {
            throw SafetensorsError.invalidHeader(source: source, problem: "is not a JSON object")
        }
        let bufferSize = bytes.count - dataStart
        var metadata: [String: String]?
        var entries: [Entry] = []
        var names = Set<String>()
        for (name, value) in members {
            guard names.insert(name).inserted else {
                throw SafetensorsError.invalidName(source: source, name: name, problem: "appears more than once")
            }
            if name == "__metadata__" {
                metadata = try parseMetadata(value, source: source)
                continue
            }
            guard !name.isEmpty else {
                throw SafetensorsError.invalidName(source: source, name: name, problem: "is empty")
            }
            let entry = try Entry(name: name, json: value, source: source)
            guard entry.end <= bufferSize else {
                throw SafetensorsError.offsetsOutOfBounds(
                    source: source, name: name, dataOffsets: [entry.begin, entry.end],
                    bufferSize: bufferSize)
            }
            entries.append(entry)
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var cursor = 0
        for entry in entries {
            guard entry.begin == cursor else {
                let problem =
                    entry.begin < cursor ? "overlaps the tensor before it" : "leaves a gap after the tensor before it"
                throw SafetensorsError.invalidOffsets(
                    source: source, name: entry.name,
                    problem:
                        "has data_offsets [\(entry.begin), \(entry.end)], which \(problem) (ending at byte \(cursor))")
            }
            cursor = entry.end
        }
        guard cursor == bufferSize else {
            throw SafetensorsError.unusedData(source: source, coveredBytes: cursor, bufferSize: bufferSize)
        }
        return (entries, metadata ?? [:], UnsafeRawBufferPointer(rebasing: bytes[dataStart...]))
    }

    /// Writes tensors (as F32) and metadata to `url` atomically, via `AtomicFile`.
    ///
    /// - Throws: `SafetensorsError.invalidName` before touching the disk, or `FileError`.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata, source: url.path), to: url)
    }

    /// Reads a safetensors file, converting every tensor to Float32.
    ///
    /// - Throws: `SafetensorsError`, with `.unreadable` when the file cannot be read.
    public static func read(from url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SafetensorsError.unreadable(source: url.path, problem: error.localizedDescription)
        }
        return try decode([UInt8](data), source: url.path)
    }

    // MARK: - Decoding

    private static func parseMetadata(_ json: JSON, source: String) throws -> [String: String] {
        if case .null = json { return [:] } // as the reference implementation allows
        guard case .object(let members) = json else {
            throw SafetensorsError.invalidMetadata(source: source, problem: "is not an object")
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let text) = value else {
                throw SafetensorsError.invalidMetadata(
                    source: source, problem: "value of \(quoted(key)) is not a string")
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw SafetensorsError.invalidMetadata(source: source, problem: "has the key \(quoted(key)) twice")
            }
        }
        return metadata
    }
}

/// The element types a safetensors file may hold, and their sizes in bytes.
private enum DType: String {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL

    var size: Int {
        switch self {
        case .F64, .I64, .U64: 8
        case .F32, .I32, .U32: 4
        case .F16, .BF16, .I16, .U16: 2
        case .I8, .U8, .BOOL: 1
        }
    }
}

/// One validated tensor entry of a header.
private struct Entry {
    let name: String, dtype: DType, shape: [Int], begin: Int, end: Int

    init(name: String, json: JSON, source: String) throws {
        func invalid(_ problem: String) -> SafetensorsError {
            .invalidEntry(source: source, name: name, problem: problem)
        }
        guard case .object(let members) = json else { throw invalid("is not a JSON object") }
        var fields: [String: JSON] = [:]
        for (key, value) in members where fields.updateValue(value, forKey: key) != nil {
            throw invalid("has the key \(quoted(key)) twice")
        }
        func integers(_ key: String) throws -> [Int] {
            guard let field = fields[key] else { throw invalid("has no \"\(key)\"") }
            guard case .array(let items) = field else { throw invalid("has a \"\(key)\" that is not an array") }
            return try items.map { item in
                guard case .integer(let value) = item, value >= 0 else {
                    throw invalid("has a \"\(key)\" that is not an array of non-negative integers")
                }
                return value
            }
        }
        guard let dtypeField = fields["dtype"] else { throw invalid("has no \"dtype\"") }
        guard case .string(let dtypeName) = dtypeField else { throw invalid("has a \"dtype\" that is not a string") }
        let shape = try integers("shape"), offsets = try integers("data_offsets")
        guard offsets.count == 2 else { throw invalid("has \(offsets.count) data_offsets instead of 2") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw SafetensorsError.unknownDType(source: source, name: name, dtype: dtypeName)
        }
        guard offsets[0] <= offsets[1] else {
            throw SafetensorsError.invalidOffsets(
                source: source, name: name, problem: "has data_offsets \(offsets) that end before they begin")
        }
        var needed: Int? = dtype.size
        for dimension in shape {
            guard let product = needed?.multipliedReportingOverflow(by: dimension), !product.overflow else {
                needed = nil
                break
            }
            needed = product.partialValue
        }
        guard needed == offsets[1] - offsets[0] else {
            throw SafetensorsError.sizeMismatch(
                source: source, name: name, dtype: dtypeName, shape: shape,
                dataOffsets: offsets, neededBytes: needed)
        }
        (self.name, self.dtype, self.shape, self.begin, self.end) = (name, dtype, shape, offsets[0], offsets[1])
    }

    /// The number of elements.
    var count: Int { (end - begin) / dtype.size }

    /// Converts the elements to Float32 at `target` (room for `count`), as `convert(_:)`.
    func convert(_ data: UnsafeRawBufferPointer, into target: UnsafeMutablePointer<Float>) {
        #if _endian(little)
            if dtype == .F32 {
                if count > 0 {
                    UnsafeMutableRawPointer(target).copyMemory(from: data.baseAddress! + begin, byteCount: count * 4)
                }
                return
            }
        #endif
        let converted = convert(data)
        converted.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: $0.count) }
    }

    /// The elements as Float32, read little-endian from `data` (validated to hold them).
    func convert(_ data: UnsafeRawBufferPointer) -> [Float] {
        func load<T: FixedWidthInteger>(_: T.Type, _ transform: (T) -> Float) -> [Float] {
            (0..<count).map {
                transform(
                    T(littleEndian: data.loadUnaligned(fromByteOffset: begin + $0 * MemoryLayout<T>.size, as: T.self)))
            }
        }
        switch dtype {
        case .F64: return load(UInt64.self) { Float(Double(bitPattern: $0)) }
        case .F32: return load(UInt32.self) { Float(bitPattern: $0) }
        case .F16: return load(UInt16.self, halfToFloat)
        case .BF16: return load(UInt16.self) { Float(bitPattern: UInt32($0) << 16) }
        case .I64: return load(Int64.self) { Float($0) }
        case .I32: return load(Int32.self) { Float($0) }
        case .I16: return load(Int16.self) { Float($0) }
        case .I8: return load(Int8.self) { Float($0) }
        case .U64: return load(UInt64.self) { Float($0) }
        case .U32: return load(UInt32.self) { Float($0) }
        case .U16: return load(UInt16.self) { Float($0) }
        case .U8: return load(UInt8.self) { Float($0) }
        case .BOOL: return load(UInt8.self) { $0 == 0 ? 0 : 1 }
        }
    }
}

/// IEEE binary16 bits to Float32, exactly (no `Float16`, which Intel macOS lacks).
private func halfToFloat(_ bits: UInt16) -> Float {
    let sign = UInt32(bits >> 15) << 31, exponent = UInt32(bits >> 10) & 0x1F, mantissa = UInt32(bits & 0x3FF)
    if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }
    if exponent == 0 {
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
}

// MARK: - JSON
