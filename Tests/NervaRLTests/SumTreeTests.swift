import Testing

@testable import NervaRL

@Suite struct SumTreeTests {
    /// Every inner node holds the sum of its children, and the root the total, after random updates.
    @Test func innerNodesHoldTheSumsOfTheirChildren() {
        let random = RandomGenerator(seed: 3)
        var tree = SumTree(capacity: 13) // not a power of two: 3 unused leaves
        var leaves = [Double](repeating: 0, count: 13)
        for _ in 0..<500 {
            let index = random.integer(below: 13)
            let value = Double(random.integer(below: 100)) / 7
            tree[index] = value
            leaves[index] = value
        }
        for node in 1..<16 {
            #expect(
                abs(tree.nodeSum(node) - (tree.nodeSum(2 * node) + tree.nodeSum(2 * node + 1))) < 1e-9, "node \(node)")
        }
        #expect(abs(tree.total - leaves.reduce(0, +)) < 1e-9)
        #expect(tree.minimum == leaves.min())
        #expect((0..<13).allSatisfy { tree[$0] == leaves[$0] })
    }

    /// The leaf found for a prefix sum is the one a linear scan of the cumulative sums finds.
    @Test func prefixSearchAgreesWithALinearScan() {
        var tree = SumTree(capacity: 6)
        let leaves: [Double] = [1, 0, 2.5, 0.5, 0, 4]
        for (index, value) in leaves.enumerated() { tree[index] = value }
        let random = RandomGenerator(seed: 1)
        for _ in 0..<1_000 {
            let prefix = Double(random.uniform(0, 1)) * tree.total
            var cumulative = 0.0, expected = 0
            for (index, value) in leaves.enumerated() {
                cumulative += value
                if prefix < cumulative {
                    expected = index
                    break
                }
            }
            #expect(tree.leaf(coveringPrefixSum: prefix) == expected, "prefix \(prefix)")
        }
        // Boundaries: exactly at a cumulative sum moves to the next positive leaf; zero leaves are never found.
        #expect(tree.leaf(coveringPrefixSum: 0) == 0)
        #expect(tree.leaf(coveringPrefixSum: 1) == 2)
        #expect(tree.leaf(coveringPrefixSum: 4) == 5)
        #expect(tree.leaf(coveringPrefixSum: tree.total) == 5)
        #expect(tree.leaf(coveringPrefixSum: 100) == 5)
    }

    @Test func minimumIgnoresLeavesNeverSet() {
        var tree = SumTree(capacity: 5)
        #expect(tree.minimum == .infinity && tree.total == 0)
        tree[4] = 2
        tree[1] = 3
        #expect(tree.minimum == 2)
        tree[4] = 7
        #expect(tree.minimum == 3 && tree.total == 10)
    }
}
