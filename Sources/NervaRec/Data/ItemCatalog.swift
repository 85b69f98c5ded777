/// Side information about items: titles, genres (a multi-valued category) and numeric features,
/// each array indexed by item index.
public struct ItemCatalog: Sendable {
    /// The title of each item ("" when unknown).
    public var titles: [String]
    /// The genres of each item, as indices into `genreNames`.
    public var genres: [[Int]]
    /// The genre vocabulary.
    public var genreNames: [String]
    /// Named numeric features (e.g. release year), one value per item (`nan` when missing).
    public var numericFeatures: [(name: String, values: [Float])]

    public init(
        titles: [String], genres: [[Int]], genreNames: [String], numericFeatures: [(name: String, values: [Float])] = []
    ) {
        precondition(
            titles.count == genres.count, "ItemCatalog: \(titles.count) titles but \(genres.count) genre lists.")
        self.titles = titles
        self.genres = genres
        self.genreNames = genreNames
        self.numericFeatures = numericFeatures
    }

    /// The number of items described.
    public var count: Int { titles.count }

    /// A catalogue keyed by external item id, re-indexed by `items` (ids missing there are added
    /// to it: items nobody interacted with can still be recommended by content).
    static func indexed(
        byID rows: [(id: String, title: String, genres: [String], numeric: [Float])], numericNames: [String],
        genreNames fixedGenres: [String]? = nil, items: inout IDMap
    ) -> ItemCatalog {
        var genreMap = IDMap(fixedGenres ?? [])
        for row in rows { items.insert(row.id) }
        var titles = Array(repeating: "", count: items.count)
        var genres = Array(repeating: [Int](), count: items.count)
        var numeric = Array(repeating: Array(repeating: Float.nan, count: items.count), count: numericNames.count)
        for row in rows {
            let index = items.index(of: row.id)!
            titles[index] = row.title
            genres[index] = row.genres.map { genreMap.insert($0) }
            for (f, value) in row.numeric.enumerated() where f < numericNames.count { numeric[f][index] = value }
        }
        return ItemCatalog(
            titles: titles, genres: genres, genreNames: genreMap.ids,
            numericFeatures: zip(numericNames, numeric).map { ($0, $1) })
    }

    /// Pads the per-item arrays to `count` items (items known only from interactions).
    mutating func pad(to count: Int) {
        guard count > titles.count else { return }
        let extra = count - titles.count
        titles += Array(repeating: "", count: extra)
        genres += Array(repeating: [], count: extra)
        numericFeatures = numericFeatures.map { ($0.name, $0.values + Array(repeating: .nan, count: extra)) }
    }
}

extension InteractionDataset {
    /// Sets the catalogue, padding it to the item count.
    public mutating func attach(_ catalog: ItemCatalog) {
        var padded = catalog
        padded.pad(to: itemCount)
        self.catalog = padded
    }
}

/// User attributes as text columns (ml-100k's `u.user`: age, gender, occupation, zip code),
/// one row per user index ("" when unknown).
public struct UserTable: Sendable {
    /// The column names.
    public var columns: [String]
    /// `rows[user][column]`.
    public var rows: [[String]]

    public init(columns: [String], rows: [[String]]) {
        self.columns = columns
        self.rows = rows
    }

    /// A table keyed by external user id, re-indexed by `users` (unknown ids are added).
    static func indexed(byID entries: [(id: String, values: [String])], columns: [String], users: inout IDMap)
        -> UserTable
    {
        for entry in entries { users.insert(entry.id) }
        var rows = Array(repeating: Array(repeating: "", count: columns.count), count: users.count)
        for entry in entries { rows[users.index(of: entry.id)!] = entry.values }
        return UserTable(columns: columns, rows: rows)
    }
}
