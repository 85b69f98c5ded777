/// The interactions as a sparse user × item matrix (compressed rows, items sorted per user), for
/// "has user u seen item i" in O(log n), and each user's items in order.
public struct UserItemMatrix: Sendable {
    public let userCount: Int
    public let itemCount: Int
    /// Row `u` is `columns[rowStart[u]..<rowStart[u + 1]]`.
    public let rowStart: [Int]
    /// Item indices, ascending within each row (duplicates merged).
    public let columns: [Int32]
    /// The rating of each entry (the last one when an item was rated twice).
    public let values: [Float]

    /// The matrix of `dataset`'s rows.
    public init(_ dataset: InteractionDataset) {
        self.init(
            userCount: dataset.userCount, itemCount: dataset.itemCount, users: dataset.userIndices,
            items: dataset.itemIndices, values: dataset.ratings)
    }

    /// The matrix of the transposed interactions: rows are items, columns users.
    public static func transposed(_ dataset: InteractionDataset) -> UserItemMatrix {
        UserItemMatrix(
            userCount: dataset.itemCount, itemCount: dataset.userCount, users: dataset.itemIndices,
            items: dataset.userIndices, values: dataset.ratings)
    }

    init(userCount: Int, itemCount: Int, users: [Int32], items: [Int32], values: [Float]) {
        self.userCount = userCount
        self.itemCount = itemCount
        var counts = Array(repeating: 0, count: userCount + 1)
        for user in users { counts[Int(user) + 1] += 1 }
        for u in 0..<userCount { counts[u + 1] += counts[u] }
        var fill = counts
        var entries = Array(repeating: (item: Int32(0), value: Float(0), order: 0), count: users.count)
        for row in 0..<users.count {
            let u = Int(users[row])
            entries[fill[u]] = (items[row], values[row], row)
            fill[u] += 1
        }
        var start = [0], columns: [Int32] = [], kept: [Float] = []
        columns.reserveCapacity(users.count)
        kept.reserveCapacity(users.count)
        for u in 0..<userCount {
            let row = entries[counts[u]..<counts[u + 1]].sorted { ($0.item, $0.order) < ($1.item, $1.order) }
            for entry in row {
                if columns.count > start[u] && columns.last == entry.item {
                    kept[kept.count - 1] = entry.value
                    continue
                }
                columns.append(entry.item)
                kept.append(entry.value)
            }
            start.append(columns.count)
        }
        rowStart = start
        self.columns = columns
        self.values = kept
    }

    /// A matrix from its stored arrays (a saved model's history).
    init(userCount: Int, itemCount: Int, rowStart: [Int], columns: [Int32], values: [Float]) {
        self.userCount = userCount
        self.itemCount = itemCount
        self.rowStart = rowStart
        self.columns = columns
        self.values = values
    }

    /// The same entries with every value 1 (implicit feedback).
    public func binarized() -> UserItemMatrix {
        UserItemMatrix(
            userCount: userCount, itemCount: itemCount, rowStart: rowStart, columns: columns,
            values: Array(repeating: 1, count: columns.count))
    }

    /// The items of `user`, ascending.
    public func items(of user: Int) -> ArraySlice<Int32> { columns[rowStart[user]..<rowStart[user + 1]] }

    /// The ratings of `user`'s items, in the order of `items(of:)`.
    public func ratings(of user: Int) -> ArraySlice<Float> { values[rowStart[user]..<rowStart[user + 1]] }

    /// The number of items of `user`.
    public func count(of user: Int) -> Int { rowStart[user + 1] - rowStart[user] }

    /// Whether `user` interacted with `item`.
    public func contains(user: Int, item: Int) -> Bool {
        var low = rowStart[user], high = rowStart[user + 1]
        let target = Int32(item)
        while low < high {
            let middle = (low + high) / 2
            if columns[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low < rowStart[user + 1] && columns[low] == target
    }

    /// The number of stored entries.
    public var entryCount: Int { columns.count }
}
