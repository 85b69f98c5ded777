/// The NCF protocol (He et al. 2017): each test user's held-out item is ranked among
/// `negativeCount` items the user never interacted with, sampled once with a seed, and
/// HR@K / NDCG@K are averaged over users.
public struct SampledRankingEvaluation: Sendable {
    /// The evaluated users, their held-out items and their sampled negatives.
    public let cases: [(user: Int, item: Int, negatives: [Int])]

    /// Cases from a leave-one-out split (the first test row of each user).
    public init(split: InteractionSplit, negativeCount: Int = 99, seed: UInt64 = 0) {
        let seen = UserItemMatrix(split.train)
        let sampler = NegativeSampler(seen: seen)
        let rng = RandomGenerator(seed: seed)
        var done = Set<Int>()
        var cases: [(user: Int, item: Int, negatives: [Int])] = []
        let heldOut = UserItemMatrix(split.test)
        for row in 0..<split.test.count {
            let user = Int(split.test.userIndices[row])
            guard done.insert(user).inserted else { continue }
            let excluded = Set(heldOut.items(of: user).map(Int.init))
            cases.append(
                (
                    user, Int(split.test.itemIndices[row]),
                    sampler.sampleDistinct(for: user, count: negativeCount, excluding: excluded, generator: rng)
                ))
        }
        self.cases = cases.sorted { $0.user < $1.user }
    }

    /// HR@`cutoff` and NDCG@`cutoff` of `model`.
    public func evaluate(_ model: Recommender, cutoff: Int = 10) -> (hitRate: Double, ndcg: Double) {
        var hits = 0.0, ndcg = 0.0
        let block = 256
        var start = 0
        var buffer = [Float](repeating: 0, count: block * model.itemCount)
        while start < cases.count {
            let end = min(cases.count, start + block)
            let users = cases[start].user..<(cases[end - 1].user + 1)
            if buffer.count < users.count * model.itemCount {
                buffer = [Float](repeating: 0, count: users.count * model.itemCount)
            }
            buffer.withUnsafeMutableBufferPointer { model.scoreAll(users: users, into: $0.baseAddress!) }
            for c in cases[start..<end] {
                let row = (c.user - users.lowerBound) * model.itemCount
                let positive = buffer[row + c.item]
                let rank = RankingMetrics.rank(of: positive, among: c.negatives.map { buffer[row + $0] })
                hits += RankingMetrics.hit(rank: rank, cutoff: cutoff)
                ndcg += RankingMetrics.ndcg(rank: rank, cutoff: cutoff)
            }
            start = end
        }
        let n = Double(max(cases.count, 1))
        return (hits / n, ndcg / n)
    }
}

/// Full-ranking evaluation: each test user's items ranked among all items they did not train on.
/// Sampled metrics can flatter a model; these do not.
public struct FullRankingEvaluation: Sendable {
    /// The metrics of one model.
    public struct Result: Sendable, Equatable {
        public var recall: Double
        public var ndcg: Double
        /// Mean average precision@K.
        public var map: Double
        /// The fraction of the catalogue that appears in at least one top-K list.
        public var coverage: Double
    }

    let seen: UserItemMatrix
    let relevant: [(user: Int, items: Set<Int>)]

    public init(split: InteractionSplit) {
        seen = UserItemMatrix(split.train)
        let test = UserItemMatrix(split.test)
        relevant = (0..<test.userCount).compactMap { user in
            test.count(of: user) == 0 ? nil : (user, Set(test.items(of: user).map(Int.init)))
        }
    }

    /// Recall, NDCG, MAP at `cutoff` and catalogue coverage of `model`, training items excluded.
    public func evaluate(_ model: Recommender, cutoff: Int = 10) -> Result {
        var recall = 0.0, ndcg = 0.0, map = 0.0
        var recommended = Set<Int>()
        for (user, items) in relevant {
            let list = model.recommend(user: user, count: cutoff, excluding: seen).map(\.item)
            recommended.formUnion(list)
            recall += RankingMetrics.recall(list, relevant: items, cutoff: cutoff)
            ndcg += RankingMetrics.ndcg(list, relevant: items, cutoff: cutoff)
            map += RankingMetrics.averagePrecision(list, relevant: items, cutoff: cutoff)
        }
        let n = Double(max(relevant.count, 1))
        return Result(
            recall: recall / n, ndcg: ndcg / n, map: map / n,
            coverage: Double(recommended.count) / Double(max(model.itemCount, 1)))
    }
}
