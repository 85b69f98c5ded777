import Foundation

/// Items as feature vectors for content-based recommendation: one block per kind of feature,
/// each block L2-normalised and weighted, then the whole row normalised, so the dot product of
/// two rows is their cosine similarity.
///
/// ```swift
/// let features = ItemFeatures(catalog: data.catalog!, blocks: [.genres, .titleTFIDF, .numeric])
/// let index = NearestNeighborIndex(features.matrix)
/// ```
public struct ItemFeatures: Sendable {
    /// A kind of feature.
    public enum Block: Sendable, Equatable {
        /// Multi-hot genres (one-hot when each item has one).
        case genres
        /// TF-IDF over the lower-cased words of the titles (years and punctuation dropped):
        /// `tf · ln((1 + n) / (1 + df)) + 1`, as scikit-learn's smooth IDF.
        case titleTFIDF
        /// The catalogue's numeric features, standardised (missing values at the mean).
        case numeric
    }

    /// `[items × dimension]`, rows of unit length (zero rows for items without features).
    public let matrix: Tensor
    /// A name per column ("genre:Comedy", "word:star", "year").
    public let columnNames: [String]

    /// Features from `catalog`, plus `embeddings` (`[items × d]`, e.g. a network's penultimate
    /// layer) when given; `weights` scales each block (default 1).
    public init(catalog: ItemCatalog, blocks: [Block] = [.genres, .titleTFIDF, .numeric], embeddings: Tensor? = nil,
                weights: [Float]? = nil) {
        let n = catalog.count
        var parts: [(values: [Float], width: Int, names: [String])] = []
        for block in blocks {
            switch block {
            case .genres:
                var values = [Float](repeating: 0, count: n * catalog.genreNames.count)
                for (item, genres) in catalog.genres.enumerated() { for g in genres { values[item * catalog.genreNames.count + g] = 1 } }
                parts.append((values, catalog.genreNames.count, catalog.genreNames.map { "genre:\($0)" }))
            case .titleTFIDF:
                parts.append(ItemFeatures.tfidf(catalog.titles))
            case .numeric:
                let width = catalog.numericFeatures.count
                var values = [Float](repeating: 0, count: n * width)
                for (f, feature) in catalog.numericFeatures.enumerated() {
                    let known = feature.values.filter { !$0.isNaN }
                    let mean = known.isEmpty ? 0 : known.reduce(0, +) / Float(known.count)
                    let variance = known.isEmpty ? 0 : known.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(known.count)
                    let scale = variance > 0 ? 1 / variance.squareRoot() : 0
                    for item in 0..<n where !feature.values[item].isNaN { values[item * width + f] = (feature.values[item] - mean) * scale }
                }
                parts.append((values, width, catalog.numericFeatures.map(\.name)))
            }
        }
        if let embeddings {
            precondition(embeddings.rank == 2 && embeddings.shape[0] == n, "ItemFeatures: embeddings must be [\(n), d], got \(embeddings.shape).")
            parts.append((embeddings.scalars, embeddings.shape[1], (0..<embeddings.shape[1]).map { "embedding:\($0)" }))
        }
        let width = parts.reduce(0) { $0 + $1.width }
        var matrix = [Float](repeating: 0, count: n * max(width, 1))
        var offset = 0
        for (b, part) in parts.enumerated() {
            let weight = weights.map { b < $0.count ? $0[b] : 1 } ?? 1
            for item in 0..<n {
                let row = part.values[(item * part.width)..<((item + 1) * part.width)]
                let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 0 else { continue }
                for (c, value) in row.enumerated() { matrix[item * width + offset + c] = weight * value / norm }
            }
            offset += part.width
        }
        for item in 0..<n {
            let norm = (0..<width).reduce(Float(0)) { $0 + matrix[item * width + $1] * matrix[item * width + $1] }.squareRoot()
            if norm > 0 { for c in 0..<width { matrix[item * width + c] /= norm } }
        }
        self.matrix = Tensor(matrix, shape: [n, max(width, 1)])
        columnNames = parts.flatMap(\.names)
    }

