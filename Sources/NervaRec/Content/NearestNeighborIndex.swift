/// Exact k-nearest-neighbour search over the rows of a matrix, by blocks of queries and one
/// matrix product per block (no approximation): cosine or dot similarity, or Euclidean distance
/// through `‖a − b‖² = ‖a‖² + ‖b‖² − 2 a·b`. A single query is one matrix-vector product;
/// the `k` best of each row are kept by a bounded insertion, without sorting all scores.
public struct NearestNeighborIndex: Sendable {
    public enum Metric: String, Sendable, CaseIterable { case cosine, dot, euclidean }

    /// `[count × dimension]`, rows normalised for cosine.
    let vectors: Tensor
    let squaredNorms: [Float]
    public let metric: Metric

    public init(_ vectors: Tensor, metric: Metric = .cosine) {
        precondition(vectors.rank == 2, "NearestNeighborIndex: vectors must be a matrix, got \(vectors.shape).")
        self.metric = metric
        let rows = vectors.shape[0], width = vectors.shape[1]
        var values = vectors.scalars
        var norms = [Float](repeating: 0, count: rows)
        values.withUnsafeMutableBufferPointer { v in
            for r in 0..<rows {
                var sum: Float = 0
                for c in 0..<width { sum += v[r * width + c] * v[r * width + c] }
                norms[r] = sum
                if metric == .cosine && sum > 0 {
                    let scale = 1 / sum.squareRoot()
                    for c in 0..<width { v[r * width + c] *= scale }
                    norms[r] = 1
                }
            }
        }
        self.vectors = Tensor(values, shape: [rows, width])
        squaredNorms = norms
    }

    /// The number of indexed vectors.
    public var count: Int { vectors.shape[0] }
    /// The length of each vector.
    public var dimension: Int { vectors.shape[1] }

    /// For each query row (`[q × dimension]`), the `k` nearest indexed rows as (row, score):
    /// similarity for cosine/dot (higher is nearer), negated distance for Euclidean.
    /// `excluding(query)` lists rows to leave out for that query (itself, seen items).
    public func search(_ queries: Tensor, k: Int, excluding: (Int) -> [Int] = { _ in [] }) -> [[(
        row: Int, score: Float
    )]] {
        precondition(
            queries.rank == 2 && queries.shape[1] == dimension,
            "NearestNeighborIndex: queries must be [q, \(dimension)], got \(queries.shape).")
        let k = min(k, count) // there are no more neighbours than items, however many are asked for
        let q = metric == .cosine ? NearestNeighborIndex(queries, metric: .cosine).vectors : queries
        let queryCount = q.shape[0], width = dimension, items = count
        let block = max(1, min(queryCount, 4_194_304 / max(items, 1)))
        var scratch = [Float](repeating: 0, count: block * items)
        var results: [[(row: Int, score: Float)]] = []
        results.reserveCapacity(queryCount)
        vectors.withUnsafeBufferPointer { v in
            q.withUnsafeBufferPointer { queryValues in
                scratch.withUnsafeMutableBufferPointer { scores in
                    var start = 0
                    while start < queryCount {
                        let rows = min(block, queryCount - start)
                        NearestNeighborIndex.products(
                            queryValues.baseAddress! + start * width, rows: rows, v.baseAddress!, items: items,
                            width: width, into: scores.baseAddress!)
                        for r in 0..<rows {
                            let line = UnsafeMutableBufferPointer(rebasing: scores[(r * items)..<((r + 1) * items)])
                            if metric == .euclidean {
                                // −‖b‖² + 2a·b (‖a‖² is constant)
                                for c in 0..<items { line[c] = 2 * line[c] - squaredNorms[c] }
                            }
                            for excluded in excluding(start + r) where excluded >= 0 && excluded < items {
                                line[excluded] = -.infinity
                            }
                            results.append(
                                TopK.select(k, from: UnsafeBufferPointer(line)).filter { $0.score > -.infinity }.map {
                                    ($0.item, $0.score)
                                })
                        }
                        start += rows
                    }
                }
            }
        }
        if metric == .euclidean {
            let queryValues = queries.scalars
            return results.enumerated().map { r, row in
                var a: Float = 0
                for c in 0..<width { a += queryValues[r * width + c] * queryValues[r * width + c] }
                return row.map { ($0.row, -max(0, a - $0.score).squareRoot()) }
            }
        }
        return results
    }

    /// `scores[r][i] = queries[r] · vectors[i]` for `rows` queries: a matrix-vector product for
    /// one query (streams the vectors once, no packing), a matrix product otherwise.
    static func products(
        _ queries: UnsafePointer<Float>, rows: Int, _ vectors: UnsafePointer<Float>, items: Int, width: Int,
        into scores: UnsafeMutablePointer<Float>
    ) {
        if rows == 1 {
            LinearAlgebra.multiply(matrix: vectors, rows: items, columns: width, vector: queries, into: scores)
        } else {
            LinearAlgebra.multiply(queries, vectors, transposingB: true, into: scores, m: rows, n: items, k: width)
        }
    }
}
