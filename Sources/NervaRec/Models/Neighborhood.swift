/// Similarity between the rows of an interaction matrix (items for item-kNN, users for
/// user-kNN), computed with two matrix products, keeping each row's `k` nearest neighbours.
public struct NeighborhoodSettings: Sendable, Codable, Equatable {
    /// How similar two rows are.
    public enum Similarity: String, Sendable, Codable, CaseIterable {
        /// `a·b / (‖a‖ ‖b‖)` over the raw values.
        case cosine
        /// Cosine of the row-mean-centred values (each row's mean over its own entries), the
        /// Pearson correlation of the two rows' ratings.
        case pearson
    }

    public var similarity: Similarity = .cosine
    /// The number of neighbours kept per row.
    public var neighbors = 50
    /// Shrinkage λ: a similarity from `n` common entries is multiplied by `n / (n + λ)`, so that
    /// similarities resting on few co-ratings count less (0 disables it).
    public var shrinkage: Float = 0

    public init(similarity: Similarity = .cosine, neighbors: Int = 50, shrinkage: Float = 0) {
        self.similarity = similarity
        self.neighbors = neighbors
        self.shrinkage = shrinkage
    }

    /// Checks every setting; throws `ConfigurationError` naming the first one out of range.
    public func validate() throws {
        try ConfigurationError.check("neighbors", neighbors, atLeast: 1)
        try ConfigurationError.check("shrinkage", shrinkage, positive: false)
    }
}

/// The `k` nearest neighbours of each row with their similarities.
public struct NeighborLists: Sendable {
    /// `neighbors[row]`: (neighbour row, similarity), most similar first; never the row itself.
    public var neighbors: [[(row: Int, similarity: Float)]]

    /// Computes the lists of the rows of `matrix` (`matrix.userCount` rows over `itemCount` columns).
    public init(_ matrix: UserItemMatrix, settings: NeighborhoodSettings) {
        let rows = matrix.userCount, columns = matrix.itemCount
        var values = [Float](repeating: 0, count: rows * columns)
        var binary = [Float](repeating: 0, count: settings.shrinkage > 0 ? rows * columns : 0)
        for row in 0..<rows {
            let entries = matrix.items(of: row), ratings = matrix.ratings(of: row)
            let mean =
                settings.similarity == .pearson && !ratings.isEmpty ? ratings.reduce(0, +) / Float(ratings.count) : 0
            for (column, rating) in zip(entries, ratings) {
                values[row * columns + Int(column)] = rating - mean
                if settings.shrinkage > 0 { binary[row * columns + Int(column)] = 1 }
            }
        }
        let dense = Tensor(values, shape: [rows, columns])
        let products = withoutGradients { dense.matmul(dense, transposingOther: true) }.scalars
        let common: [Float] =
            settings.shrinkage > 0
            ? withoutGradients {
                let b = Tensor(binary, shape: [rows, columns])
                return b.matmul(b, transposingOther: true)
            }.scalars : []
        let norms = (0..<rows).map { products[$0 * rows + $0].squareRoot() }
        var lists: [[(row: Int, similarity: Float)]] = []
        lists.reserveCapacity(rows)
        var similarities = [Float](repeating: 0, count: rows)
        for a in 0..<rows {
            for b in 0..<rows {
                let denominator = norms[a] * norms[b]
                var s = a == b || denominator == 0 ? -Float.infinity : products[a * rows + b] / denominator
                if settings.shrinkage > 0 && s > -.infinity {
                    let n = common[a * rows + b]
                    s *= n / (n + settings.shrinkage)
                }
                similarities[b] = s
            }
            lists.append(
                TopK.select(settings.neighbors, from: similarities)
                    .filter { $0.score > 0 }.map { (row: $0.item, similarity: $0.score) })
        }
        neighbors = lists
    }

    init(neighbors: [[(row: Int, similarity: Float)]]) { self.neighbors = neighbors }
}

/// Item-based collaborative filtering (Sarwar et al. 2001; Deshpande & Karypis 2004): an item
/// scores high for a user when it is among the nearest neighbours of the items the user liked,
/// `score(u, i) = Σ_{j ∈ N(i) ∩ I(u)} sim(i, j) · r_uj`. Explains each recommendation by the liked
/// item that contributed most ("because you liked X").
public final class ItemKNNRecommender: Recommender {
    public let name = "item-knn"
    public let settings: NeighborhoodSettings
    /// The training interactions (users × items).
    public let history: UserItemMatrix
    /// Each item's nearest items.
    public let lists: NeighborLists
    /// `reverse[j]`: the items that have `j` among their neighbours, with the similarity.
    let reverse: [[(row: Int, similarity: Float)]]

    public convenience init(train: InteractionDataset, settings: NeighborhoodSettings = NeighborhoodSettings()) {
        self.init(
            history: UserItemMatrix(train.implicit()), lists: NeighborLists(.transposed(train), settings: settings),
            settings: settings)
    }

    init(history: UserItemMatrix, lists: NeighborLists, settings: NeighborhoodSettings) {
        self.settings = settings
        self.history = history.binarized()
        self.lists = lists
        var reverse = Array(repeating: [(row: Int, similarity: Float)](), count: history.itemCount)
        for (item, list) in lists.neighbors.enumerated() {
            for neighbor in list { reverse[neighbor.row].append((item, neighbor.similarity)) }
        }
        self.reverse = reverse
    }

    public var userCount: Int { history.userCount }
    public var itemCount: Int { history.itemCount }

    public func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>) {
        for (offset, user) in users.enumerated() {
            let row = scores + offset * itemCount
            row.initialize(repeating: 0, count: itemCount)
            guard user < history.userCount else { continue }
            for (liked, weight) in zip(history.items(of: user), history.ratings(of: user)) {
                for (item, similarity) in reverse[Int(liked)] { row[item] += similarity * weight }
            }
        }
    }

    /// The item the user liked that contributed most to `item`'s score, with its similarity.
    public func explanation(user: Int, item: Int) -> (item: Int, similarity: Float)? {
        guard user < history.userCount else { return nil }
        return lists.neighbors[item].first { history.contains(user: user, item: $0.row) }.map {
            ($0.row, $0.similarity)
        }
    }
}

/// User-based collaborative filtering: an item scores high when similar users liked it,
/// `score(u, i) = Σ_{v ∈ N(u)} sim(u, v) · r_vi`.
public final class UserKNNRecommender: Recommender {
    public let name = "user-knn"
    public let settings: NeighborhoodSettings
    public let history: UserItemMatrix
    /// Each user's nearest users.
    public let lists: NeighborLists

    public convenience init(train: InteractionDataset, settings: NeighborhoodSettings = NeighborhoodSettings()) {
        self.init(
            history: UserItemMatrix(train), lists: NeighborLists(UserItemMatrix(train), settings: settings),
            settings: settings)
    }

    init(history: UserItemMatrix, lists: NeighborLists, settings: NeighborhoodSettings) {
        self.history = history.binarized()
        self.lists = lists
        self.settings = settings
    }

    public var userCount: Int { history.userCount }
    public var itemCount: Int { history.itemCount }

    public func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>) {
        for (offset, user) in users.enumerated() {
            let row = scores + offset * itemCount
            row.initialize(repeating: 0, count: itemCount)
            guard user < history.userCount else { continue }
            for (neighbor, similarity) in lists.neighbors[user] {
                for (item, weight) in zip(history.items(of: neighbor), history.ratings(of: neighbor)) {
                    row[Int(item)] += similarity * weight
                }
            }
        }
    }
}
