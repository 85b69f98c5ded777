import Foundation

/// Checks of a saved model's tensors before anything is built from them: every value that
/// becomes an index, a size or a count is an integer in range, and every shape fits the
/// description, so a damaged or hostile file is refused with a message instead of trapping.
extension SavedRecommender {
    /// A tensor's values as indices: integers in `0..<bound` (or `-1`, "none", when `allowsNone`).
    static func indices(_ tensor: Tensor, name: String, below bound: Int, allowsNone: Bool = false, file: String) throws
        -> [Int]
    {
        var result: [Int] = []
        result.reserveCapacity(tensor.scalarCount)
        for value in tensor.scalars {
            guard value.isFinite, value == value.rounded(),
                (allowsNone && value == -1) || (value >= 0 && value < Float(bound))
            else {
                throw SavedRecommenderError.badTensor(
                    file: file, name: name,
                    problem: "value \(value) is not an index in 0..<\(bound)\(allowsNone ? " (or -1)" : "")")
            }
            result.append(Int(value))
        }
        return result
    }

    /// Throws unless `tensor` has exactly `shape`.
    static func requireShape(_ tensor: Tensor, _ shape: [Int], name: String, file: String) throws {
        guard tensor.shape == shape else {
            throw SavedRecommenderError.badTensor(
                file: file, name: name, problem: "shape \(tensor.shape), expected \(shape)")
        }
    }

    /// The interactions a model was trained on, from `history.*`, checked against the counts of
    /// users and items in the description: `row_start` rises from 0 to the number of entries,
    /// every item index is below the item count.
    static func history(_ tensor: (String) throws -> Tensor, users: Int, items: Int, file: String) throws
        -> UserItemMatrix
    {
        let starts = try tensor("history.row_start"), columns = try tensor("history.items"),
            ratings = try tensor("history.ratings")
        try requireShape(starts, [users + 1], name: "history.row_start", file: file)
        let entries = columns.scalarCount
        let rowStart = try indices(starts, name: "history.row_start", below: entries + 1, file: file)
        guard rowStart.first == 0, rowStart.last == entries,
            zip(rowStart, rowStart.dropFirst()).allSatisfy({ $0 <= $1 })
        else {
            throw SavedRecommenderError.badTensor(
                file: file, name: "history.row_start",
                problem: "must rise from 0 to the \(entries) entries of history.items")
        }
        let itemIndices = try indices(columns, name: "history.items", below: items, file: file)
        try requireShape(ratings, [entries], name: "history.ratings", file: file)
        return UserItemMatrix(
            userCount: users, itemCount: items, rowStart: rowStart, columns: itemIndices.map { Int32($0) },
            values: ratings.scalars)
    }

    /// Neighbour lists of `rows` rows, each neighbour a row index (or -1 for none).
    static func checkedNeighborLists(_ tensor: (String) throws -> Tensor, rows: Int, file: String) throws
        -> NeighborLists
    {
        let neighbors = try tensor("neighbors.rows"), similarities = try tensor("neighbors.similarity")
        guard neighbors.shape.count == 2, neighbors.shape[0] == rows else {
            throw SavedRecommenderError.badTensor(
                file: file, name: "neighbors.rows", problem: "shape \(neighbors.shape), expected [\(rows), k]")
        }
        try requireShape(similarities, neighbors.shape, name: "neighbors.similarity", file: file)
        _ = try indices(neighbors, name: "neighbors.rows", below: rows, allowsNone: true, file: file)
        return try neighborLists { $0 == "neighbors.rows" ? neighbors : similarities }
    }

    /// The MLP sizes and factors of a saved NCF model, checked before the network is built: the
    /// layers must fit in the values the file holds.
    static func ncfSettings(
        _ kind: RecommenderKind, description: RecommenderDescription, tensors: [String: Tensor],
        file: String
    ) throws -> NCFSettings {
        var ncf = NCFSettings()
        ncf.architecture = NCFSettings.Architecture(rawValue: kind.rawValue)!
        let settings = description.settings
        if let text = settings["factors"] {
            guard let factors = Int(text) else {
                throw SavedRecommenderError.badDescription(
                    file: file, problem: "setting factors '\(text)' is not a number")
            }
            ncf.factors = factors
        }
        if let text = settings["layers"] {
            let layers = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
            guard !layers.contains(nil) else {
                throw SavedRecommenderError.badDescription(
                    file: file, problem: "setting layers '\(text)' is not a list of numbers")
            }
            ncf.layers = layers.compactMap { $0 }
        }
        let stored = tensors.filter { !$0.key.hasPrefix("history.") }.values.reduce(0) { $0 + $1.scalarCount }
        do {
            try ncf.validate()
            // GMF has no MLP tower and the MLP no GMF factors: each is checked where it is built.
            if kind != .mlp { try SizeLimits.checkLayers([ncf.factors], field: "factors", parameterBudget: stored) }
            if kind != .gmf { try SizeLimits.checkLayers(ncf.layers, field: "layers", parameterBudget: stored) }
            let embedding = (kind == .mlp ? 0 : ncf.factors) + (kind == .gmf ? 0 : ncf.layers[0] / 2)
            try SizeLimits.checkLayers(
                [description.users.count + description.items.count, embedding],
                field: "users and items × embedding size", parameterBudget: stored)
        } catch {
            throw SavedRecommenderError.badDescription(file: file, problem: "\(error)")
        }
        return ncf
    }
}
