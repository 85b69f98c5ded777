import Foundation
import Testing

@testable import NervaRec

@Suite struct ContentTests {
    func catalog() -> ItemCatalog {
        ItemCatalog(
            titles: ["Red T-shirt", "Red T-shirt XL", "Blue jeans", "Red dress"],
            genres: [[0], [0], [1], [2]], genreNames: ["tops", "trousers", "dresses"],
            numericFeatures: [("price", [10, 12, 40, .nan])])
    }

    @Test func similarItemsAreTheRedTShirts() {
        let features = ItemFeatures(catalog: catalog())
        #expect(features.columnNames.contains("genre:tops") && features.columnNames.contains("word:red"))
        let data = dataset([("u", "0", 5, 1)])
        var withCatalog = InteractionDataset(
            users: data.users, items: IDMap(["0", "1", "2", "3"]), userIndices: [0], itemIndices: [0], ratings: [5])
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
                        return dot
                            / (pairs.reduce(0) { $0 + $1.0 * $1.0 }.squareRoot()
                                * pairs.reduce(0) { $0 + $1.1 * $1.1 }.squareRoot())
                    case .euclidean: return -pairs.reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
                    }
                }
                #expect(found[query].map(\.row) == TopK.select(5, from: scores).map(\.item), "\(metric)")
            }
        }
    }

    /// Ten lines of ml-100k's `u.item` exactly as published (Latin-1: 0xE9 in "Misérables",
    /// 0xC1 and 0xF6 in "Á köldum klaka"; item 267 "unknown" has no date), read from disk as
    /// `nerva rec` reads them.
    @Test func similarMoviesFromThePublishedItemFile() throws {
        let published = [
            "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0",
            "50|Star Wars (1977)|01-Jan-1977||http://us.imdb.com/M/title-exact?Star%20Wars%20(1977)|0|1|1|0|0|0|0|0|0|0|0|0|0|0|1|1|0|1|0",
            "71|Lion King, The (1994)|01-Jan-1994||http://us.imdb.com/M/title-exact?Lion%20King,%20The%20(1994)|0|0|0|1|1|0|0|0|0|0|0|0|1|0|0|0|0|0|0",
            "95|Aladdin (1992)|01-Jan-1992||http://us.imdb.com/M/title-exact?Aladdin%20(1992)|0|0|0|1|1|1|0|0|0|0|0|0|1|0|0|0|0|0|0",
            "172|Empire Strikes Back, The (1980)|01-Jan-1980||http://us.imdb.com/M/title-exact?Empire%20Strikes%20Back,%20The%20(1980)|0|1|1|0|0|0|0|0|1|0|0|0|0|0|1|1|0|1|0",
            "181|Return of the Jedi (1983)|14-Mar-1997||http://us.imdb.com/M/title-exact?Return%20of%20the%20Jedi%20(1983)|0|1|1|0|0|0|0|0|0|0|0|0|0|0|1|1|0|1|0",
            "267|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0",
            "422|Aladdin and the King of Thieves (1996)|01-Jan-1996||http://us.imdb.com/M/title-exact?Aladdin%20and%20the%20King%20of%20Thieves%20(1996)%20(V)|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0",
            "543|Mis\u{E9}rables, Les (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Mis%E9rables%2C%20Les%20%281995%29|0|0|0|0|0|0|0|0|1|0|0|0|1|0|0|0|0|0|0",
            "1633|\u{C1} k\u{F6}ldum klaka (Cold Fever) (1994)|08-Mar-1996||http://us.imdb.com/Title?%C1+k%F6ldum+klaka+(1994)|0|0|0|0|0|1|0|0|1|0|0|0|0|0|0|0|0|0|0"
        ]
        let folder = temporaryFolder()
        write(published.flatMap { line in line.unicodeScalars.map { UInt8($0.value) } + [10] }, "u.item", in: folder)
        let ids = published.map { String($0.prefix { $0 != "|" }) }
        write(
            ids.enumerated().map { "\($0.offset % 3 + 1)\t\($0.element)\t4\t88125094\($0.offset)\n" }.joined(),
            "u.data", in: folder)
        let (data, _) = try MovieLens.load(directory: folder)
        let catalog = try #require(data.catalog)
        let index = { (id: String) in data.items.index(of: id)! }
        #expect(catalog.titles[index("543")] == "Misérables, Les (1995)")
        #expect(catalog.titles[index("1633")] == "Á köldum klaka (Cold Fever) (1994)")
        #expect(catalog.titles[index("267")] == "unknown")
        let features = ItemFeatures(catalog: catalog)
        #expect(features.columnNames.contains("word:jedi") && features.columnNames.contains("genre:Sci-Fi"))
        let content = ContentRecommender(train: data, features: features)
        let nearStarWars = content.similarItems(to: index("50"), count: 2).map { data.items.ids[$0.item] }
        #expect(Set(nearStarWars) == ["172", "181"])
        let nearAladdin = content.similarItems(to: index("95"), count: 1).map { data.items.ids[$0.item] }
        #expect(nearAladdin == ["422"])
    }
}
