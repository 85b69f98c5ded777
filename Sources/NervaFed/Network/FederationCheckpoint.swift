import Foundation
import NervaNN
import NervaTensor

/// A checkpoint that cannot be resumed from: every case names the file.
public enum FederationCheckpointError: Error, CustomStringConvertible, Equatable {
    case invalid(path: String, problem: String)
    case differentModel(path: String)

    public var description: String {
        switch self {
        case let .invalid(path, problem): "\(path) is not a federation checkpoint: \(problem)"
        case let .differentModel(path):
            "\(path) was written for a different model architecture; start without --resume or choose another --out"
        }
    }
}

/// The server's state after a finished round: the global model and what the next round needs to
/// continue exactly (the round count and the sampling generator). Written atomically as one
/// safetensors file (temporary file, `fsync`, `rename`), so a crash leaves either the previous
/// round's checkpoint or this one, never a torn file.
///
/// It also holds the strategy's `serverState` (the moments of FedAvgM, FedAdam, …), so every
/// strategy resumes exactly.
public struct FederationCheckpoint: Sendable, Equatable {
    /// The architecture.
    public var model: ModelDescription
    /// The global parameters after `completedRounds` rounds.
    public var global: ParameterSet
    /// The rounds finished.
    public var completedRounds: Int
    /// The sampling generator's state (`RandomGenerator.snapshot`).
    public var generatorState: [UInt64]
    /// The strategy's state (`Strategy.serverState`).
    public var serverState: [String: [Float]]

    /// Tensors of the server state are stored under this prefix beside the model's.
    static let serverStatePrefix = "nerva.server."

    public init(
        model: ModelDescription, global: ParameterSet, completedRounds: Int, generatorState: [UInt64],
        serverState: [String: [Float]] = [:]
    ) {
        self.model = model
        self.global = global
        self.completedRounds = completedRounds
        self.generatorState = generatorState
        self.serverState = serverState
    }

    /// Writes the checkpoint to `url` atomically.
    public func write(to url: URL) throws {
        let state = serverState.keys.sorted().map {
            (name: Self.serverStatePrefix + $0, tensor: Tensor(serverState[$0]!))
        }
        let stored =
            state.isEmpty
            ? global : ParameterSet(tensors: global.layout.names.map { ($0, global.stateDictionary()[$0]!) } + state)
        let bytes = try stored.encoded(metadata: [
            "nerva.message": "checkpoint",
            "nerva.model": try model.jsonString(),
            "nerva.completedRounds": String(completedRounds),
            "nerva.generator": generatorState.map(String.init).joined(separator: " ")
        ])
        try AtomicFile.write(bytes, to: url)
    }

    /// Reads a checkpoint written by `write(to:)`.
    ///
    /// - Throws: `FederationCheckpointError`, `SafetensorsError` or `ModelDescriptionError` naming the problem.
    public init(contentsOf url: URL) throws {
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: url)) } catch {
            throw FederationCheckpointError.invalid(
                path: url.path, problem: "cannot read it (\(error.localizedDescription))")
        }
        try self.init(bytes: bytes, source: url.path)
    }

    /// Reads the bytes of a checkpoint written by `write(to:)`; `source` names it in errors.
    ///
    /// - Throws: `FederationCheckpointError`, `SafetensorsError` or `ModelDescriptionError` naming the problem.
    public init(bytes: [UInt8], source: String = "<memory>") throws {
        let (stored, metadata) = try ParameterSet.decode(safetensors: bytes, source: source)
        let tensors = stored.stateDictionary()
        let modelNames = stored.layout.names.filter { !$0.hasPrefix(Self.serverStatePrefix) }
        let parameters =
            modelNames.count == stored.layout.names.count
            ? stored : ParameterSet(tensors: modelNames.map { ($0, tensors[$0]!) })
        let serverState = Dictionary(
            uniqueKeysWithValues: stored.layout.names.filter { $0.hasPrefix(Self.serverStatePrefix) }.map {
                (String($0.dropFirst(Self.serverStatePrefix.count)), tensors[$0]!.scalars)
            })
        guard metadata["nerva.message"] == "checkpoint", let modelText = metadata["nerva.model"],
            let roundsText = metadata["nerva.completedRounds"], let rounds = Int(roundsText), rounds >= 0
        else {
            throw FederationCheckpointError.invalid(path: source, problem: "missing or invalid nerva.* metadata")
        }
        let state = (metadata["nerva.generator"] ?? "").split(separator: " ").compactMap { UInt64($0) }
        guard state.count == 4, state.contains(where: { $0 != 0 }) else {
            throw FederationCheckpointError.invalid(
                path: source, problem: "the generator state is not 4 non-zero words")
        }
        let model = try ModelDescription(json: Data(modelText.utf8))
        // The description's sizes become allocations when the server builds the model: they must
        // fit in the values the checkpoint holds.
        let needed = model.layers.reduce(0) { $0 + ($1.weightCount ?? 0) } // each validated against the memory budget
        guard needed <= parameters.scalarCount else {
            throw FederationCheckpointError.invalid(
                path: source,
                problem: "the model description needs \(needed) values, "
                    + "the checkpoint holds \(parameters.scalarCount)")
        }
        self.init(
            model: model, global: parameters, completedRounds: rounds, generatorState: state, serverState: serverState)
    }
}
