/// The baseline every recommender must beat: items ranked by how many users interacted with
/// them in the training data, the same list for everyone.
public final class PopularityRecommender: Recommender {
    public let name = "popularity"
    public let userCount: Int
    /// The number of training interactions of each item.
    public let counts: [Float]

    public var itemCount: Int { counts.count }

    /// Counts the items of `train`.
    public init(train: InteractionDataset) {
        userCount = train.userCount
        counts = train.itemCounts().map(Float.init)
    }

    /// A model from saved counts.
    public init(counts: [Float], userCount: Int) {
        self.counts = counts
        self.userCount = userCount
    }

    public func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>) {
        for (row, _) in users.enumerated() {
            (scores + row * itemCount).update(from: counts, count: itemCount)
        }
    }
}
