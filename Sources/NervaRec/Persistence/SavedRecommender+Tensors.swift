/// The tensors of each kind of model, and the models rebuilt from them.
extension SavedRecommender {
    static func tensors(of model: Recommender) throws -> [String: Tensor] {
        switch model {
        case let m as NCFRecommender: return m.network.stateDictionary()
        case let m as PopularityRecommender: return ["counts": Tensor(m.counts)]
        case let m as ItemKNNRecommender: return neighborTensors(m.lists)
        case let m as UserKNNRecommender: return neighborTensors(m.lists)
        case let m as BiasedMF:
            return ["user_bias": Tensor(m.userBias), "item_bias": Tensor(m.itemBias),
                    "user_factors": Tensor(m.userFactors, shape: [m.userCount, m.settings.factors]),
                    "item_factors": Tensor(m.itemFactors, shape: [m.itemCount, m.settings.factors]),
                    "global": Tensor([m.globalMean, m.ratingRange.lowerBound, m.ratingRange.upperBound])]
        case let m as FactorRecommender:
            return ["user_factors": Tensor(m.userFactors, shape: [m.userCount, m.factors]),
                    "item_factors": Tensor(m.itemFactors, shape: [m.itemCount, m.factors]), "item_bias": Tensor(m.itemBias)]
        case let m as ContentRecommender:
            return ["features": m.features.matrix, "profiles": m.profiles, "like_threshold": Tensor([m.likeThreshold])]
        default: fatalError("SavedRecommender: cannot save a \(type(of: model)).")
        }
    }

    static func neighborTensors(_ lists: NeighborLists) -> [String: Tensor] {
        let k = max(1, lists.neighbors.map(\.count).max() ?? 1)
        var rows = [Float](repeating: -1, count: lists.neighbors.count * k), similarities = [Float](repeating: 0, count: rows.count)
        for (r, list) in lists.neighbors.enumerated() {
            for (n, neighbor) in list.enumerated() { rows[r * k + n] = Float(neighbor.row); similarities[r * k + n] = neighbor.similarity }
        }
        return ["neighbors.rows": Tensor(rows, shape: [lists.neighbors.count, k]),
                "neighbors.similarity": Tensor(similarities, shape: [lists.neighbors.count, k])]
    }

    static func neighborLists(_ tensor: (String) throws -> Tensor) throws -> NeighborLists {
        let rows = try tensor("neighbors.rows"), similarities = try tensor("neighbors.similarity").scalars
        let k = rows.shape[1], values = rows.scalars
        return NeighborLists(neighbors: (0..<rows.shape[0]).map { r in
            (0..<k).compactMap { n in values[r * k + n] < 0 ? nil : (row: Int(values[r * k + n]), similarity: similarities[r * k + n]) }
        })
    }

    static func model(_ kind: RecommenderKind, description: RecommenderDescription, tensor: (String) throws -> Tensor,
                      tensors: [String: Tensor], history: UserItemMatrix) throws -> Recommender {
        let users = description.users.count, items = description.items.count
        let settings = description.settings
        switch kind {
        case .gmf, .mlp, .neumf:
            var ncf = NCFSettings()
            ncf.architecture = NCFSettings.Architecture(rawValue: kind.rawValue)!
            ncf.factors = Int(settings["factors"] ?? "") ?? ncf.factors
            if let layers = settings["layers"] { ncf.layers = layers.split(separator: ",").compactMap { Int($0) } }
            let network = ncf.makeNetwork(users: users, items: items)
            try network.load(stateDictionary: tensors, strict: false)
            network.eval()
            return NCFRecommender(network, name: kind.rawValue)
        case .popularity: return PopularityRecommender(counts: try tensor("counts").scalars, userCount: users)
        case .itemKNN:
            return ItemKNNRecommender(history: history, lists: try neighborLists(tensor), settings: NeighborhoodSettings())
        case .userKNN:
            return UserKNNRecommender(history: history, lists: try neighborLists(tensor), settings: NeighborhoodSettings())
        case .svd:
            var s = BiasedMF.Settings()
            let factors = try tensor("user_factors")
            s.factors = factors.shape[1]
            let global = try tensor("global").scalars
            return BiasedMF(settings: s, globalMean: global[0], userBias: try tensor("user_bias").scalars,
                            itemBias: try tensor("item_bias").scalars, userFactors: factors.scalars,
                            itemFactors: try tensor("item_factors").scalars, ratingRange: global[1]...global[2])
        case .bpr, .als:
            let p = try tensor("user_factors")
            return FactorRecommender(name: kind.rawValue, users: users, items: items, factors: p.shape[1], userFactors: p.scalars,
                                     itemFactors: try tensor("item_factors").scalars, itemBias: try tensor("item_bias").scalars)
        case .content:
            return ContentRecommender(features: try tensor("features"), profiles: try tensor("profiles"), history: history,
                                      likeThreshold: try tensor("like_threshold").scalar)
        }
    }
}
