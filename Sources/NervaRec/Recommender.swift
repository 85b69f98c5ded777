/// A model that scores items for users; higher scores mean more pertinent. Every model in
/// NervaRec — popularity, neighbourhoods, matrix factorisation, NCF, content-based — is one,
/// so evaluation, recommendation and serving are written once.
public protocol Recommender: AnyObject {
    /// A short name ("neumf", "item-knn").
    var name: String { get }
    /// The number of users the model knows.
    var userCount: Int { get }
    /// The number of items it scores.
    var itemCount: Int { get }
    /// Writes the scores of every item for each user of `users` into `scores`, row by row
    /// (`users.count × itemCount` floats).
    func scoreAll(users: Range<Int>, into scores: UnsafeMutablePointer<Float>)
}

extension Recommender {
    /// The scores of all items for `user`.
    public func scores(user: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: itemCount) { buffer, count in
            scoreAll(users: user..<(user + 1), into: buffer.baseAddress!)
            count = itemCount
        }
    }

    /// The scores of `items` for `user`.
    public func scores(user: Int, items: [Int]) -> [Float] {
        let all = scores(user: user)
        return items.map { all[$0] }
    }

    /// The `count` best items for `user` that are not in `excluded` (the items already seen),
    /// best first, with their scores.
    public func recommend(user: Int, count: Int, excluding excluded: UserItemMatrix? = nil) -> [(
        item: Int, score: Float
    )] {
        var all = scores(user: user)
        if let excluded, user < excluded.userCount {
            for item in excluded.items(of: user) { all[Int(item)] = -.infinity }
        }
        return TopK.select(count, from: all).filter { $0.score > -.infinity }
    }
}

/// Selection of the largest scores.
public enum TopK {
    /// The `k` largest entries of `scores` as (index, score), largest first; ties go to the
    /// smaller index.
    public static func select(_ k: Int, from scores: [Float]) -> [(item: Int, score: Float)] {
        scores.withUnsafeBufferPointer { select(k, from: $0) }
    }

    /// `select(_:from:)` on a buffer.
    public static func select(_ k: Int, from scores: UnsafeBufferPointer<Float>) -> [(item: Int, score: Float)] {
        let k = min(k, scores.count)
        guard k > 0 else { return [] }
        var best: [(item: Int, score: Float)] = []
        best.reserveCapacity(k + 1)
        var threshold = -Float.infinity
        for (item, score) in scores.enumerated() {
            if best.count == k && !(score > threshold) { continue }
            var position = best.count
            while position > 0 && best[position - 1].score < score { position -= 1 }
            best.insert((item, score), at: position)
            if best.count > k { best.removeLast() }
            if best.count == k { threshold = best[k - 1].score }
        }
        return best
    }
}
