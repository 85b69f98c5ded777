import Foundation

/// Serving a saved model in the data's own ids: recommendations with explanations, similar
/// items, and the training data and test data in the model's index space.
extension SavedRecommender {
    /// The index of the user with external id `id`, if the model knows them.
    public func userIndex(_ id: String) -> Int? { description.users.firstIndex(of: id) }
    /// The index of the item with external id `id`, if the model knows it.
    public func itemIndex(_ id: String) -> Int? { description.items.firstIndex(of: id) }

    /// The items whose title contains `words` (case and accents ignored), closest first: the
    /// shortest titles, i.e. those the words describe best.
    public func itemIndices(matchingTitle words: String) -> [Int] {
        let options: String.CompareOptions = [.caseInsensitive, .diacriticInsensitive]
        let needle = words.trimmingCharacters(in: .whitespaces)
        guard !needle.isEmpty else { return [] }
        return description.titles.indices.filter { description.titles[$0].range(of: needle, options: options) != nil }
            .sorted { (description.titles[$0].count, $0) < (description.titles[$1].count, $1) }
    }

    /// The item index for an external id.
    ///
    /// - Throws: `RecServingError.unknownItem` when the model was not trained on it.
    public func item(id: String) throws -> Int {
        guard let index = itemIndex(id) else { throw RecServingError.unknownItem(id: id) }
        return index
    }

    /// "Title (id 42)" or "item 42".
    public func label(_ item: Int) -> String {
        let title = description.titles[item]
        return title.isEmpty ? "item \(description.items[item])" : "\(title) (id \(description.items[item]))"
    }

    /// The training interactions as a dataset in the model's id space.
    public func trainingData() -> InteractionDataset {
        var users: [Int32] = []
        var items: [Int32] = []
        for u in 0..<history.userCount {
            for i in history.items(of: u) {
                users.append(Int32(u))
                items.append(i)
            }
        }
        return InteractionDataset(
            users: IDMap(description.users), items: IDMap(description.items), userIndices: users,
            itemIndices: items, ratings: history.values)
    }

    /// The rows of `test` whose user and item the model knows, in the model's indices.
    public func align(_ test: InteractionDataset) -> InteractionDataset {
        let users = IDMap(description.users)
        let items = IDMap(description.items)
        var rows: (u: [Int32], i: [Int32], r: [Float], t: [Int64]) = ([], [], [], [])
        for row in 0..<test.count {
            guard let u = users.index(of: test.users[Int(test.userIndices[row])]),
                let i = items.index(of: test.items[Int(test.itemIndices[row])])
            else { continue }
            rows.u.append(Int32(u))
            rows.i.append(Int32(i))
            rows.r.append(test.ratings[row])
            rows.t.append(test.timestamps[row])
        }
        var aligned = InteractionDataset(
            users: users, items: items, userIndices: rows.u, itemIndices: rows.i, ratings: rows.r,
            timestamps: rows.t)
        aligned.hasRatings = test.hasRatings
        return aligned
    }

    /// Popularity from the training history (the cold-start fallback for unknown users).
    public var popularity: PopularityRecommender {
        var counts = [Float](repeating: 0, count: history.itemCount)
        for item in history.columns { counts[Int(item)] += 1 }
        return PopularityRecommender(counts: counts, userCount: history.userCount)
    }

    /// Whether `user` (an index) has training interactions, so the model's scores for them mean something.
    public func isKnown(user: Int) -> Bool { user >= 0 && user < history.userCount && history.count(of: user) > 0 }

    /// One recommended item with its score and, for neighbourhood and content models, the item
    /// the user liked that explains it.
    public struct Recommendation: Sendable {
        public var item: Int
        public var score: Float
        /// The liked item behind the recommendation and its similarity, when the model can say.
        public var because: (item: Int, similarity: Float)?
    }

    /// The `count` best unseen items for the user with external id `userID`, or the most
    /// popular items when the model does not know the user (`isColdStart` true).
    public func recommendations(forUser userID: String, count: Int) -> (items: [Recommendation], isColdStart: Bool) {
        guard let user = userIndex(userID), isKnown(user: user) else {
            return (
                popularity.recommend(user: 0, count: count).map { Recommendation(item: $0.item, score: $0.score) }, true
            )
        }
        let items = model.recommend(user: user, count: count, excluding: history).map { entry in
            var recommendation = Recommendation(item: entry.item, score: entry.score)
            if let knn = model as? ItemKNNRecommender, let reason = knn.explanation(user: user, item: entry.item) {
                recommendation.because = (reason.item, reason.similarity)
            } else if let content = model as? ContentRecommender,
                let reason = content.explanation(user: user, item: entry.item)
            {
                recommendation.because = (reason.item, reason.similarity)
            }
            return recommendation
        }
        return (items, false)
    }

    /// Item vectors for similarity: the model's item representation, `[items × dimensions]`.
    ///
    /// - Throws: `RecServingError.noItemRepresentation` for popularity and neighbourhood models.
    public func itemVectors() throws -> Tensor {
        switch model {
        case let m as ContentRecommender: return m.features.matrix
        case let m as FactorRecommender: return Tensor(m.itemFactors, shape: [m.itemCount, m.factors])
        case let m as BiasedMF: return Tensor(m.itemFactors, shape: [m.itemCount, m.settings.factors])
        case let m as NCFRecommender:
            let tables = m.network.namedParameters().filter { $0.name.contains("item_embedding") }.map(\.tensor)
            return withoutGradients { Tensor.concatenated(tables, alongAxis: 1) }
        default:
            throw RecServingError.noItemRepresentation(model: description.model)
        }
    }

    /// The `count` items most similar to `item`, most similar first: item-kNN's neighbour lists,
    /// or the cosine of the model's item vectors.
    ///
    /// - Throws: `RecServingError.noItemRepresentation` for models without item representations.
    public func similarItems(to item: Int, count: Int) throws -> [(item: Int, similarity: Float)] {
        if let knn = model as? ItemKNNRecommender {
            return Array(knn.lists.neighbors[item].prefix(count)).map { ($0.row, $0.similarity) }
        }
        let vectors = try itemVectors()
        return NearestNeighborIndex(vectors).search(
            vectors.sliced(alongAxis: 0, item..<(item + 1)), k: count, excluding: { _ in [item] })[0]
            .map { ($0.row, $0.score) }
    }
}
