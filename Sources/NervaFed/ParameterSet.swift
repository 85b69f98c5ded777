import Foundation
import NervaNN
import NervaTensor

/// The names and shapes of a model's tensors, in a fixed order: what two parameter sets must
/// share to be averaged.
public struct ParameterLayout: Sendable, Equatable, Codable {
    /// One named tensor of the layout.
    public struct Entry: Sendable, Equatable, Codable {
        /// The state-dictionary name (`0.weight`).
        public let name: String
        /// The tensor's shape.
        public let shape: [Int]
        /// The tensor's elements in the flat vector: `offset..<offset + count`.
        public let offset: Int
        /// The number of elements.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The tensors, in order.
    public let entries: [Entry]
    /// The total number of scalars.
    public let scalarCount: Int

    /// A layout of `names` with `shapes`, laid out one after another.
    public init(names: [String], shapes: [[Int]]) {
        precondition(names.count == shapes.count, "ParameterLayout: \(names.count) names for \(shapes.count) shapes.")
        var offset = 0
        entries = zip(names, shapes).map { name, shape in
            defer { offset += shape.reduce(1, *) }
            return Entry(name: name, shape: shape, offset: offset)
        }
        scalarCount = offset
    }

    /// The names, in order.
    public var names: [String] { entries.map(\.name) }
}

/// A model's parameters as one flat vector of `Float` plus the layout that names its pieces:
/// the unit that travels between the server and the participants (Flower's `Parameters`).
///
/// In memory it is a value (`Sendable`, copy-on-write); on the wire it is a safetensors file
/// (`encoded()` / `init(safetensors:)`), so a networked transport sends exactly these bytes.
///
/// ```swift
/// let global = ParameterSet(module: model)          // every parameter and buffer, in declaration order
/// try other.load(global)                            // into a model of the same architecture
/// let bytes = try global.encoded()                  // safetensors
/// ```
public struct ParameterSet: Sendable, Equatable {
    /// The names and shapes of the tensors.
    public let layout: ParameterLayout
    /// Every scalar, tensor after tensor, each row-major.
    public var values: [Float]

    /// A parameter set with `values` laid out by `layout`.
    public init(layout: ParameterLayout, values: [Float]) {
        precondition(
            values.count == layout.scalarCount,
            "ParameterSet: \(values.count) values for a layout of \(layout.scalarCount) scalars.")
        self.layout = layout
        self.values = values
    }

    /// Zeros in `layout`.
    public init(zerosLike layout: ParameterLayout) {
        self.init(layout: layout, values: [Float](repeating: 0, count: layout.scalarCount))
    }

    /// A copy of `module`'s state dictionary (parameters and buffers), in declaration order.
    public init(module: Module) {
        let keys = module.stateDictionaryKeys()
        let dictionary = module.stateDictionary()
        self.init(tensors: keys.map { ($0, dictionary[$0]!) })
    }

    /// A copy of named tensors, in the given order.
    public init(tensors: [(name: String, tensor: Tensor)]) {
        let layout = ParameterLayout(names: tensors.map(\.name), shapes: tensors.map(\.tensor.shape))
        var values = [Float](repeating: 0, count: layout.scalarCount)
        values.withUnsafeMutableBufferPointer { out in
            for (entry, item) in zip(layout.entries, tensors) {
                item.tensor.densified().withUnsafeBufferPointer { source in
                    (out.baseAddress! + entry.offset).update(from: source.baseAddress!, count: entry.count)
                }
            }
        }
        self.init(layout: layout, values: values)
    }

    /// The number of scalars.
    public var scalarCount: Int { values.count }

    /// The tensors by name (copies), for `Module.load(stateDictionary:)`.
    public func stateDictionary() -> [String: Tensor] {
        Dictionary(
            uniqueKeysWithValues: layout.entries.map { entry in
                (entry.name, Tensor(Array(values[entry.offset..<entry.offset + entry.count]), shape: entry.shape))
            })
    }

    /// The Euclidean norm of all values, accumulated in `Double`.
    public var norm: Double {
        values.withUnsafeBufferPointer { v in
            var sum = 0.0
            for x in v { sum += Double(x) * Double(x) }
            return sum.squareRoot()
        }
    }

    /// Whether every value is finite (no NaN, no ±∞).
    public var isFinite: Bool { values.allSatisfy(\.isFinite) }

    /// `self − other`, elementwise (same layout).
    public func subtracting(_ other: ParameterSet) -> ParameterSet {
        precondition(layout == other.layout, "ParameterSet.subtracting: the layouts differ.")
        var result = self
        result.values.withUnsafeMutableBufferPointer { r in
            other.values.withUnsafeBufferPointer { o in for i in r.indices { r[i] -= o[i] } }
        }
        return result
    }

    /// `self + scale · other`, elementwise (same layout).
    public func adding(_ other: ParameterSet, scaledBy scale: Float = 1) -> ParameterSet {
        precondition(layout == other.layout, "ParameterSet.adding: the layouts differ.")
        var result = self
        result.values.withUnsafeMutableBufferPointer { r in
            other.values.withUnsafeBufferPointer { o in for i in r.indices { r[i] += scale * o[i] } }
        }
        return result
    }

    // MARK: - Wire form

    /// The parameters as a safetensors file (F32, PyTorch names), with optional string metadata.
    public func encoded(metadata: [String: String] = [:]) throws -> [UInt8] {
        try encoded(metadata: metadata) { count, fill in
            [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                fill(UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            }
        }
    }

    /// The safetensors file of `encoded(metadata:)`, written straight from `values` into the
    /// memory `output` provides (a network buffer, say): no tensor and no other copy is made.
    func encoded<Output>(
        metadata: [String: String],
        into output: (_ byteCount: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) throws -> Output
    ) throws -> Output {
        var metadata = metadata
        metadata["nerva.order"] = layout.names.joined(separator: "\n")
        return try Safetensors.encodeConcatenated(
            names: layout.names, shapes: layout.entries.map(\.shape), values: values, metadata: metadata,
            into: output)
    }

    /// Decodes a safetensors file written by `encoded()` (the order is restored from its
    /// metadata) or by any other writer (then the names are sorted).
    ///
    /// - Returns: the parameters and the file's metadata.
    /// - Throws: `SafetensorsError` for a malformed file.
    public static func decode(safetensors bytes: some ContiguousBytes, source: String = "<message>")
        throws -> (parameters: ParameterSet, metadata: [String: String])
    {
        // Straight into the flat vector: one copy of the elements, no tensors (a message of a
        // large model would otherwise pass through the tensor storage cache).
        var (names, shapes, values, metadata) = try Safetensors.decodeConcatenated(bytes, source: source) {
            names, metadata in
            guard let order = metadata["nerva.order"] else { return names }
            let listed = order.isEmpty ? [] : order.components(separatedBy: "\n")
            return listed.sorted() == names ? listed : names
        }
        metadata.removeValue(forKey: "nerva.order")
        return (ParameterSet(layout: ParameterLayout(names: names, shapes: shapes), values: values), metadata)
    }
}

extension Module {
    /// Copies `parameters` into this module's parameters and buffers, in place.
    ///
    /// - Throws: `StateDictionaryError.mismatch` when names or shapes do not fit.
    public func load(_ parameters: ParameterSet) throws {
        try load(stateDictionary: parameters.stateDictionary())
    }
}
