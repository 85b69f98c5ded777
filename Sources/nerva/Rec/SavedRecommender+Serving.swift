import ArgumentParser
import Foundation
import NervaData
import NervaRec

/// Serving a saved model in the data's own ids: recommendations with explanations, similar
/// items, pair scores, and cold-start fallbacks.
extension SavedRecommender {
    func userIndex(_ id: String) -> Int? { description.users.firstIndex(of: id) }
    func itemIndex(_ id: String) -> Int? { description.items.firstIndex(of: id) }

    /// The items whose title contains `words` (case and accents ignored), closest first: the
    /// shortest titles, i.e. those the words describe best.
    func itemIndices(matchingTitle words: String) -> [Int] {
        let options: String.CompareOptions = [.caseInsensitive, .diacriticInsensitive]
        let needle = words.trimmingCharacters(in: .whitespaces)
        guard !needle.isEmpty else { return [] }
        return description.titles.indices.filter { description.titles[$0].range(of: needle, options: options) != nil }
            .sorted { (description.titles[$0].count, $0) < (description.titles[$1].count, $1) }
    }

    /// "Title (id 42)" or "item 42".
    func label(_ item: Int) -> String {
        let title = description.titles[item]
        return title.isEmpty ? "item \(description.items[item])" : "\(title) (id \(description.items[item]))"
    }

    /// The training interactions as a dataset in the model's id space.
    func trainingData() -> InteractionDataset {
        var users: [Int32] = [], items: [Int32] = []
        for u in 0..<history.userCount { for i in history.items(of: u) { users.append(Int32(u)); items.append(i) } }
        return InteractionDataset(users: IDMap(description.users), items: IDMap(description.items), userIndices: users,
                                  itemIndices: items, ratings: history.values)
    }

    /// The rows of `test` whose user and item the model knows, in the model's indices.
    func align(_ test: InteractionDataset) -> InteractionDataset {
        let users = IDMap(description.users), items = IDMap(description.items)
        var rows: (u: [Int32], i: [Int32], r: [Float], t: [Int64]) = ([], [], [], [])
        for row in 0..<test.count {
            guard let u = users.index(of: test.users[Int(test.userIndices[row])]),
                  let i = items.index(of: test.items[Int(test.itemIndices[row])]) else { continue }
            rows.u.append(Int32(u)); rows.i.append(Int32(i)); rows.r.append(test.ratings[row]); rows.t.append(test.timestamps[row])
        }
        var aligned = InteractionDataset(users: users, items: items, userIndices: rows.u, itemIndices: rows.i, ratings: rows.r, timestamps: rows.t)
        aligned.hasRatings = test.hasRatings
        return aligned
    }

    /// Popularity from the training history (the cold-start fallback).
    var popularity: PopularityRecommender {
        var counts = [Float](repeating: 0, count: history.itemCount)
        for item in history.columns { counts[Int(item)] += 1 }
        return PopularityRecommender(counts: counts, userCount: history.userCount)
    }

    /// Printable recommendation lines for `userID`.
    func recommendations(forUser userID: String, count: Int) -> [String] {
        guard let user = userIndex(userID), history.count(of: user) > 0 else {
            return ["user \(userID) is new to this model (cold start): the most popular items instead"]
                + popularity.recommend(user: 0, count: count).enumerated().map { "\($0.offset + 1). \(label($0.element.item))" }
        }
        var lines = ["top \(count) for user \(userID) (\(description.model); \(history.count(of: user)) items seen):"]
        for (rank, entry) in model.recommend(user: user, count: count, excluding: history).enumerated() {
            var line = String(format: "%2d. %@  score %.3f", rank + 1, label(entry.item), entry.score)
            if let knn = model as? ItemKNNRecommender, let reason = knn.explanation(user: user, item: entry.item) {
                line += "  — because you liked \(label(reason.item)) (similarity \(String(format: "%.2f", reason.similarity)))"
            } else if let content = model as? ContentRecommender, let reason = content.explanation(user: user, item: entry.item) {
                line += "  — nearest in content to \(label(reason.item)) you liked (cosine \(String(format: "%.2f", reason.similarity)))"
            }
            lines.append(line)
        }
        return lines
    }

    /// Item vectors for similarity: the model's item representation.
    func itemVectors() throws -> Tensor {
        switch model {
        case let m as ContentRecommender: return m.features.matrix
        case let m as FactorRecommender: return Tensor(m.itemFactors, shape: [m.itemCount, m.factors])
        case let m as BiasedMF: return Tensor(m.itemFactors, shape: [m.itemCount, m.settings.factors])
        case let m as NCFRecommender:
            let tables = m.network.namedParameters().filter { $0.name.contains("item_embedding") }.map(\.tensor)
            return withoutGradients { Tensor.concatenated(tables, alongAxis: 1) }
        default:
            throw ValidationError("'similar' needs a model with item representations (item-knn, content, svd, bpr, als, gmf, mlp, neumf), not \(description.model).")
        }
    }

    func similarItems(to item: Int, count: Int) throws -> [(item: Int, similarity: Float)] {
        if let knn = model as? ItemKNNRecommender { return Array(knn.lists.neighbors[item].prefix(count)).map { ($0.row, $0.similarity) } }
        if let knn = model as? UserKNNRecommender { _ = knn; throw ValidationError("user-knn has no item similarities; train item-knn.") }
        let vectors = try itemVectors()
        return NearestNeighborIndex(vectors).search(vectors.sliced(alongAxis: 0, item..<(item + 1)), k: count, excluding: { _ in [item] })[0]
            .map { ($0.row, $0.score) }
    }

    /// `user,item,score` lines for the pairs of a CSV file, and the number of cold-start pairs.
    func scorePairs(file: URL) throws -> (String, Int) {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw RecDataError.unreadable(file: file.path, problem: "no such file")
        }
        let fallback = popularity.counts
        var output = "user,item,score\n", cold = 0
        var cache: [Int: [Float]] = [:]
        for (number, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 2 else {
                throw RecDataError.malformedLine(file: file.path, line: number + 1, problem: "expected user,item, found '\(line)'")
            }
            if number == 0 && fields[0].lowercased() == "user" && fields[1].lowercased() == "item" { continue }
            var score: Float
            if let ratings = model as? BiasedMF, let u = userIndex(fields[0]), let i = itemIndex(fields[1]) {
                // A rating model's score is a rating: μ + bᵤ + bᵢ + pᵤ·qᵢ, clipped to the data's range.
                score = ratings.predict(user: u, item: i)
            } else if let u = userIndex(fields[0]), let i = itemIndex(fields[1]), history.count(of: u) > 0 {
                if cache[u] == nil { cache = [u: model.scores(user: u)] }
                score = cache[u]![i]
            } else {
                cold += 1
                score = itemIndex(fields[1]).map { fallback[$0] / Float(max(history.entryCount, 1)) } ?? 0
            }
            output += "\(fields[0]),\(fields[1]),\(score)\n"
        }
        return (output, cold)
    }
}
