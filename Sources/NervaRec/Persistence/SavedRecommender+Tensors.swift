/// The tensors of each kind of model, and the models rebuilt from them.
extension SavedRecommender {
    static func tensors(of model: Recommender) throws -> [String: Tensor] {
        switch model {
        case let m as NCFRecommender: return m.network.stateDictionary()
        case let m as PopularityRecommender: return ["counts": Tensor(m.counts)]
        case let m as ItemKNNRecommender: return neighborTensors(m.lists)
        case let m as UserKNNRecommender: return neighborTensors(m.lists)
        case let m as BiasedMF:
            return [
                "user_bias": Tensor(m.userBias), "item_bias": Tensor(m.itemBias),
                "user_factors": Tensor(m.userFactors, shape: [m.userCount, m.settings.factors]),
                "item_factors": Tensor(m.itemFactors, shape: [m.itemCount, m.settings.factors]),
                "global": Tensor([m.globalMean, m.ratingRange.lowerBound, m.ratingRange.upperBound])
            ]
        case let m as FactorRecommender:
            return [
                "user_factors": Tensor(m.userFactors, shape: [m.userCount, m.factors]),
                "item_factors": Tensor(m.itemFactors, shape: [m.itemCount, m.factors]), "item_bias": Tensor(m.itemBias)
            ]
        case let m as ContentRecommender:
            return ["features": m.features.matrix, "profiles": m.profiles, "like_threshold": Tensor([m.likeThreshold])]
        default: fatalError("SavedRecommender: cannot save a \(type(of: model)).")
        }
    }

    static func neighborTensors(_ lists: NeighborLists) -> [String: Tensor] {
        let k = max(1, lists.neighbors.map(\.count).max() ?? 1)
        var rows = [Float](repeating: -1, count: lists.neighbors.count * k),
            similarities = [Float](repeating: 0, count: rows.count)
        for (r, list) in lists.neighbors.enumerated() {
            for (n, neighbor) in list.enumerated() {
                rows[r * k + n] = Float(neighbor.row)
                similarities[r * k + n] = neighbor.similarity
            }
        }
        return [
            "neighbors.rows": Tensor(rows, shape: [lists.neighbors.count, k]),
            "neighbors.similarity": Tensor(similarities, shape: [lists.neighbors.count, k])
        ]
    }

    static func neighborLists(_ tensor: (String) throws -> Tensor) throws -> NeighborLists {
        let rows = try tensor("neighbors.rows"), similarities = try tensor("neighbors.similarity").scalars
        let k = rows.shape[1], values = rows.scalars
        return NeighborLists(
            neighbors: (0..<rows.shape[0]).map { r in
                (0..<k).compactMap { n in
                    values[r * k + n] < 0 ? nil : (row: Int(values[r * k + n]), similarity: similarities[r * k + n])
                }
            })
    }

    /// The model of `kind` rebuilt from `tensors`, each checked against the description's counts
    /// first; an NCF network must find exactly its own tensor names (besides `history.*`).
    static func model(
        _ kind: RecommenderKind, description: RecommenderDescription, tensor: (String) throws -> Tensor,
        tensors: [String: Tensor], history: UserItemMatrix, file: String
    ) throws -> Recommender {
        let users = description.users.count, items = description.items.count
        func shaped(_ name: String, _ shape: [Int]) throws -> Tensor {
            let t = try tensor(name)
            try requireShape(t, shape, name: name, file: file)
            return t
        }
        func factorCount(_ name: String, rows: Int) throws -> Int {
            let t = try tensor(name)
            guard t.shape.count == 2, t.shape[0] == rows, t.shape[1] >= 1 else {
                throw SavedRecommenderError.badTensor(
                    file: file, name: name, problem: "shape \(t.shape), expected [\(rows), factors]")
            }
            return t.shape[1]
        }
        switch kind {
        case .gmf, .mlp, .neumf:
            let ncf = try ncfSettings(kind, description: description, tensors: tensors, file: file)
            let network = ncf.makeNetwork(users: users, items: items)
            try network.load(stateDictionary: tensors.filter { !$0.key.hasPrefix("history.") }, strict: true)
            network.eval()
            return NCFRecommender(network, name: kind.rawValue)
        case .popularity: return PopularityRecommender(counts: try shaped("counts", [items]).scalars, userCount: users)
        case .itemKNN:
            return ItemKNNRecommender(
                history: history, lists: try checkedNeighborLists(tensor, rows: items, file: file),
                settings: NeighborhoodSettings())
        case .userKNN:
            return UserKNNRecommender(
                history: history, lists: try checkedNeighborLists(tensor, rows: users, file: file),
                settings: NeighborhoodSettings())
        case .svd:
            var s = BiasedMF.Settings()
            s.factors = try factorCount("user_factors", rows: users)
            let global = try shaped("global", [3]).scalars
            guard global.allSatisfy(\.isFinite), global[1] <= global[2] else {
                throw SavedRecommenderError.badTensor(
                    file: file, name: "global",
                    problem: "mean \(global[0]), rating range \(global[1])…\(global[2]) "
                        + "must be finite with the minimum at most the maximum")
            }
            return BiasedMF(
                settings: s, globalMean: global[0], userBias: try shaped("user_bias", [users]).scalars,
                itemBias: try shaped("item_bias", [items]).scalars, userFactors: try tensor("user_factors").scalars,
                itemFactors: try shaped("item_factors", [items, s.factors]).scalars, ratingRange: global[1]...global[2])
        case .bpr, .als:
            let factors = try factorCount("user_factors", rows: users)
            return FactorRecommender(
                name: kind.rawValue, users: users, items: items, factors: factors,
                userFactors: try tensor("user_factors").scalars,
                itemFactors: try shaped("item_factors", [items, factors]).scalars,
                itemBias: try shaped("item_bias", [items]).scalars)
        case .content:
            let features = try tensor("features")
            guard features.shape.count == 2, features.shape[0] == items else {
                throw SavedRecommenderError.badTensor(
                    file: file, name: "features", problem: "shape \(features.shape), expected [\(items), width]")
            }
            let threshold = try shaped("like_threshold", [1]).scalar
            guard !threshold.isNaN else {
                throw SavedRecommenderError.badTensor(file: file, name: "like_threshold", problem: "is NaN")
            }
            return ContentRecommender(
                features: features, profiles: try shaped("profiles", [users, features.shape[1]]), history: history,
                likeThreshold: threshold)
        }
    }
}
