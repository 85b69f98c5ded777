import Crypto
import Foundation
import NervaFed

// MARK: - The federated server's request bodies and the messages a participant receives

extension FuzzTarget {
    /// Every decoder of `WireFormat` on the same bytes, as the server (fit results, evaluation
    /// results) and the participants (fit and evaluation requests, the global model) read them.
    static let federationMessages = FuzzTarget(
        name: "federation-messages",
        reader: "WireFormat.decode… and the ParticipantEvaluation JSON (bodies of `nerva fed server` and its clients)",
        run: { bytes in
            let limit = 1 << 20
            if let result = try? WireFormat.decodeFitResult(bytes, sizeLimit: limit) { _ = result.update.norm }
            if let instruction = try? WireFormat.decodeFitInstruction(bytes, sizeLimit: limit) {
                _ = try? instruction.model.validated()
            }
            _ = try? WireFormat.decodeEvaluation(bytes, sizeLimit: limit)
            _ = try? WireFormat.decodeGlobalModel(bytes, sizeLimit: limit)
            _ = try? JSONDecoder().decode(ParticipantEvaluation.self, from: Data(bytes))
        },
        seeds: {
            let model = ModelDescription.mlp(inputShape: [1, 2, 2], hiddenSizes: [2], classCount: 2)
            let parameters = ParameterSet(module: try model.makeModel(generator: RandomGenerator(seed: 1)))
            let result = FitResult(update: parameters, kind: .parameters, exampleCount: 12, metrics: ["loss": 0.5])
            return [
                (
                    "fit.safetensors",
                    try WireFormat.encode(
                        FitInstruction(
                            model: model, parameters: parameters,
                            configuration: FitConfiguration(round: 2, localEpochs: 1, batchSize: 4)))
                ),
                ("fit-result.safetensors", try WireFormat.encode(result)),
                (
                    "fit-result-gradient.safetensors",
                    try WireFormat.encode(FitResult(update: parameters, kind: .gradient, exampleCount: 3))
                ),
                (
                    "evaluate.safetensors",
                    try WireFormat.encodeEvaluation(
                        model: model, parameters: parameters,
                        configuration: EvaluateConfiguration(round: 2))
                ),
                (
                    "model.safetensors",
                    try WireFormat.encodeGlobalModel(
                        model: .lenet(classCount: 3), parameters: ParameterSet(tensors: []), round: 4)
                ),
                (
                    "evaluation-result.json",
                    [UInt8](
                        try JSONEncoder().encode(
                            ParticipantEvaluation(loss: 0.25, exampleCount: 7, metrics: ["accuracy": 0.5])))
                )
            ]
        })

    /// The objects of a Flower message, as a participant pulls them from a SuperLink, then the
    /// participant's answer to a train, evaluate or query message with that content.
    ///
    /// The first byte chooses how the rest is read (see `FlowerObjects`) and the message type;
    /// the rest are the objects (see `FuzzParts.splitAll`), the `Message` object last.
    static let flowerObjects = FuzzTarget(
        name: "flower-objects",
        reader: "FlowerContent(messageObjects:messageID:) (object heads, RecordDict/ArrayRecord JSON, ConfigRecord and "
            + "MetricRecord protobuf, .npy chunks) and FlowerMessageHandler.reply",
        run: { bytes in
            guard let first = bytes.first else { return }
            let parts = FuzzParts.splitAll(Array(bytes.dropFirst()))
            let objects = first & 1 == 0 ? parts : FlowerObjects.assemble(parts)
            guard let message = objects.last else { return }
            let byID = Dictionary(
                objects.map { (FlowerObjects.id(of: $0), $0) }, uniquingKeysWith: { first, _ in first })
            guard let content = try? FlowerContent(messageObjects: byID, messageID: FlowerObjects.id(of: message))
            else { return }
            let type = ["train", "evaluate", "query", "train.default"][Int(first >> 1) % 4]
            _ = try? FlowerObjects.handler.reply(to: type, content: content)
        },
        seeds: { FlowerObjects.seeds() })
}

extension FuzzParts {
    /// Every part: a 4-byte little-endian length and that many bytes, until the input ends.
    static func splitAll(_ bytes: [UInt8]) -> [[UInt8]] {
        var parts: [[UInt8]] = [], rest = bytes
        while !rest.isEmpty {
            let split = FuzzParts.split(rest, count: 2)
            parts.append(split[0])
            rest = split[1]
            if rest.count < 4 { break }
        }
        return parts
    }
}