    /// Features from a saved matrix.
    init(matrix: Tensor) {
        self.matrix = matrix
        columnNames = (0..<matrix.shape[1]).map { "feature:\($0)" }
    }

    /// The number of items.
    public var count: Int { matrix.shape[0] }

    /// TF-IDF of titles with scikit-learn's smooth IDF, over words of two or more letters.
    static func tfidf(_ titles: [String]) -> (values: [Float], width: Int, names: [String]) {
        let documents = titles.map { title in
            title.lowercased().split { !$0.isLetter }.map(String.init).filter { $0.count >= 2 }
        }
        var vocabulary = IDMap()
        var frequency: [Int] = []
        for words in documents {
            for word in Set(words) {
                let index = vocabulary.insert(word)
                if index == frequency.count { frequency.append(0) }
                frequency[index] += 1
            }
        }
        let n = Float(titles.count), width = vocabulary.count
        let idf = frequency.map { Float(log((1 + Double(n)) / (1 + Double($0)))) + 1 }
        var values = [Float](repeating: 0, count: titles.count * width)
        for (item, words) in documents.enumerated() {
            for word in words { let w = vocabulary.index(of: word)!; values[item * width + w] += idf[w] }
        }
        return (values, width, vocabulary.ids.map { "word:\($0)" })
    }
}

/// Exact k-nearest-neighbour search over the rows of a matrix, by blocks of queries and one
/// matrix product per block (no approximation): cosine or dot similarity, or Euclidean distance
/// through `‖a − b‖² = ‖a‖² + ‖b‖² − 2 a·b`.
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
        for r in 0..<rows {
            norms[r] = (0..<width).reduce(Float(0)) { $0 + values[r * width + $1] * values[r * width + $1] }
            if metric == .cosine && norms[r] > 0 {
                let scale = 1 / norms[r].squareRoot()
                for c in 0..<width { values[r * width + c] *= scale }
                norms[r] = 1
            }
        }
        self.vectors = Tensor(values, shape: [rows, width])
        squaredNorms = norms
    }

    /// The number of indexed vectors.
    public var count: Int { vectors.shape[0] }

    /// For each query row (`[q × dimension]`), the `k` nearest indexed rows as (row, score):
    /// similarity for cosine/dot (higher is nearer), negated distance for Euclidean.
    /// `excluding(query)` lists rows to leave out for that query (itself, seen items).
    public func search(_ queries: Tensor, k: Int, excluding: (Int) -> [Int] = { _ in [] }) -> [[(row: Int, score: Float)]] {
        let block = max(1, 4_194_304 / max(count, 1))
        var results: [[(row: Int, score: Float)]] = []
        let q = metric == .cosine ? NearestNeighborIndex(queries, metric: .cosine).vectors : queries
        var start = 0
        while start < q.shape[0] {
            let end = min(q.shape[0], start + block)
            let scores = withoutGradients { q.sliced(alongAxis: 0, start..<end).matmul(vectors, transposingOther: true) }
            var values = scores.scalars
            for r in 0..<(end - start) {
                let row = values.withUnsafeMutableBufferPointer { buffer -> [(row: Int, score: Float)] in
                    let line = UnsafeMutableBufferPointer(rebasing: buffer[(r * count)..<((r + 1) * count)])
                    if metric == .euclidean {
                        for c in 0..<count { line[c] = 2 * line[c] - squaredNorms[c] }   // −‖b‖² + 2a·b (‖a‖² is constant)
                    }
                    for excluded in excluding(start + r) where excluded < count { line[excluded] = -.infinity }
                    return TopK.select(k, from: UnsafeBufferPointer(line)).filter { $0.score > -.infinity }.map { ($0.item, $0.score) }
                }
                results.append(row)
            }
            start = end
        }
        if metric == .euclidean {
            let queryNorms = queries.scalars
            let width = queries.shape[1]
            return results.enumerated().map { r, row in
                let a = (0..<width).reduce(Float(0)) { $0 + queryNorms[r * width + $1] * queryNorms[r * width + $1] }
                return row.map { ($0.row, -max(0, a - $0.score).squareRoot()) }
            }
        }
        return results
    }
}
