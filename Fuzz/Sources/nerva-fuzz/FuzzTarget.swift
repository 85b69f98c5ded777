/// A reader of outside bytes under fuzzing: `run` feeds it one input and ignores thrown errors
/// (a thrown error is the right answer to bad bytes; only a trap, a hang or unbounded memory is
/// a failure), `seeds` makes valid inputs with Nerva's own writers.
struct FuzzTarget: Sendable {
    /// The name used on the command line and as the corpus folder.
    let name: String
    /// What the target reads, for `nerva-fuzz list`.
    let reader: String
    let run: @Sendable ([UInt8]) -> Void
    let seeds: @Sendable () throws -> [(name: String, bytes: [UInt8])]

    static let all: [FuzzTarget] = [
        .safetensors, .idx, .npy,
        .classifierCheckpoint, .classificationState,
        .ganCheckpoint, .dqnCheckpoint, .qTableCheckpoint, .recommenderCheckpoint, .federationCheckpoint,
        .ratingsCSV, .movieLens,
        .federationMessages, .federationKeyFiles, .flowerObjects, .gymnasiumFrames
    ]
}

/// Inputs made of several parts (a model and its description, a folder's files, objects): each
/// part but the last is a 4-byte little-endian length and that many bytes; the last part is the rest.
enum FuzzParts {
    static func split(_ bytes: [UInt8], count: Int) -> [[UInt8]] {
        var parts: [[UInt8]] = [], position = 0
        while parts.count < count - 1 {
            guard bytes.count - position >= 4 else {
                parts.append([])
                continue
            }
            let length = (0..<4).reduce(0) { $0 | Int(bytes[position + $1]) << (8 * $1) }
            position += 4
            let end = position + min(length, bytes.count - position)
            parts.append(Array(bytes[position..<end]))
            position = end
        }
        parts.append(Array(bytes[position...]))
        return parts
    }

    static func join(_ parts: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for part in parts.dropLast() {
            bytes += withUnsafeBytes(of: UInt32(part.count).littleEndian, Array.init)
            bytes += part
        }
        return bytes + (parts.last ?? [])
    }
}
