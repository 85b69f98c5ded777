import Foundation
import NervaTensor

/// Encoding: the header (names sorted, offsets, metadata) and the little-endian payload, in one
/// buffer or concatenated into a caller's output.
extension Safetensors {
    static func encode(_ tensors: [String: Tensor], metadata: [String: String], source: String) throws -> [UInt8] {
        let names = tensors.keys.sorted()
        let header = try header(
            sortedNames: names, shapes: names.map { tensors[$0]!.shape }, metadata: metadata, source: source)
        var out = [UInt8](repeating: 0, count: header.byteCount)
        out.withUnsafeMutableBytes { raw in
            var position = header.write(into: raw)
            for name in names {
                let tensor = tensors[name]!
                let dense = tensor.isRowSparse ? Tensor(tensor.scalars, shape: tensor.shape) : tensor
                dense.withUnsafeBufferPointer { values in
                    storeLittleEndian(values, into: raw, at: position)
                    position += values.count * 4
                }
            }
        }
        return out
    }

    /// Encodes F32 tensors that lie one after another in `values` (as a model's flat parameter
    /// vector) without making a tensor of them: the same bytes as `encode(_:metadata:)` of those
    /// tensors, written once, straight into the memory `output` provides.
    ///
    /// ```swift
    /// let bytes: [UInt8] = try Safetensors.encodeConcatenated(names: names, shapes: shapes, values: flat) { count, fill in
    ///     [UInt8](unsafeUninitializedCapacity: count) { fill(UnsafeMutableRawBufferPointer($0)); $1 = count }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - names: the tensors' names, in the order their elements lie in `values`.
    ///   - shapes: their shapes; the element counts must add up to `values.count`.
    ///   - values: every element, tensor after tensor.
    ///   - metadata: string metadata (`__metadata__`).
    ///   - output: receives the file's size in bytes and a function that writes the file into
    ///     exactly that many bytes; returns what holds them.
    /// - Returns: what `output` returned.
    /// - Throws: `SafetensorsError.invalidName` for an empty, repeated or reserved name; what `output` throws.
    public static func encodeConcatenated<Output>(
        names: [String], shapes: [[Int]], values: [Float], metadata: [String: String] = [:],
        into output: (_ byteCount: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) throws -> Output
    ) throws -> Output {
        precondition(
            names.count == shapes.count && shapes.reduce(0, { $0 + $1.reduce(1, *) }) == values.count,
            "Safetensors.encodeConcatenated: \(names.count) names, \(shapes.count) shapes, \(values.count) values.")
        var offsets: [String: (offset: Int, count: Int, shape: [Int])] = [:]
        var offset = 0
        for (name, shape) in zip(names, shapes) {
            let count = shape.reduce(1, *)
            guard offsets.updateValue((offset, count, shape), forKey: name) == nil else {
                throw SafetensorsError.invalidName(source: "<memory>", name: name, problem: "appears more than once")
            }
            offset += count
        }
        let sorted = names.sorted()
        let header = try header(
            sortedNames: sorted, shapes: sorted.map { offsets[$0]!.shape }, metadata: metadata,
            source: "<memory>")
        return try output(header.byteCount) { raw in
            precondition(raw.count == header.byteCount, "Safetensors.encodeConcatenated: wrong output size.")
            var position = header.write(into: raw)
            values.withUnsafeBufferPointer { all in
                for name in sorted {
                    let (start, count, _) = offsets[name]!
                    storeLittleEndian(
                        UnsafeBufferPointer(rebasing: all[start..<start + count]), into: raw, at: position)
                    position += count * 4
                }
            }
        }
    }

    /// The first bytes of `encodeConcatenated`'s file: the length prefix and the JSON header,
    /// after which the file holds the elements as little-endian F32, tensor after tensor in name
    /// order. The elements do not depend on the metadata, so one parameter set can go out under
    /// several headers (one per recipient's settings) with a single copy of its elements.
    ///
    /// - Parameters:
    ///   - names: the tensors' names, in any order.
    ///   - shapes: their shapes.
    ///   - metadata: string metadata (`__metadata__`).
    /// - Returns: the 8-byte length prefix and the padded header.
    /// - Throws: `SafetensorsError.invalidName` for an empty, repeated or reserved name.
    public static func encodedHeader(names: [String], shapes: [[Int]], metadata: [String: String] = [:]) throws
        -> [UInt8]
    {
        precondition(
            names.count == shapes.count, "Safetensors.encodedHeader: \(names.count) names, \(shapes.count) shapes.")
        var byName: [String: [Int]] = [:]
        for (name, shape) in zip(names, shapes) where byName.updateValue(shape, forKey: name) != nil {
            throw SafetensorsError.invalidName(source: "<memory>", name: name, problem: "appears more than once")
        }
        let sorted = names.sorted()
        let header = try header(
            sortedNames: sorted, shapes: sorted.map { byName[$0]! }, metadata: metadata, source: "<memory>")
        return [UInt8](unsafeUninitializedCapacity: 8 + header.bytes.count) { buffer, initialized in
            initialized = header.write(into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// The header of a file of F32 tensors: its bytes (padded to 8) and the whole file's size.
    private struct Header {
        let bytes: [UInt8]
        let byteCount: Int

        /// Writes the length prefix and the header; returns where the data starts.
        func write(into raw: UnsafeMutableRawBufferPointer) -> Int {
            raw.storeBytes(of: UInt64(bytes.count).littleEndian, as: UInt64.self)
            bytes.withUnsafeBytes {
                raw.baseAddress!.advanced(by: 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
            return 8 + bytes.count
        }
    }

    /// The header of F32 tensors `sortedNames` (sorted) with `shapes`, stored in that order.
    private static func header(sortedNames names: [String], shapes: [[Int]], metadata: [String: String], source: String)
        throws -> Header
    {
        var members: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { jsonString($0) + ":" + jsonString(metadata[$0]!) }
            members.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, shape) in zip(names, shapes) {
            guard !name.isEmpty else {
                throw SafetensorsError.invalidName(source: source, name: name, problem: "is empty")
            }
            guard !name.hasPrefix("__metadata__") else {
                throw SafetensorsError.invalidName(
                    source: source, name: name, problem: "starts with the reserved \"__metadata__\"")
            }
            let size = shape.reduce(1, *) * 4
            let dimensions = shape.map(String.init).joined(separator: ",")
            members.append(
                jsonString(name)
                    + ":{\"dtype\":\"F32\",\"shape\":[\(dimensions)],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        var header = Array(("{" + members.joined(separator: ",") + "}").utf8)
        header += repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        return Header(bytes: header, byteCount: 8 + header.count + offset)
    }

    /// Stores `values` as little-endian F32 at byte `position` of `raw`.
    private static func storeLittleEndian(
        _ values: UnsafeBufferPointer<Float>, into raw: UnsafeMutableRawBufferPointer, at position: Int
    ) {
        guard !values.isEmpty else { return }
        #if _endian(little)
            (raw.baseAddress! + position).copyMemory(from: values.baseAddress!, byteCount: values.count * 4)
        #else
            for (index, value) in values.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: position + index * 4, as: UInt32.self)
            }
        #endif
    }

    /// `text` as a JSON string literal.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
