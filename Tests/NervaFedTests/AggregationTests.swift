import Testing

@testable import NervaFed

@Suite struct AggregationTests {
    @Test func weightedMeanFollowsExampleCounts() {
        // Prepare: two clients, the second with three times the examples.
        let vectors: [[Float]] = [[1, 10], [5, 2]]
        // Execute
        let weighted = Aggregation.weightedMean.combine(vectors, weights: [100, 300])
        let plain = Aggregation.mean.combine(vectors, weights: [100, 300])
        // Assert: (1·100 + 5·300)/400 = 4, (10·100 + 2·300)/400 = 4
        #expect(weighted == [4, 4])
        #expect(plain == [3, 6])
    }

    @Test func identicalUpdatesAggregateToThemselves() {
        let vector: [Float] = [0.25, -1.5, 3]
        for aggregation in [
            Aggregation.weightedMean, .mean, .coordinateMedian, .trimmedMean(beta: 0.2),
            .krum(byzantine: 1, selected: 2)
        ] {
            #expect(
                aggregation.combine(Array(repeating: vector, count: 5), weights: [1, 2, 3, 4, 5]) == vector,
                "\(aggregation)")
        }
    }

    @Test func medianAndTrimmedMeanIgnoreAnOutlier() {
        let vectors: [[Float]] = [[1, 2], [1.2, 2.2], [0.8, 1.8], [1.1, 2.1], [1000, -1000]]
        // Per coordinate: {0.8, 1, 1.1, 1.2, 1000} and {−1000, 1.8, 2, 2.1, 2.2}.
        #expect(Aggregation.coordinateMedian.combine(vectors, weights: [1, 1, 1, 1, 1]) == [1.1, 2])
        let trimmed = Aggregation.trimmedMean(beta: 0.2).combine(vectors, weights: [1, 1, 1, 1, 1])
        // Drops the largest and smallest per coordinate: mean of {1, 1.1, 1.2} and {1.8, 2, 2.1}.
        #expect(abs(trimmed[0] - 1.1) < 1e-6 && abs(trimmed[1] - 5.9 / 3) < 1e-6)
        #expect(Aggregation.coordinateMedian.combine([[1], [3]], weights: [1, 1]) == [2])
    }

    @Test func krumRejectsTheOutlier() {
        let honest: [[Float]] = [[1, 1], [1.1, 0.9], [0.9, 1.1], [1.05, 1.0], [0.95, 1.02]]
        let vectors = honest + [[50, -50]]
        let selection = Aggregation.krumSelection(vectors, byzantine: 1, selected: 3)
        #expect(!selection.contains(5))
        let krum = Aggregation.krum(byzantine: 1, selected: 1).combine(vectors, weights: Array(repeating: 1, count: 6))
        #expect(honest.contains(krum))
        let multi = Aggregation.krum(byzantine: 1, selected: 4).combine(vectors, weights: Array(repeating: 1, count: 6))
        #expect(abs(multi[0] - 1) < 0.1 && abs(multi[1] - 1) < 0.1)
    }

    @Test func weightedMeanOfManyVectorsIsExactInDouble() {
        let vectors = (0..<7).map { i in (0..<100).map { Float($0 + i) } }
        let result = Aggregation.weightedMean.combine(vectors, weights: Array(repeating: 3, count: 7))
        #expect(result == (0..<100).map { Float($0) + 3 })
    }
}
