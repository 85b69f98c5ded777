import Testing

@testable import NervaFed

@Suite struct PartitionTests {
    /// 6,000 examples, 600 of each of 10 classes, interleaved.
    private let labels = (0..<6000).map { $0 % 10 }

    private func split(_ scheme: PartitionScheme, clients: Int = 10, seed: UInt64 = 1) -> [[Int]] {
        Partition.split(
            labels: labels, classCount: 10, clientCount: clients, scheme: scheme, generator: RandomGenerator(seed: seed)
        )
    }

    private func expectDisjoint(_ parts: [[Int]], coveringAll: Bool = true) {
        let all = parts.flatMap { $0 }
        #expect(Set(all).count == all.count, "an example is given twice")
        if coveringAll { #expect(all.count == labels.count) }
        #expect(parts.allSatisfy { $0 == $0.sorted() })
    }

    @Test func iidGivesEqualSizesAndEveryLabel() {
        let parts = split(.iid)
        expectDisjoint(parts)
        #expect(parts.allSatisfy { $0.count == 600 })
        let counts = Partition.classCounts(parts, labels: labels, classCount: 10)
        #expect(counts.allSatisfy { $0.allSatisfy { $0 > 30 } })
    }

    @Test func dirichletSkewsLabelsMoreForSmallBeta() {
        func skew(_ beta: Double) -> Double {
            // Mean over clients of the largest class share.
            let counts = Partition.classCounts(split(.dirichlet(beta: beta)), labels: labels, classCount: 10)
            return counts.map { Double($0.max()!) / Double(max($0.reduce(0, +), 1)) }.reduce(0, +) / 10
        }
        let parts = split(.dirichlet(beta: 0.5))
        expectDisjoint(parts)
        #expect(parts.allSatisfy { $0.count >= 10 })
        #expect(skew(0.1) > skew(0.5) && skew(0.5) > skew(100))
        #expect(skew(100) < 0.2)
    }

    @Test func partitionsAreReproducibleFromTheSeed() {
        for scheme in [
            PartitionScheme.iid, .dirichlet(beta: 0.5), .labelsPerClient(2), .shards(perClient: 2),
            .quantitySkew(beta: 0.5)
        ] {
            #expect(split(scheme, seed: 7) == split(scheme, seed: 7), "\(scheme)")
            #expect(split(scheme, seed: 7) != split(scheme, seed: 8), "\(scheme)")
        }
    }

    @Test func labelsPerClientLimitsEachClientsClasses() {
        let parts = split(.labelsPerClient(2))
        expectDisjoint(parts)
        let counts = Partition.classCounts(parts, labels: labels, classCount: 10)
        #expect(counts.allSatisfy { $0.filter { $0 > 0 }.count == 2 })
        #expect(counts.indices.allSatisfy { counts[$0][$0 % 10] > 0 })
    }

    @Test func mcMahanShardsGiveTwoSortedShardsPerClient() {
        // 100 clients × 2 shards of 30 sorted examples: at most 2 labels each, 60 examples each.
        let parts = split(.shards(perClient: 2), clients: 100)
        expectDisjoint(parts)
        #expect(parts.allSatisfy { $0.count == 60 })
        let counts = Partition.classCounts(parts, labels: labels, classCount: 10)
        #expect(counts.allSatisfy { $0.filter { $0 > 0 }.count <= 2 })
    }

    @Test func quantitySkewVariesSizesButNotLabels() {
        let parts = split(.quantitySkew(beta: 0.5))
        expectDisjoint(parts)
        let sizes = parts.map(\.count)
        #expect(sizes.min()! >= 10 && sizes.max()! > 2 * sizes.min()!)
    }

    @Test func gammaAndDirichletHaveTheRightMoments() {
        let generator = RandomGenerator(seed: 3)
        for shape in [0.5, 2.0] {
            let draws = (0..<20000).map { _ in Partition.gamma(shape: shape, generator: generator) }
            let mean = draws.reduce(0, +) / Double(draws.count)
            #expect(abs(mean - shape) < 0.05 * shape + 0.02, "Gamma(\(shape)) mean \(mean)")
        }
        let p = Partition.dirichlet(count: 5, beta: 0.3, generator: generator)
        #expect(abs(p.reduce(0, +) - 1) < 1e-9 && p.allSatisfy { $0 >= 0 })
    }
}
