import Foundation

/// A value in a Flower `ConfigRecord` or `MetricRecord` (metrics hold only the numeric kinds).
public enum FlowerValue: Equatable, Sendable {
    case double(Double)
    case integer(Int64)
    case unsigned(UInt64)
    case bool(Bool)
    case string(String)
    case bytes([UInt8])
    case doubles([Double])
    case integers([Int64])
    case unsigneds([UInt64])
    case bools([Bool])
    case strings([String])
    case bytesList([[UInt8]])

    /// The value as a number, when it is one.
    public var number: Double? {
        switch self {
        case let .double(value): value
        case let .integer(value): Double(value)
        case let .unsigned(value): Double(value)
        default: nil
        }
    }
}

/// One record of a Flower message: arrays (a model's parameters, as `.npy` arrays, in order),
/// metrics, or configuration.
public enum FlowerRecord: Equatable, Sendable {
    case arrays(names: [String], arrays: [NumpyArray])
    case metrics([String: FlowerValue])
    case config([String: FlowerValue])
}

/// The content of a Flower message, its `RecordDict`: records by name, such as `"arrays"`,
/// `"config"` and `"metrics"`.
public struct FlowerContent: Equatable, Sendable {
    public var records: [String: FlowerRecord]

    public init(records: [String: FlowerRecord] = [:]) { self.records = records }

    /// The objects that carry this content, children before parents (the order of pushing), and
    /// the id of the `RecordDict` at the top.
    func deflated(chunkSize: Int = 5 * 1024 * 1024) throws(FlowerProtocolError) -> (
        objects: [FlowerObject], rootID: String
    ) {
        var objects: [FlowerObject] = []
        var references: [String: String] = [:]
        for name in records.keys.sorted() {
            let record: FlowerObject
            switch records[name]! {
            case let .arrays(names, arrays):
                var arrayReferences: [String: String] = [:]
                for (arrayName, array) in zip(names, arrays) {
                    let data = array.encoded()
                    var chunkIDs: [String] = [], uniqueChunks: [String] = []
                    for start in stride(from: 0, to: max(data.count, 1), by: chunkSize) {
                        let chunk = FlowerObject(
                            kind: .arrayChunk, body: Array(data[start..<min(start + chunkSize, data.count)]))
                        if !uniqueChunks.contains(chunk.id) {
                            uniqueChunks.append(chunk.id)
                            objects.append(chunk)
                        }
                        chunkIDs.append(chunk.id)
                    }
                    let metadata = FlowerJSON.object([
                        ("dtype", .string(Self.dtypeName[array.scalarType]!)), ("shape", .integers(array.shape)),
                        ("stype", .string("numpy.ndarray")),
                        ("arraychunk_ids", .integers(chunkIDs.map { uniqueChunks.firstIndex(of: $0)! }))
                    ])
                    let object = FlowerObject(kind: .array, children: uniqueChunks, body: Array(metadata.utf8))
                    objects.append(object)
                    arrayReferences[arrayName] = object.id
                }
                record = Self.referencing(.arrayRecord, arrayReferences, order: names)
            case let .metrics(values):
                record = FlowerObject(kind: .metricRecord, body: try FlowerProtoValues.metricRecord(values))
            case let .config(values):
                record = FlowerObject(kind: .configRecord, body: try FlowerProtoValues.configRecord(values))
            }
            if !objects.contains(record) { objects.append(record) }
            references[name] = record.id
        }
        let top = Self.referencing(.recordDict, references, order: records.keys.sorted())
        objects.append(top)
        return (objects, top.id)
    }

    /// An object whose body is the JSON map `{name: id}` and whose children are the unique ids.
    private static func referencing(_ kind: FlowerObject.Kind, _ references: [String: String], order: [String])
        -> FlowerObject
    {
        var children: [String] = []
        for name in order where !children.contains(references[name]!) { children.append(references[name]!) }
        let body = FlowerJSON.object(order.map { ($0, .string(references[$0]!)) })
        return FlowerObject(kind: kind, children: children, body: Array(body.utf8))
    }

