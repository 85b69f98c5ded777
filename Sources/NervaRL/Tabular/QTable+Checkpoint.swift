import Foundation

/// A Q-table checkpoint that cannot be used, naming the file and the problem.
public enum TabularCheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file holds no `q_table` tensor.
    case missingTable(source: String)
    /// The table's shape is not `[states, actions]` (of the environment, when it is known).
    case wrongShape(source: String, shape: [Int], expected: String)
    /// A value is NaN or infinite.
    case nonFiniteValue(source: String, state: Int, action: Int)

    public var description: String {
        switch self {
        case .missingTable(let source): return "\(source) has no q_table tensor; it is not a Q-table checkpoint."
        case .wrongShape(let source, let shape, let expected):
            return "\(source): q_table has shape \(shape); expected \(expected)."
        case .nonFiniteValue(let source, let state, let action):
            return "\(source): q_table holds a NaN or infinite value at state \(state), action \(action)."
        }
    }
}

extension QTable {
    /// Writes the table as a safetensors file (`q_table`, Float32 `[states, actions]`, what
    /// `nerva rl train` writes), atomically, with `metadata` (environment, algorithm, seed, …).
    ///
    /// - Throws: `SafetensorsError` when the file cannot be written.
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try Safetensors.write(
            ["q_table": Tensor(values.map(Float.init), shape: [stateCount, actionCount])],
            metadata: metadata, to: url)
    }

    /// The Q-table in the safetensors file at `url`; with `stateCount`/`actionCount` its shape
    /// must be that of the environment it is used on.
    ///
    /// - Throws: `SafetensorsError` for a malformed file, `TabularCheckpointError` for a missing
    ///   table, a wrong shape or a non-finite value.
    public static func load(from url: URL, stateCount: Int? = nil, actionCount: Int? = nil) throws -> QTable {
        try load(
            Safetensors.read(from: url).tensors, source: url.path, stateCount: stateCount, actionCount: actionCount)
    }

    /// The Q-table in the bytes of a checkpoint, as `load(from:…)`; `source` names it in errors.
    public static func load(
        checkpoint bytes: [UInt8], source: String = "<memory>", stateCount: Int? = nil,
        actionCount: Int? = nil
    ) throws -> QTable {
        try load(
            Safetensors.decode(bytes, source: source).tensors, source: source, stateCount: stateCount,
            actionCount: actionCount)
    }

    private static func load(
        _ tensors: [String: Tensor], source: String, stateCount: Int?,
        actionCount: Int?
    ) throws -> QTable {
        guard let table = tensors["q_table"] else { throw TabularCheckpointError.missingTable(source: source) }
        let expected =
            "[\(stateCount.map(String.init) ?? "states"), \(actionCount.map(String.init) ?? "actions")]"
            + (stateCount == nil && actionCount == nil ? " with at least one state and one action" : "")
        guard table.shape.count == 2, table.shape[0] > 0, table.shape[1] > 0,
            stateCount.map({ $0 == table.shape[0] }) ?? true, actionCount.map({ $0 == table.shape[1] }) ?? true
        else {
            throw TabularCheckpointError.wrongShape(source: source, shape: table.shape, expected: expected)
        }
        let scalars = table.scalars
        if let bad = scalars.firstIndex(where: { !$0.isFinite }) {
            throw TabularCheckpointError.nonFiniteValue(
                source: source, state: bad / table.shape[1],
                action: bad % table.shape[1])
        }
        var q = QTable(stateCount: table.shape[0], actionCount: table.shape[1])
        q.values = scalars.map(Double.init)
        return q
    }
}
