import Foundation
import SwiftProtobuf

/// Conversions between `FlowerValue` maps and the `ConfigRecord` / `MetricRecord` protobuf
/// bodies of Flower's objects (deterministic serialisation, keys in sorted order).
enum FlowerProtoValues {
    static func configRecord(_ values: [String: FlowerValue]) throws(FlowerProtocolError) -> [UInt8] {
        var record = Flwr_Proto_ConfigRecord()
        record.items = values.keys.sorted().map { key in
            var item = Flwr_Proto_ConfigRecord.Item()
            item.key = key
            item.value.value = configValue(values[key]!)
            return item
        }
        return try serialized(record)
    }

    static func metricRecord(_ values: [String: FlowerValue]) throws(FlowerProtocolError) -> [UInt8] {
        var record = Flwr_Proto_MetricRecord()
        for key in values.keys.sorted() {
            var item = Flwr_Proto_MetricRecord.Item()
            item.key = key
            switch values[key]! {
            case let .double(value): item.value.value = .double(value)
            case let .integer(value): item.value.value = .sint64(value)
            case let .unsigned(value): item.value.value = .uint64(value)
            case let .doubles(values): item.value.value = .doubleList(.with { $0.vals = values })
            case let .integers(values): item.value.value = .sintList(.with { $0.vals = values })
            case let .unsigneds(values): item.value.value = .uintList(.with { $0.vals = values })
            default: throw .badContent("metric \"\(key)\" is not a number or a list of numbers")
            }
            record.items.append(item)
        }
        return try serialized(record)
    }

    static func values(ofConfigRecord body: [UInt8]) throws(FlowerProtocolError) -> [String: FlowerValue] {
        guard let record = try? Flwr_Proto_ConfigRecord(serializedBytes: body) else {
            throw .badContent("a ConfigRecord body is not valid protobuf")
        }
        var values: [String: FlowerValue] = [:]
        for item in record.items {
            guard let value = item.value.value.map(value(of:)) else {
                throw .badContent("config \"\(item.key)\" has no value")
            }
            values[item.key] = value
        }
        return values
    }

    static func values(ofMetricRecord body: [UInt8]) throws(FlowerProtocolError) -> [String: FlowerValue] {
        guard let record = try? Flwr_Proto_MetricRecord(serializedBytes: body) else {
            throw .badContent("a MetricRecord body is not valid protobuf")
        }
        var values: [String: FlowerValue] = [:]
        for item in record.items {
            switch item.value.value {
            case let .double(value)?: values[item.key] = .double(value)
            case let .sint64(value)?: values[item.key] = .integer(value)
            case let .uint64(value)?: values[item.key] = .unsigned(value)
            case let .doubleList(list)?: values[item.key] = .doubles(list.vals)
            case let .sintList(list)?: values[item.key] = .integers(list.vals)
            case let .uintList(list)?: values[item.key] = .unsigneds(list.vals)
            case nil: throw .badContent("metric \"\(item.key)\" has no value")
            }
        }
        return values
    }

    private static func configValue(_ value: FlowerValue) -> Flwr_Proto_ConfigRecordValue.OneOf_Value {
        switch value {
        case let .double(value): .double(value)
        case let .integer(value): .sint64(value)
        case let .unsigned(value): .uint64(value)
        case let .bool(value): .bool(value)
        case let .string(value): .string(value)
        case let .bytes(value): .bytes(Data(value))
        case let .doubles(values): .doubleList(.with { $0.vals = values })
        case let .integers(values): .sintList(.with { $0.vals = values })
        case let .unsigneds(values): .uintList(.with { $0.vals = values })
        case let .bools(values): .boolList(.with { $0.vals = values })
        case let .strings(values): .stringList(.with { $0.vals = values })
        case let .bytesList(values): .bytesList(.with { $0.vals = values.map { Data($0) } })
        }
    }

    private static func value(of proto: Flwr_Proto_ConfigRecordValue.OneOf_Value) -> FlowerValue {
        switch proto {
        case let .double(value): .double(value)
        case let .sint64(value): .integer(value)
        case let .uint64(value): .unsigned(value)
        case let .bool(value): .bool(value)
        case let .string(value): .string(value)
        case let .bytes(value): .bytes([UInt8](value))
        case let .doubleList(list): .doubles(list.vals)
        case let .sintList(list): .integers(list.vals)
        case let .uintList(list): .unsigneds(list.vals)
        case let .boolList(list): .bools(list.vals)
        case let .stringList(list): .strings(list.vals)
        case let .bytesList(list): .bytesList(list.vals.map { [UInt8]($0) })
        }
    }

    private static func serialized(_ message: some SwiftProtobuf.Message) throws(FlowerProtocolError) -> [UInt8] {
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        guard let bytes: [UInt8] = try? message.serializedBytes(options: options) else {
            throw .badContent("cannot serialise a \(type(of: message))")
        }
        return bytes
    }
}