/// Flower's content-addressed objects (`"<Type> <child ids> <body length>" NUL body`, each named
/// by the SHA-256 of its bytes) built from fuzz input that a mutation cannot break by changing a
/// hash: in "assembled" inputs each part is `[kind, childCount, child indices…] + body`, children
/// and `#k` in the body (the byte `#` then the byte k) refer to earlier parts by index, and the
/// real ids are filled in here.
enum FlowerObjects {
    static let kinds = ["Message", "RecordDict", "ArrayRecord", "Array", "ArrayChunk", "ConfigRecord", "MetricRecord"]

    static func id(of bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(
            decoding: SHA256.hash(data: bytes).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] }, as: UTF8.self)
    }

    static func object(_ kind: String, children: [String], body: [UInt8]) -> [UInt8] {
        Array("\(kind) \(children.joined(separator: ",")) \(body.count)".utf8) + [0] + body
    }

    static func assemble(_ parts: [[UInt8]]) -> [[UInt8]] {
        var objects: [[UInt8]] = [], ids: [String] = []
        for part in parts where part.count >= 2 {
            let childCount = min(Int(part[1]), part.count - 2)
            let children = part[2..<(2 + childCount)].compactMap { Int($0) < ids.count ? ids[Int($0)] : nil }
            var body: [UInt8] = [], position = 2 + childCount
            while position < part.count {
                if part[position] == UInt8(ascii: "#"), position + 1 < part.count, Int(part[position + 1]) < ids.count {
                    body += Array(ids[Int(part[position + 1])].utf8)
                    position += 2
                } else {
                    body.append(part[position])
                    position += 1
                }
            }
            let object = object(kinds[Int(part[0]) % kinds.count], children: children, body: body)
            objects.append(object)
            ids.append(id(of: object))
        }
        return objects
    }

    /// A participant that answers at once (the target is the reading, not the training).
    final class Participant: FederatedParticipant {
        let id = "fuzz"
        func fit(_ instruction: FitInstruction) throws -> FitResult {
            FitResult(update: instruction.parameters, kind: .parameters, exampleCount: 1, metrics: ["loss": 1])
        }
        func evaluate(model: ModelDescription, parameters: ParameterSet, configuration: EvaluateConfiguration) throws
            -> ParticipantEvaluation
        {
            ParticipantEvaluation(loss: 1, exampleCount: 1, metrics: ["accuracy": 0.5])
        }
    }

    static let model = ModelDescription.mlp(inputShape: [1, 2, 1], hiddenSizes: [2], classCount: 2)
    static let handler = try! FlowerMessageHandler(participant: Participant(), model: model)

    // MARK: Seeds

    /// A message with the model's arrays, a config and metrics, in both input forms.
    static func seeds() -> [(name: String, bytes: [UInt8])] {
        let parameters = ParameterSet(module: try! model.makeModel(generator: RandomGenerator(seed: 1)))
        // Parts in assembled form; indices refer to earlier parts.
        var parts: [[UInt8]] = []
        func add(_ kind: String, _ children: [Int], _ body: [UInt8]) -> Int {
            parts.append([UInt8(kinds.firstIndex(of: kind)!), UInt8(children.count)] + children.map(UInt8.init) + body)
            return parts.count - 1
        }
        var arrayEntries: [(String, Int)] = []
        let tensors = parameters.stateDictionary()
        for name in parameters.layout.names {
            let tensor = tensors[name]!
            let npy = NumpyArray(tensor).encoded()
            let chunks = [add("ArrayChunk", [], Array(npy.prefix(64))), add("ArrayChunk", [], Array(npy.dropFirst(64)))]
            let metadata =
                #"{"dtype": "float32", "shape": \#(tensor.shape), "stype": "numpy.ndarray", "arraychunk_ids": [0, 1]}"#
            arrayEntries.append((name, add("Array", chunks, Array(metadata.utf8))))
        }
        func map(_ entries: [(String, Int)]) -> [UInt8] {
            var body = Array("{".utf8)
            for (index, (name, part)) in entries.enumerated() {
                body +=
                    Array(((index == 0 ? "" : ", ") + "\"\(name)\": \"").utf8) + [UInt8(ascii: "#"), UInt8(part)]
                    + Array("\"".utf8)
            }
            return body + Array("}".utf8)
        }
        let arrays = add("ArrayRecord", arrayEntries.map(\.1), map(arrayEntries))
        let config = add(
            "ConfigRecord", [],
            Protobuf.record([
                Protobuf.item("lr", Protobuf.double(1, 0.1)), Protobuf.item("local-epochs", Protobuf.sint64(2, 1)),
                Protobuf.item("server-round", Protobuf.sint64(2, 3)),
                Protobuf.item("name", Protobuf.bytes(5, Array("nerva".utf8))),
                Protobuf.item("clipping_norm", Protobuf.double(1, 2)),
                Protobuf.item("flags", Protobuf.bytes(24, Protobuf.bytes(1, [1, 0, 1])))
            ]))
        let metrics = add(
            "MetricRecord", [],
            Protobuf.record([
                Protobuf.item("loss", Protobuf.double(1, 0.25)), Protobuf.item("num-examples", Protobuf.sint64(2, 10)),
                Protobuf.item(
                    "losses", Protobuf.bytes(21, Protobuf.bytes(1, Protobuf.fixed64(0.5) + Protobuf.fixed64(0.25))))
            ]))
        let recordDict = add(
            "RecordDict", [arrays, config, metrics], map([("arrays", arrays), ("config", config), ("metrics", metrics)])
        )
        _ = add("Message", [recordDict], Array("flower message body".utf8))
        let assembled = [1] + FuzzParts.join(parts + [[]])
        let raw = [0] + FuzzParts.join(assemble(parts) + [[]])
        return [
            ("train-assembled.bin", assembled), ("train-raw.bin", raw),
            ("evaluate-assembled.bin", [3] + assembled.dropFirst()), ("query-raw.bin", [4] + raw.dropFirst())
        ]
    }
}

