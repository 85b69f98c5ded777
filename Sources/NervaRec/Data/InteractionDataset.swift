/// Users' interactions with items: who, what, an optional rating and an optional time, with the
/// external ids remapped to dense indices (`users`, `items`).
///
/// Rows are kept in file order. `ratings` is `1` for every row of implicit data (`hasRatings`
/// false) and `timestamps` is `0` when the source has no times (`hasTimestamps` false).
/// Item side information (titles, genres) travels in `catalog`.
public struct InteractionDataset: Sendable {
    /// External user ids ↔ user indices.
    public var users: IDMap
    /// External item ids ↔ item indices.
    public var items: IDMap
    /// The user index of each row.
    public var userIndices: [Int32]
    /// The item index of each row.
    public var itemIndices: [Int32]
    /// The rating of each row (1 for implicit data).
    public var ratings: [Float]
    /// The time of each row (seconds since 1970; 0 when unknown).
    public var timestamps: [Int64]
    /// Whether `ratings` came from the data (explicit feedback).
    public var hasRatings: Bool
    /// Whether `timestamps` came from the data.
    public var hasTimestamps: Bool
    /// Item titles, genres and other features, indexed like `items`.
    public var catalog: ItemCatalog?
    /// User attributes (age, gender, occupation…), indexed like `users`.
    public var userTable: UserTable?

    /// A dataset from parallel arrays of indices into `users` and `items`.
    public init(
        users: IDMap, items: IDMap, userIndices: [Int32], itemIndices: [Int32], ratings: [Float]? = nil,
        timestamps: [Int64]? = nil, catalog: ItemCatalog? = nil
    ) {
        precondition(
            userIndices.count == itemIndices.count, "InteractionDataset: user and item columns differ in length.")
        precondition(
            ratings.map { $0.count == userIndices.count } ?? true, "InteractionDataset: rating column length differs.")
        precondition(
            timestamps.map { $0.count == userIndices.count } ?? true,
            "InteractionDataset: timestamp column length differs.")
        self.users = users
        self.items = items
        self.userIndices = userIndices
        self.itemIndices = itemIndices
        self.ratings = ratings ?? Array(repeating: 1, count: userIndices.count)
        self.timestamps = timestamps ?? Array(repeating: 0, count: userIndices.count)
        hasRatings = ratings != nil
        hasTimestamps = timestamps != nil
        self.catalog = catalog
    }

    /// The number of interactions.
    public var count: Int { userIndices.count }
    /// The number of users (including users without rows after filtering).
    public var userCount: Int { users.count }
    /// The number of items (including catalogue items nobody interacted with).
    public var itemCount: Int { items.count }

    /// The rows `rows`, with the same id maps and catalogue (indices stay valid).
    public func subset(_ rows: [Int]) -> InteractionDataset {
        var copy = self
        copy.userIndices = rows.map { userIndices[$0] }
        copy.itemIndices = rows.map { itemIndices[$0] }
        copy.ratings = rows.map { ratings[$0] }
        copy.timestamps = rows.map { timestamps[$0] }
        return copy
    }

    /// Implicit feedback: the rows rated at least `threshold` (every row when `nil`), each with
    /// rating 1. The id maps are kept, so indices stay valid.
    public func implicit(threshold: Float? = nil) -> InteractionDataset {
        var copy = threshold.map { t in subset((0..<count).filter { ratings[$0] >= t }) } ?? self
        copy.ratings = Array(repeating: 1, count: copy.count)
        copy.hasRatings = false
        return copy
    }

    /// The number of rows of each item.
    public func itemCounts() -> [Int] {
        var counts = Array(repeating: 0, count: itemCount)
        for item in itemIndices { counts[Int(item)] += 1 }
        return counts
    }

    /// The number of rows of each user.
    public func userCounts() -> [Int] {
        var counts = Array(repeating: 0, count: userCount)
        for user in userIndices { counts[Int(user)] += 1 }
        return counts
    }

    /// The title of item `index`, or its external id when the catalogue has none.
    public func title(ofItem index: Int) -> String {
        if let title = catalog?.titles[index], !title.isEmpty { return title }
        return "item \(items[index])"
    }
}

/// Builds an `InteractionDataset` row by row from external ids.
public struct InteractionDatasetBuilder {
    public var users = IDMap()
    public var items = IDMap()
    var userIndices: [Int32] = []
    var itemIndices: [Int32] = []
    var ratings: [Float] = []
    var timestamps: [Int64] = []

    public init() {}

    /// Adds one interaction.
    public mutating func append(user: String, item: String, rating: Float = 1, timestamp: Int64 = 0) {
        userIndices.append(Int32(users.insert(user)))
        itemIndices.append(Int32(items.insert(item)))
        ratings.append(rating)
        timestamps.append(timestamp)
    }

    /// The dataset; `hasRatings`/`hasTimestamps` say whether those columns are real.
    public func build(hasRatings: Bool, hasTimestamps: Bool, catalog: ItemCatalog? = nil) -> InteractionDataset {
        var dataset = InteractionDataset(
            users: users, items: items, userIndices: userIndices, itemIndices: itemIndices,
            ratings: hasRatings ? ratings : nil, timestamps: hasTimestamps ? timestamps : nil)
        if let catalog { dataset.attach(catalog) }
        return dataset
    }
}
