import Foundation

/// Items as feature vectors for content-based recommendation: one block per kind of feature,
/// each block L2-normalised (numbers: scaled, see `Block.numeric`) and weighted, then the whole row normalised, so the dot product of
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
        /// The catalogue's numeric features, standardised (missing values at the mean), clipped
        /// to ±2 standard deviations and scaled by `1 / (2 √width)`, so the block's length is
        /// at most 1 but, unlike the other blocks, not normalised: a film one standard
        /// deviation older adds a small term, not a ±1 flag.
        case numeric
    }

    /// `[items × dimension]`, rows of unit length (zero rows for items without features).
    public let matrix: Tensor
    /// A name per column ("genre:Comedy", "word:star", "year").
    public let columnNames: [String]

    /// Features from `catalog`, plus `embeddings` (`[items × d]`, e.g. a network's penultimate
    /// layer) when given; `weights` scales each block (default 1).
    public init(
        catalog: ItemCatalog, blocks: [Block] = [.genres, .titleTFIDF, .numeric], embeddings: Tensor? = nil,
        weights: [Float]? = nil
    ) {
        let n = catalog.count
        var parts: [(values: [Float], width: Int, names: [String], normalized: Bool)] = []
        for block in blocks {
            switch block {
            case .genres:
                var values = [Float](repeating: 0, count: n * catalog.genreNames.count)
                for (item, genres) in catalog.genres.enumerated() {
                    for g in genres { values[item * catalog.genreNames.count + g] = 1 }
                }
                parts.append((values, catalog.genreNames.count, catalog.genreNames.map { "genre:\($0)" }, true))
            case .titleTFIDF:
                let tfidf = ItemFeatures.tfidf(catalog.titles)
                parts.append((tfidf.values, tfidf.width, tfidf.names, true))
            case .numeric:
                let width = catalog.numericFeatures.count
                var values = [Float](repeating: 0, count: n * width)
                for (f, feature) in catalog.numericFeatures.enumerated() {
                    let known = feature.values.filter { !$0.isNaN }
                    let mean = known.isEmpty ? 0 : known.reduce(0, +) / Float(known.count)
                    let variance =
                        known.isEmpty ? 0 : known.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(known.count)
                    let scale = variance > 0 ? 1 / variance.squareRoot() : 0
                    let blockScale = 1 / (2 * Float(width).squareRoot())
                    for item in 0..<n where !feature.values[item].isNaN {
                        values[item * width + f] = min(2, max(-2, (feature.values[item] - mean) * scale)) * blockScale
                    }
                }
                parts.append((values, width, catalog.numericFeatures.map(\.name), false))
            }
        }
        if let embeddings {
            precondition(
                embeddings.rank == 2 && embeddings.shape[0] == n,
                "ItemFeatures: embeddings must be [\(n), d], got \(embeddings.shape).")
            parts.append(
                (embeddings.scalars, embeddings.shape[1], (0..<embeddings.shape[1]).map { "embedding:\($0)" }, true))
        }
        let width = parts.reduce(0) { $0 + $1.width }
        var matrix = [Float](repeating: 0, count: n * max(width, 1))
        var offset = 0
        for (b, part) in parts.enumerated() {
            let weight = weights.map { b < $0.count ? $0[b] : 1 } ?? 1
            for item in 0..<n {
                let row = part.values[(item * part.width)..<((item + 1) * part.width)]
                let norm = part.normalized ? row.reduce(0) { $0 + $1 * $1 }.squareRoot() : 1
                guard norm > 0 else { continue }
                for (c, value) in row.enumerated() { matrix[item * width + offset + c] = weight * value / norm }
            }
            offset += part.width
        }
        for item in 0..<n {
            let norm = (0..<width).reduce(Float(0)) { $0 + matrix[item * width + $1] * matrix[item * width + $1] }
                .squareRoot()
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
            for word in words {
                let w = vocabulary.index(of: word)!
                values[item * width + w] += idf[w]
            }
        }
        return (values, width, vocabulary.ids.map { "word:\($0)" })
    }
}