/// Just enough protobuf to write a ConfigRecord or MetricRecord seed by hand.
enum Protobuf {
    static func varint(_ value: UInt64) -> [UInt8] {
        var value = value, bytes: [UInt8] = []
        repeat {
            bytes.append(UInt8(value & 0x7F) | (value >= 0x80 ? 0x80 : 0))
            value >>= 7
        } while value > 0
        return bytes
    }
    static func bytes(_ field: Int, _ payload: [UInt8]) -> [UInt8] {
        varint(UInt64(field << 3 | 2)) + varint(UInt64(payload.count)) + payload
    }
    static func fixed64(_ value: Double) -> [UInt8] { withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
    static func double(_ field: Int, _ value: Double) -> [UInt8] { varint(UInt64(field << 3 | 1)) + fixed64(value) }
    static func sint64(_ field: Int, _ value: Int64) -> [UInt8] {
        varint(UInt64(field << 3)) + varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }
    /// A record's item: the key (field 1) and the value message (field 2) holding `value`.
    static func item(_ key: String, _ value: [UInt8]) -> [UInt8] { bytes(1, Array(key.utf8)) + bytes(2, value) }
    static func record(_ items: [[UInt8]]) -> [UInt8] { items.flatMap { bytes(1, $0) } }
}

// MARK: - Key files a federation reads at start-up

extension FuzzTarget {
    /// The first byte chooses the reader; the rest is the file: `nerva fed server --credentials`
    /// (client tokens) or a Flower node's `--key-file` (PEM P-256 private key).
    static let federationKeyFiles = FuzzTarget(
        name: "federation-key-files",
        reader: "FederationCredentials(contentsOf:) and FleetIdentity(keyFile:) (credentials and node key files)",
        run: { bytes in
            guard let first = bytes.first else { return }
            let file = FuzzScratchFolder.shared.reset().appendingPathComponent("key-file")
            guard FileManager.default.createFile(atPath: file.path, contents: Data(bytes.dropFirst())) else { return }
            if first & 1 == 0 {
                if let credentials = try? FederationCredentials(contentsOf: file) {
                    _ = credentials.client(presenting: "0123456789abcdef0123")
                }
            } else if let identity = try? FleetIdentity(keyFile: file) {
                _ = try? identity.headers()
            }
        },
        seeds: {
            let pem = FuzzScratchFolder.shared.reset().appendingPathComponent("node.pem")
            _ = try FleetIdentity(keyFile: pem)
            return [
                (
                    "credentials.txt",
                    [0] + Array("# clients\nclient-000 0123456789abcdef0123\n\nclient-001\t3f9a0c1e5b7d2f4a8c6e\n".utf8)
                ),
                ("node.pem", [1] + Array(try Data(contentsOf: pem)))
            ]
        })
}
