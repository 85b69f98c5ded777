import Foundation
import Testing
@testable import NervaRec

@Suite struct ContentTests {
    func catalog() -> ItemCatalog {
        ItemCatalog(titles: ["Red T-shirt", "Red T-shirt XL", "Blue jeans", "Red dress"],
                    genres: [[0], [0], [1], [2]], genreNames: ["tops", "trousers", "dresses"],
                    numericFeatures: [("price", [10, 12, 40, .nan])])
    }

    @Test func similarItemsAreTheRedTShirts() {
        let features = ItemFeatures(catalog: catalog())
        #expect(features.columnNames.contains("genre:tops") && features.columnNames.contains("word:red"))
        let data = dataset([("u", "0", 5, 1)])
        var withCatalog = InteractionDataset(users: data.users, items: IDMap(["0", "1", "2", "3"]), userIndices: [0], itemIndices: [0], ratings: [5])
        withCatalog.attach(catalog())
        let model = ContentRecommender(train: withCatalog, features: features)
        #expect(model.similarItems(to: 0, count: 1).first?.item == 1)
        let top = model.recommend(user: 0, count: 2, excluding: UserItemMatrix(withCatalog))
        #expect(top.first?.item == 1)
        #expect(model.explanation(user: 0, item: 1)?.item == 0)
    }

    @Test func tfidfWeightsRareWordsMore() {
        let (values, width, names) = ItemFeatures.tfidf(["red shirt", "red dress", "blue shirt"])
        let red = names.firstIndex(of: "word:red")!, dress = names.firstIndex(of: "word:dress")!
        #expect(values[1 * width + dress] > values[1 * width + red])
    }

    @Test func exactNearestNeighboursMatchBruteForce() {
        let rng = RandomGenerator(seed: 1)
        let vectors = Tensor.normal([500, 16], generator: rng), queries = Tensor.normal([7, 16], generator: rng)
        for metric in NearestNeighborIndex.Metric.allCases {
            let found = NearestNeighborIndex(vectors, metric: metric).search(queries, k: 5)
            let v = vectors.scalars, q = queries.scalars
            for query in 0..<7 {
                let scores = (0..<500).map { row -> Float in
                    let pairs = (0..<16).map { (q[query * 16 + $0], v[row * 16 + $0]) }
                    let dot = pairs.reduce(0) { $0 + $1.0 * $1.1 }
                    switch metric {
                    case .dot: return dot
                    case .cosine:
                        return dot / (pairs.reduce(0) { $0 + $1.0 * $1.0 }.squareRoot() * pairs.reduce(0) { $0 + $1.1 * $1.1 }.squareRoot())
                    case .euclidean: return -pairs.reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
                    }
                }
                #expect(found[query].map(\.row) == TopK.select(5, from: scores).map(\.item), "\(metric)")
            }
        }
    }
}
