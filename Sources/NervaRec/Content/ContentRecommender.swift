/// Content-based recommendation: each user is the weighted mean of the feature vectors of the
/// items they liked (their profile), and items are scored by cosine similarity to it. Works for
/// items nobody has interacted with yet; explains each item by the liked item nearest to it.
public final class ContentRecommender: Recommender {
    public let name = "content"
    public let features: ItemFeatures
    /// The training interactions.
    public let history: UserItemMatrix
    /// `[users × dimension]`: each user's profile.
    public let profiles: Tensor
    /// Ratings at or above this make an item "liked" (every interaction for implicit data).
    public let likeThreshold: Float

    public init(train: InteractionDataset, features: ItemFeatures, likeThreshold: Float = 4) {
        precondition(
            features.count == train.itemCount,
            "ContentRecommender: \(features.count) feature rows for \(train.itemCount) items.")
        self.features = features
        history = UserItemMatrix(train)
        let threshold = train.hasRatings ? likeThreshold : -.infinity
        self.likeThreshold = threshold
        let width = features.matrix.shape[1]
        let vectors = features.matrix.scalars
        var profiles = [Float](repeating: 0, count: train.userCount * width)
        for user in 0..<history.userCount {
            var total: Float = 0
            let liked = zip(history.items(of: user), history.ratings(of: user)).filter { $0.1 >= threshold }
            for (item, rating) in liked {
                let weight = train.hasRatings ? rating : 1
                total += weight
                for c in 0..<width { profiles[user * width + c] += weight * vectors[Int(item) * width + c] }
            }
            if total > 0 { for c in 0..<width { profiles[user * width + c] /= total } }
        }
        self.profiles = Tensor(profiles, shape: [train.userCount, width])
    }

    /// A model from saved features and profiles.
    init(features: Tensor, profiles: Tensor, history: UserItemMatrix, likeThreshold: Float) {
        self.features = ItemFeatures(matrix: features)
        self.profiles = profiles
        self.history = history
        self.likeThreshold = likeThreshold
    }

    public var userCount: Int { profiles.shape[0] }
    public var itemCount: Int { features.count }

    public func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>) {
        let product = withoutGradients {
            profiles.sliced(alongAxis: 0, users).matmul(features.matrix, transposingOther: true)
        }
        product.withUnsafeBufferPointer { scores.update(from: $0.baseAddress!, count: users.count * itemCount) }
    }

    /// The liked item most similar to `item`, with the cosine similarity.
    public func explanation(user: Int, item: Int) -> (item: Int, similarity: Float)? {
        guard user < history.userCount else { return nil }
        let width = features.matrix.shape[1]
        return features.matrix.withUnsafeBufferPointer { m -> (item: Int, similarity: Float)? in
            var best: (item: Int, similarity: Float)?
            for (liked, rating) in zip(history.items(of: user), history.ratings(of: user))
            where rating >= likeThreshold && Int(liked) != item {
                var s: Float = 0
                for c in 0..<width { s += m[item * width + c] * m[Int(liked) * width + c] }
                if best == nil || s > best!.similarity { best = (Int(liked), s) }
            }
            return best
        }
    }

    /// The `count` items most similar to `item` by content.
    public func similarItems(to item: Int, count: Int) -> [(item: Int, similarity: Float)] {
        NearestNeighborIndex(features.matrix, metric: .dot)
            .search(features.matrix.sliced(alongAxis: 0, item..<(item + 1)), k: count, excluding: { _ in [item] })[0]
            .map { ($0.row, $0.score) }
    }
}
