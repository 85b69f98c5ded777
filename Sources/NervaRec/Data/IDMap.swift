/// A two-way table between external ids (as written in the data files) and dense indices
/// `0..<count`, in order of first appearance.
public struct IDMap: Sendable, Equatable {
    /// The external ids; `ids[i]` is the id of index `i`.
    public private(set) var ids: [String] = []
    private var indexByID: [String: Int] = [:]

    public init() {}

    /// A map over `ids` in this order (duplicates keep their first index).
    public init(_ ids: [String]) {
        for id in ids { insert(id) }
    }

    /// The number of ids.
    public var count: Int { ids.count }

    /// The index of `id`, added at the end if new.
    @discardableResult
    public mutating func insert(_ id: String) -> Int {
        if let index = indexByID[id] { return index }
        indexByID[id] = ids.count
        ids.append(id)
        return ids.count - 1
    }

    /// The index of `id`, or `nil` when unknown.
    public func index(of id: String) -> Int? { indexByID[id] }

    /// The external id of `index`.
    public subscript(index: Int) -> String { ids[index] }
}

/// Orders external ids numerically when both are integers, as strings otherwise (so item "10"
/// comes after item "9").
func externalIDPrecedes(_ a: String, _ b: String) -> Bool {
    if let x = Int(a), let y = Int(b) { return x < y }
    return a < b
}
