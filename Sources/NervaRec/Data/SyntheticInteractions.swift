import Foundation

/// Synthetic interaction data with a planted structure, shaped like MovieLens-100k by default
/// (943 users, 1682 items, about 100,000 ratings from 1 to 5 with timestamps, a catalogue with
/// titles and genres).
///
/// Every item belongs to one of `clusterCount` taste clusters (its first genre) and has a
/// long-tailed popularity; every user loves one cluster and likes a second. A user's
/// interactions come from the loved cluster with probability `loved`, the liked one with
/// `liked`, and the whole catalogue (by popularity) otherwise; ratings are high inside the
/// user's clusters and low outside. Titles use words typical of each cluster, so content
/// features carry the structure too. `clusters(of:)` gives the ground truth.
public struct SyntheticInteractions: Sendable {
    /// The generated data, ml-100k-like.
    public let dataset: InteractionDataset
    /// The loved and the liked cluster of each user.
    public let userClusters: [(loved: Int, liked: Int)]
    /// The cluster of each item.
    public let itemClusters: [Int]

    /// The planted-structure precision of recommendation lists: the fraction of recommended
    /// items that belong to the user's loved or liked cluster (`lists[u]` for user `u`).
    public func plantedPrecision(_ lists: [[Int]]) -> Double {
        var hits = 0, total = 0
        for (user, list) in lists.enumerated() {
            let (loved, liked) = userClusters[user]
            hits += list.filter { itemClusters[$0] == loved || itemClusters[$0] == liked }.count
            total += list.count
        }
        return total == 0 ? 0 : Double(hits) / Double(total)
    }

    /// Generates the data. Same seed, same data.
    public init(
        users userCount: Int = 943, items itemCount: Int = 1682, meanInteractions: Int = 106,
        clusterCount: Int = 8, loved: Double = 0.6, liked: Double = 0.25, seed: UInt64 = 0
    ) {
        precondition(clusterCount >= 2 && clusterCount <= 18, "SyntheticInteractions: 2 to 18 clusters.")
        precondition(itemCount >= clusterCount * 4, "SyntheticInteractions: too few items for the clusters.")
        let rng = RandomGenerator(seed: seed)
        let genres = Array(MovieLens.genres100K[1...])
        // Items: a cluster each, a Zipf-like popularity, a title from the cluster's words.
        let itemClusters = (0..<itemCount).map { $0 % clusterCount }
        let popularity = (0..<itemCount).map { _ in Double(1 / pow(Double(rng.uniform(0.02, 1)), 1.2)) }
        var byCluster = Array(repeating: [Int](), count: clusterCount)
        for item in 0..<itemCount { byCluster[itemClusters[item]].append(item) }
        let clusterSampler = byCluster.map { WeightedSampler(items: $0, weights: $0.map { popularity[$0] }) }
        let globalSampler = WeightedSampler(items: Array(0..<itemCount), weights: popularity)

        var builder = InteractionDatasetBuilder()
        var clusters: [(Int, Int)] = []
        let start: Int64 = 874_724_710
        for user in 0..<userCount {
            let lovedCluster = rng.integer(below: clusterCount)
            var likedCluster = rng.integer(below: clusterCount - 1)
            if likedCluster >= lovedCluster { likedCluster += 1 }
            clusters.append((lovedCluster, likedCluster))
            // Activity: at least 20 items, long-tailed like MovieLens.
            let activity = min(
                itemCount / 2, 20 + Int(Double(meanInteractions - 20) * -log(Double(max(rng.uniform(), 1e-6)))))
            var chosen = Set<Int>()
            var time = start + Int64(rng.integer(below: 20_000_000))
            var attempts = 0
            while chosen.count < activity && attempts < activity * 50 {
                attempts += 1
                let draw = Double(rng.uniform())
                let source =
                    draw < loved
                    ? clusterSampler[lovedCluster] : draw < loved + liked ? clusterSampler[likedCluster] : globalSampler
                let item = source.sample(rng)
                guard chosen.insert(item).inserted else { continue }
                let cluster = itemClusters[item]
                let base: Float = cluster == lovedCluster ? 4.4 : cluster == likedCluster ? 3.6 : 2.4
                let rating = min(5, max(1, (base + 0.9 * rng.normal()).rounded()))
                time += Int64(1 + rng.integer(below: 5000))
                builder.append(user: String(user + 1), item: String(item + 1), rating: rating, timestamp: time)
            }
        }
        // The catalogue: genre = cluster (plus sometimes a second), title words from the cluster.
        var rows: [(id: String, title: String, genres: [String], numeric: [Float])] = []
        for item in 0..<itemCount {
            let cluster = itemClusters[item]
            var itemGenres = [genres[cluster]]
            if rng.bernoulli(0.3) {
                itemGenres.append(genres[(cluster + 1 + rng.integer(below: clusterCount - 1)) % clusterCount])
            }
            let words = SyntheticInteractions.words[cluster % SyntheticInteractions.words.count]
            let year = Float(1930 + rng.integer(below: 68))
            let title =
                "\(words[rng.integer(below: words.count)].capitalized) \(SyntheticInteractions.nouns[rng.integer(below: SyntheticInteractions.nouns.count)]) (\(Int(year)))"
            rows.append((String(item + 1), title, itemGenres, [year]))
        }
        let catalog = ItemCatalog.indexed(
            byID: rows, numericNames: ["year"], genreNames: MovieLens.genres100K, items: &builder.items)
        dataset = builder.build(hasRatings: true, hasTimestamps: true, catalog: catalog)
        userClusters = clusters.map { (loved: $0.0, liked: $0.1) }
        // Item indices follow first appearance; re-map the clusters to them.
        var remapped = Array(repeating: 0, count: dataset.itemCount)
        for index in 0..<dataset.itemCount { remapped[index] = itemClusters[Int(dataset.items[index])! - 1] }
        self.itemClusters = remapped
    }

