/// Draws items a user has not interacted with, uniformly, from a seeded generator.
public struct NegativeSampler: Sendable {
    /// The interactions that count as positives.
    public let seen: UserItemMatrix

    public init(seen: UserItemMatrix) { self.seen = seen }

    /// `count` negatives for `user`, with replacement (training: four per positive in NCF).
    public func sample(for user: Int, count: Int, generator: RandomGenerator) -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(count)
        appendSamples(for: user, count: count, generator: generator, to: &result)
        return result
    }

    /// Appends `count` negatives of `user` to `buffer` (no allocation per call when reserved).
    public func appendSamples(for user: Int, count: Int, generator: RandomGenerator, to buffer: inout [Int]) {
        let items = seen.itemCount
        precondition(seen.count(of: user) < items, "NegativeSampler: user \(user) has interacted with every item.")
        for _ in 0..<count {
            var item: Int
            repeat { item = generator.integer(below: items) } while seen.contains(user: user, item: item)
            buffer.append(item)
        }
    }

    /// `count` distinct negatives for `user`, none in `excluding` (evaluation: 99 per held-out
    /// item). Fewer when the user has not that many unseen items.
    public func sampleDistinct(for user: Int, count: Int, excluding: Set<Int> = [], generator: RandomGenerator) -> [Int]
    {
        let available = seen.itemCount - seen.count(of: user) - excluding.count
        let wanted = min(count, max(0, available))
        var chosen = Set<Int>(), result: [Int] = []
        while result.count < wanted {
            let item = generator.integer(below: seen.itemCount)
            if seen.contains(user: user, item: item) || excluding.contains(item) || !chosen.insert(item).inserted {
                continue
            }
            result.append(item)
        }
        return result
    }
}