    /// The content of a message pulled from a SuperLink, from the bytes of its objects.
    ///
    /// - Parameters:
    ///   - messageObjects: the bytes of every object of the message, by id (as PullObject
    ///     returns them); each is checked against its id, the SHA-256 of its bytes.
    ///   - messageID: the id of the `Message` object at the top of the tree.
    /// - Throws: `FlowerProtocolError` for a missing, tampered or malformed object, or a message
    ///   that carries no content (an error message).
    public init(messageObjects: [String: [UInt8]], messageID: String) throws(FlowerProtocolError) {
        var objects: [String: FlowerObject] = [:]
        for (id, bytes) in messageObjects { objects[id] = try FlowerObject(bytes: bytes, expectedID: id) }
        guard let message = objects[messageID] else {
            throw .badContent("the message object \(messageID.prefix(12))… was not pulled")
        }
        guard message.kind == .message else {
            throw .badContent("the message's root object is a \(message.kind.rawValue)")
        }
        guard message.children.count == 1 else {
            throw .badContent(
                "the message object has \(message.children.count) children, not its one RecordDict "
                    + "(a message carrying an error has no content to work on)")
        }
        try self.init(inflating: message.children[0], from: objects)
    }

    /// The content whose `RecordDict` object is `rootID`, from the pulled `objects` (verified).
    init(inflating rootID: String, from objects: [String: FlowerObject]) throws(FlowerProtocolError) {
        func object(_ id: String, _ kind: FlowerObject.Kind) throws(FlowerProtocolError) -> FlowerObject {
            guard let object = objects[id] else { throw .badContent("object \(id.prefix(12))… was not pulled") }
            guard object.kind == kind else {
                throw .badContent("object \(id.prefix(12))… is a \(object.kind.rawValue), not a \(kind.rawValue)")
            }
            return object
        }
        func references(_ object: FlowerObject) throws(FlowerProtocolError) -> [(String, String)] {
            guard let map = try? FlowerJSON.parseStringMap(object.body) else {
                throw .badContent("the \(object.kind.rawValue) body is not a JSON map of names to ids")
            }
            guard map.allSatisfy({ object.children.contains($0.1) }) else {
                throw .badContent("the \(object.kind.rawValue) refers to an object that is not among its children")
            }
            return map
        }
        var records: [String: FlowerRecord] = [:]
        for (name, id) in try references(try object(rootID, .recordDict)) {
            guard let record = objects[id] else { throw .badContent("record \"\(name)\" was not pulled") }
            switch record.kind {
            case .arrayRecord:
                var names: [String] = [], arrays: [NumpyArray] = []
                for (arrayName, arrayID) in try references(record) {
                    let arrayObject = try object(arrayID, .array)
                    guard let metadata = try? FlowerJSON.parseArrayMetadata(arrayObject.body),
                        metadata.chunkIndices.allSatisfy({ arrayObject.children.indices.contains($0) })
                    else {
                        throw .badContent("array \"\(arrayName)\" has unreadable metadata")
                    }
                    guard metadata.stype == "numpy.ndarray" else {
                        throw .badContent("array \"\(arrayName)\" is a \(metadata.stype), not a numpy.ndarray")
                    }
                    var data: [UInt8] = []
                    for index in metadata.chunkIndices {
                        data += try object(arrayObject.children[index], .arrayChunk).body
                    }
                    do { arrays.append(try NumpyArray(decoding: data, source: "array \"\(arrayName)\"")) } catch {
                        throw .badContent("\(error)")
                    }
                    names.append(arrayName)
                }
                records[name] = .arrays(names: names, arrays: arrays)
            case .metricRecord: records[name] = .metrics(try FlowerProtoValues.values(ofMetricRecord: record.body))
            case .configRecord: records[name] = .config(try FlowerProtoValues.values(ofConfigRecord: record.body))
            default: throw .badContent("record \"\(name)\" is a \(record.kind.rawValue)")
            }
        }
        self.records = records
    }

    /// NumPy's names of the element types (`str(array.dtype)`).
    static let dtypeName: [NumpyArray.ScalarType: String] = [
        .bool: "bool", .int8: "int8", .int16: "int16", .int32: "int32", .int64: "int64", .uint8: "uint8",
        .uint16: "uint16", .uint32: "uint32", .uint64: "uint64", .float16: "float16", .float32: "float32",
        .float64: "float64"
    ]
}
