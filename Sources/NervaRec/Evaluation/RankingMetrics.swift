import Foundation

/// Ranking and rating metrics. Ranks are 0-based (0 is the top of the list).
public enum RankingMetrics {
    /// 1 when the relevant item is in the top `cutoff`, else 0.
    public static func hit(rank: Int, cutoff: Int) -> Double { rank < cutoff ? 1 : 0 }

    /// NDCG of one relevant item at `rank`: `1 / log2(rank + 2)` inside the top `cutoff`, else 0.
    public static func ndcg(rank: Int, cutoff: Int) -> Double {
        rank >= 0 && rank < cutoff ? 1 / log2(Double(rank) + 2) : 0
    }

    /// Throws unless `cutoff` (the K of HR@K, NDCG@K) is at least 1.
    public static func checkCutoff(_ cutoff: Int) throws {
        try ConfigurationError.check("cutoff", cutoff, atLeast: 1)
    }

    /// The rank of `score` among `others`: how many score strictly higher, plus the ties
    /// (a tie counts against the relevant item, so constant scores cannot look good).
    /// A score that is NaN or infinite ranks last, below every other, and a NaN among `others`
    /// counts against the relevant item: a diverged model never scores a hit.
    public static func rank(of score: Float, among others: [Float]) -> Int {
        guard score.isFinite else { return Int.max }
        return others.reduce(0) { $0 + ($1 >= score || $1.isNaN ? 1 : 0) }
    }

    /// Recall@K of a recommendation list: relevant items found in the top `cutoff` over all
    /// relevant items.
    public static func recall(_ list: [Int], relevant: Set<Int>, cutoff: Int) -> Double {
        guard !relevant.isEmpty else { return 0 }
        return Double(list.prefix(cutoff).filter(relevant.contains).count) / Double(relevant.count)
    }

    /// NDCG@K with binary relevance: DCG of the list over the DCG of an ideal list.
    public static func ndcg(_ list: [Int], relevant: Set<Int>, cutoff: Int) -> Double {
        guard !relevant.isEmpty else { return 0 }
        var dcg = 0.0
        for (rank, item) in list.prefix(cutoff).enumerated() where relevant.contains(item) {
            dcg += 1 / log2(Double(rank) + 2)
        }
        let ideal = (0..<min(cutoff, relevant.count)).reduce(0.0) { $0 + 1 / log2(Double($1) + 2) }
        return dcg / ideal
    }

    /// Average precision@K: the mean of precision@k at each relevant position, over
    /// `min(cutoff, relevant.count)`.
    public static func averagePrecision(_ list: [Int], relevant: Set<Int>, cutoff: Int) -> Double {
        guard !relevant.isEmpty else { return 0 }
        var hits = 0, sum = 0.0
        for (rank, item) in list.prefix(cutoff).enumerated() where relevant.contains(item) {
            hits += 1
            sum += Double(hits) / Double(rank + 1)
        }
        return sum / Double(min(cutoff, relevant.count))
    }

    /// Root mean squared error.
    public static func rmse(predictions: [Float], targets: [Float]) -> Double {
        precondition(predictions.count == targets.count && !targets.isEmpty, "rmse: need equal, non-empty arrays.")
        let sum = zip(predictions, targets).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        return (sum / Double(targets.count)).squareRoot()
    }

    /// Mean absolute error.
    public static func mae(predictions: [Float], targets: [Float]) -> Double {
        precondition(predictions.count == targets.count && !targets.isEmpty, "mae: need equal, non-empty arrays.")
        return zip(predictions, targets).reduce(0.0) { $0 + Double(Swift.abs($1.0 - $1.1)) } / Double(targets.count)
    }
}