    static let words: [[String]] = [
        ["explosive", "deadly", "fist", "bullet", "fury"], ["lost", "island", "quest", "journey", "treasure"],
        ["cartoon", "magic", "dragon", "toy", "wizard"], ["little", "puppy", "school", "family", "friends"],
        ["crazy", "funny", "wedding", "party", "silly"], ["gangster", "heist", "murder", "cop", "mob"],
        ["true", "planet", "life", "nature", "history"], ["silent", "broken", "mother", "war", "heart"],
        ["enchanted", "kingdom", "sword", "elf", "spell"], ["shadow", "night", "rain", "detective", "femme"],
        ["haunted", "blood", "scream", "zombie", "curse"], ["song", "dance", "melody", "stage", "broadway"],
        ["secret", "clue", "puzzle", "vanishing", "riddle"], ["love", "kiss", "paris", "romance", "summer"],
        ["space", "robot", "alien", "galaxy", "future"], ["hostage", "chase", "conspiracy", "target", "fear"],
        ["battle", "soldier", "front", "army", "victory"], ["outlaw", "ranch", "sheriff", "frontier", "saloon"]
    ]
    static let nouns = ["Story", "Returns", "Forever", "Legacy", "Affair", "Days", "Road", "Game", "Code", "Line"]
}

/// Draws from a fixed discrete distribution by binary search over cumulative weights.
struct WeightedSampler: Sendable {
    let items: [Int]
    let cumulative: [Double]

    init(items: [Int], weights: [Double]) {
        self.items = items
        var total = 0.0
        cumulative = weights.map {
            total += $0
            return total
        }
    }

    func sample(_ rng: RandomGenerator) -> Int {
        let target = Double(rng.uniform()) * cumulative.last!
        var low = 0, high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < target { low = middle + 1 } else { high = middle }
        }
        return items[low]
    }
}
