import Foundation

/// How a strategy combines the participants' vectors (parameters or gradients) into one.
///
/// Pure functions of the vectors and their example counts, apart from protocol plumbing
/// (Flower's `aggregate.py`). Robust rules limit what a few bad participants can do:
/// the coordinate-wise median and trimmed mean (Yin et al. 2018, https://arxiv.org/abs/1803.01498)
/// and Krum / Multi-Krum (Blanchard et al. 2017, https://arxiv.org/abs/1703.02125).
public enum Aggregation: Sendable, Equatable, CustomStringConvertible {
    /// `Σ nᵢ·xᵢ / Σ nᵢ`: FedAvg's mean weighted by example counts.
    case weightedMean
    /// `Σ xᵢ / k`: the plain arithmetic mean.
    case mean
    /// The median of each coordinate over participants.
    case coordinateMedian
    /// The mean of each coordinate after dropping the `⌊β·k⌋` largest and smallest values.
    case trimmedMean(beta: Double)
    /// Krum with `byzantine` (`f`) assumed attackers: the vector whose `k − f − 2` nearest
    /// neighbours are closest; Multi-Krum averages the `selected` best-scored vectors
    /// (`selected = 1` is Krum).
    case krum(byzantine: Int, selected: Int)

    public var description: String {
        switch self {
        case .weightedMean: "weighted mean"
        case .mean: "mean"
        case .coordinateMedian: "coordinate median"
        case let .trimmedMean(beta): "trimmed mean (β = \(beta))"
        case let .krum(f, m): m == 1 ? "Krum (f = \(f))" : "Multi-Krum (f = \(f), m = \(m))"
        }
    }

    /// Combines `vectors` (all the same length) with example counts `weights`.
    ///
    /// - Precondition: at least one vector; for Krum, more than `2f + 2`.
    public func combine(_ vectors: [[Float]], weights: [Int]) -> [Float] {
        precondition(
            !vectors.isEmpty && vectors.count == weights.count,
            "Aggregation: needs one weight per vector and at least one vector.")
        let length = vectors[0].count
        precondition(vectors.allSatisfy { $0.count == length }, "Aggregation: vectors of different lengths.")
        switch self {
        case .weightedMean:
            let total = Double(weights.reduce(0, +))
            return Self.weightedSum(
                vectors, coefficients: weights.map { total > 0 ? Double($0) / total : 1 / Double(vectors.count) })
        case .mean:
            return Self.weightedSum(
                vectors, coefficients: Array(repeating: 1 / Double(vectors.count), count: vectors.count))
        case .coordinateMedian:
            return Self.coordinatewise(vectors) { sorted in
                let k = sorted.count
                return k % 2 == 1 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2
            }
        case let .trimmedMean(beta):
            precondition(beta >= 0 && beta < 0.5, "Aggregation.trimmedMean: β must be in [0, 0.5), got \(beta).")
            let trim = Int(beta * Double(vectors.count))
            return Self.coordinatewise(vectors) { sorted in
                let kept = sorted[trim..<(sorted.count - trim)]
                return kept.reduce(0, +) / Float(kept.count)
            }
        case let .krum(byzantine, selected):
            let chosen = Self.krumSelection(vectors, byzantine: byzantine, selected: selected)
            return Self.weightedSum(
                chosen.map { vectors[$0] },
                coefficients: Array(repeating: 1 / Double(chosen.count), count: chosen.count))
        }
    }

    /// The indices Krum keeps, best score first: the score of `xᵢ` is the sum of its squared
    /// distances to its `k − f − 2` nearest other vectors.
    public static func krumSelection(_ vectors: [[Float]], byzantine: Int, selected: Int) -> [Int] {
        let k = vectors.count
        precondition(
            byzantine >= 0 && k > 2 * byzantine + 2,
            "Krum: \(k) vectors cannot tolerate \(byzantine) attackers (needs more than 2f + 2).")
        precondition(
            selected >= 1 && selected <= k - byzantine,
            "Krum: cannot select \(selected) of \(k) vectors with f = \(byzantine).")
        var distances = Array(repeating: Array(repeating: 0.0, count: k), count: k)
        for i in 0..<k {
            for j in (i + 1)..<max(k, i + 1) {
                let d = squaredDistance(vectors[i], vectors[j])
                distances[i][j] = d
                distances[j][i] = d
            }
        }
        let neighbours = k - byzantine - 2
        let scores = (0..<k).map { i in
            (0..<k).filter { $0 != i }.map { distances[i][$0] }.sorted().prefix(neighbours).reduce(0, +)
        }
        return (0..<k).sorted { (scores[$0], $0) < (scores[$1], $1) }.prefix(selected).map { $0 }
    }

    // MARK: - Kernels

    /// `Σ cᵢ·xᵢ`, accumulated in `Double` in a fixed order (reproducible to the bit).
    static func weightedSum(_ vectors: [[Float]], coefficients: [Double]) -> [Float] {
        let length = vectors[0].count
        var sum = [Double](repeating: 0, count: length)
        sum.withUnsafeMutableBufferPointer { s in
            for (vector, c) in zip(vectors, coefficients) {
                vector.withUnsafeBufferPointer { v in for i in 0..<length { s[i] += c * Double(v[i]) } }
            }
        }
        return sum.map { Float($0) }
    }

    /// `f(sorted values)` for each coordinate.
    static func coordinatewise(_ vectors: [[Float]], _ reduce: ([Float]) -> Float) -> [Float] {
        let length = vectors[0].count, k = vectors.count
        var result = [Float](repeating: 0, count: length)
        var column = [Float](repeating: 0, count: k)
        for i in 0..<length {
            for j in 0..<k { column[j] = vectors[j][i] }
            column.sort()
            result[i] = reduce(column)
        }
        return result
    }

    static func squaredDistance(_ a: [Float], _ b: [Float]) -> Double {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var sum = 0.0
                for i in 0..<a.count {
                    let d = Double(a[i] - b[i])
                    sum += d * d
                }
                return sum
            }
        }
    }
}
