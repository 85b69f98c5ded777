/// A binary tree over `capacity` non-negative leaf values whose inner nodes hold the sum and the
/// minimum of their children, so that the total, the smallest value, a leaf update and the
/// search for the leaf covering a prefix sum all take O(log capacity) (Schaul et al. 2016,
/// Appendix B.2.1).
///
/// ```swift
/// var tree = SumTree(capacity: 4)
/// tree[0] = 1; tree[1] = 3          // total 4
/// tree.leaf(coveringPrefixSum: 2.5)  // 1: leaf 0 covers [0, 1), leaf 1 covers [1, 4)
/// ```
public struct SumTree: Sendable {
    /// The number of leaves.
    public let capacity: Int
    /// The number of leaves rounded up to a power of two; leaf `i` lives at node `leafBase + i`.
    private let leafBase: Int
    private var sums: [Double]
    private var minima: [Double]

    /// A tree of `capacity` leaves, all 0.
    public init(capacity: Int) {
        precondition(capacity > 0, "SumTree: capacity must be positive, got \(capacity).")
        self.capacity = capacity
        var base = 1
        while base < capacity { base *= 2 }
        leafBase = base
        sums = [Double](repeating: 0, count: 2 * base)
        // Unused leaves hold +∞ so they never become the minimum.
        minima = [Double](repeating: .infinity, count: 2 * base)
    }

    /// The value of leaf `index`; setting it updates the sums and minima above it.
    public subscript(index: Int) -> Double {
        get {
            precondition(index >= 0 && index < capacity, "SumTree: leaf \(index) is outside 0..<\(capacity).")
            return sums[leafBase + index]
        }
        set {
            precondition(index >= 0 && index < capacity, "SumTree: leaf \(index) is outside 0..<\(capacity).")
            precondition(
                newValue >= 0 && newValue.isFinite,
                "SumTree: leaf values must be finite and non-negative, got \(newValue).")
            var node = leafBase + index
            sums[node] = newValue
            minima[node] = newValue
            node /= 2
            while node >= 1 {
                sums[node] = sums[2 * node] + sums[2 * node + 1]
                minima[node] = Swift.min(minima[2 * node], minima[2 * node + 1])
                node /= 2
            }
        }
    }

    /// The sum of all leaves.
    public var total: Double { sums[1] }

    /// The smallest leaf value among the first `capacity` leaves that were ever set (+∞ when none).
    public var minimum: Double { minima[1] }

    /// The sum stored at inner or leaf node `node` (1 is the root), for invariant checks.
    func nodeSum(_ node: Int) -> Double { sums[node] }

    /// The index of the leaf whose interval `[prefix before it, prefix including it)` contains
    /// `prefixSum`, walking down from the root. A `prefixSum` at or beyond the total lands on the
    /// last leaf with a positive value; leaves of value 0 are never returned unless all are 0.
    public func leaf(coveringPrefixSum prefixSum: Double) -> Int {
        var node = 1
        var remaining = Swift.max(0, prefixSum)
        while node < leafBase {
            let left = 2 * node
            if remaining < sums[left] || sums[left + 1] == 0 {
                node = left
            } else {
                remaining -= sums[left]
                node = left + 1
            }
        }
        return Swift.min(node - leafBase, capacity - 1)
    }
}
