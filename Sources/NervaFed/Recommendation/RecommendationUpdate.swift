import Foundation

/// What a recommendation participant sends back from `fit`, read and checked by the server.
///
/// On the wire it is an ordinary `ParameterSet` (a safetensors file): `item_rows` (the item rows
/// the participant trained, ascending, as whole numbers), `item_row_weights` (how many local
/// examples touched each row: the row's weight in the average), then every tensor of the global
/// layout in order, the item tables holding only those rows (`[k, width]`). Nothing else: no
/// user id, no user embedding, no labels. The touched rows are the user's positives mixed with
/// `negatives ×` as many sampled items per epoch; which are which is not sent, but the set is
/// not hidden either (see the report of `nerva fed recommend`).
public struct RecommendationUpdate: Sendable {
    /// The names of the two index tensors.
    public static let rowsName = "item_rows", rowWeightsName = "item_row_weights"

    /// The touched item rows, ascending.
    public let rows: [Int]
    /// The examples that touched each row.
    public let rowWeights: [Float]
    /// The update as received.
    public let parameters: ParameterSet

    /// Reads `update` against the global layout, whose entries named in `itemTables` are item tables.
    ///
    /// - Returns: the update, or why it cannot be used.
    public static func read(_ update: ParameterSet, global: ParameterLayout, itemTables: Set<String>) -> Reading {
        let entries = update.layout.entries
        guard entries.count == global.entries.count + 2, entries[0].name == rowsName, entries[1].name == rowWeightsName,
            entries[0].shape.count == 1, entries[1].shape == entries[0].shape
        else {
            return .rejected(
                .wrongLayout("expected \(rowsName), \(rowWeightsName) and the \(global.entries.count) shared tensors"))
        }
        let k = entries[0].shape[0]
        let itemCount = global.entries.first { itemTables.contains($0.name) }?.shape[0] ?? 0
        for (received, expected) in zip(entries.dropFirst(2), global.entries) {
            let shape = itemTables.contains(expected.name) ? [k, expected.shape[1]] : expected.shape
            guard received.name == expected.name, received.shape == shape else {
                return .rejected(
                    .wrongLayout("\"\(received.name)\" \(received.shape), expected \"\(expected.name)\" \(shape)"))
            }
        }
        let nonFinite = update.values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        guard nonFinite == 0 else { return .rejected(.nonFinite(count: nonFinite)) }
        let rows = update.values[0..<k].map { Int($0) }
        guard zip(rows, update.values[0..<k]).allSatisfy({ Float($0) == $1 && (0..<itemCount).contains($0) }),
            zip(rows, rows.dropFirst()).allSatisfy({ $0 < $1 })
        else {
            return .rejected(.wrongLayout("\(rowsName) must be distinct ascending item indices in 0..<\(itemCount)"))
        }
        let weights = Array(update.values[k..<(2 * k)])
        guard weights.allSatisfy({ $0 > 0 }) else {
            return .rejected(.wrongLayout("\(rowWeightsName) must be positive"))
        }
        return .update(RecommendationUpdate(rows: rows, rowWeights: weights, parameters: update))
    }

    /// The outcome of `read`.
    public enum Reading: Sendable {
        case update(RecommendationUpdate)
        case rejected(ParticipantFailure.Reason)
    }

    /// The received values of global entry `index` (`k × width` for an item table).
    func values(ofEntry index: Int) -> ArraySlice<Float> {
        let entry = parameters.layout.entries[index + 2]
        return parameters.values[entry.offset..<(entry.offset + entry.count)]
    }
}
