import NervaNN
import NervaTensor
import NervaTestSupport
import Testing

@Suite struct EmbeddingTests {
    @Test func shapeAndDefaultInitialisationIsStandardNormal() {
        let table = Embedding(count: 1000, dimension: 64, generator: RandomGenerator(seed: 1))
        #expect(table.weight.shape == [1000, 64])
        #expect(table.count == 1000 && table.dimension == 64)
        #expect(table.namedParameters().map(\.name) == ["weight"])
        #expect(table.hasSparseGradients)
        let values = table.weight.scalars.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
        #expect(abs(mean) < 0.02)
        #expect(abs(std - 1) < 0.02)
    }

    @Test func lookupReturnsTheRows() {
        let table = Embedding(count: 5, dimension: 3, generator: RandomGenerator(seed: 2))
        table.weight.assign(Tensor((0..<15).map(Float.init), shape: [5, 3]))
        let out = table([4, 0, 4, 2])
        #expect(out.shape == [4, 3])
        #expect(out.scalars == [12, 13, 14, 0, 1, 2, 12, 13, 14, 6, 7, 8])
    }

    @Test func indexShapeShapesTheOutput() {
        let table = Embedding(count: 6, dimension: 2, generator: RandomGenerator(seed: 3))
        table.weight.assign(Tensor((0..<12).map(Float.init), shape: [6, 2]))
        let out = table([1, 2, 3, 5, 0, 1], indexShape: [2, 3])
        #expect(out.shape == [2, 3, 2])
        #expect(out.scalars == [2, 3, 4, 5, 6, 7, 10, 11, 0, 1, 2, 3])
        // Ids given as a tensor keep its shape.
        let fromTensor = table(Tensor([5, 0, 3, 3], shape: [2, 2]))
        #expect(fromTensor.shape == [2, 2, 2])
        #expect(fromTensor.scalars == [10, 11, 0, 1, 6, 7, 6, 7])
    }

    @Test func sparseGradientHoldsOnlyTouchedRowsWithDuplicatesSummed() throws {
        let table = Embedding(count: 6, dimension: 2, generator: RandomGenerator(seed: 4))
        let ids = [1, 4, 1, 3]
        let weights = Tensor([1, 2, 3, 4, 5, 6, 7, 8], shape: [4, 2])
        (table(ids) * weights).sum().backward()
        let gradient = table.weight.gradient!
        #expect(gradient.isRowSparse)
        #expect(gradient.shape == [6, 2])
        #expect(Set(try #require(gradient.sparseRowIndices)) == [1, 3, 4])
        let coalesced = gradient.coalesced()
        #expect(coalesced.sparseRowIndices == [1, 3, 4])
        // Row 1 was looked up twice: its two cotangent rows are summed.
        #expect(coalesced.sparseValues.scalars == [1 + 5, 2 + 6, 7, 8, 3, 4])
        #expect(gradient.densified().scalars == [0, 0, 6, 8, 0, 0, 7, 8, 3, 4, 0, 0])
    }

    @Test func denseGradientWhenSparseGradientsAreOff() {
        let sparse = Embedding(count: 6, dimension: 3, generator: RandomGenerator(seed: 5))
        let dense = Embedding(count: 6, dimension: 3, sparseGradients: false, generator: RandomGenerator(seed: 5))
        #expect(!dense.hasSparseGradients)
        #expect(sparse.weight.scalars == dense.weight.scalars)
        let ids = [2, 2, 0, 5, 2], shape = [5]
        let target = Tensor.normal([5, 3], generator: RandomGenerator(seed: 6))
        let lossSparse = (sparse(ids, indexShape: shape).tanh() - target).squared().sum()
        let lossDense = (dense(ids, indexShape: shape).tanh() - target).squared().sum()
        #expect(lossSparse.scalar == lossDense.scalar)
        lossSparse.backward()
        lossDense.backward()
        #expect(!dense.weight.gradient!.isRowSparse)
        #expect(sparse.weight.gradient!.isRowSparse)
        expectClose(sparse.weight.gradient!.densified(), dense.weight.gradient!)
        // Untouched rows of the dense gradient are exactly zero.
        let rows = dense.weight.gradient!.scalars
        for row in [1, 3, 4] { #expect(rows[row * 3..<(row * 3 + 3)].allSatisfy { $0 == 0 }) }
    }

    @Test func sparseGradientsWithIndexShapeAndRepeatedLookups() throws {
        let sparse = Embedding(count: 8, dimension: 2, generator: RandomGenerator(seed: 7))
        let dense = Embedding(count: 8, dimension: 2, sparseGradients: false, generator: RandomGenerator(seed: 7))
        func loss(_ table: Embedding) -> Tensor {
            // Two lookups of the same table in one graph, one of them batched [2, 2].
            let a = table([7, 1, 1, 0], indexShape: [2, 2]).sum(alongAxis: 1) // [2, 2]
            let b = table([1, 6]) // [2, 2]
            return (a * b).sum()
        }
        loss(sparse).backward()
        loss(dense).backward()
        let gradient = sparse.weight.gradient!
        #expect(gradient.isRowSparse)
        #expect(Set(try #require(gradient.sparseRowIndices)) == [0, 1, 6, 7])
        expectClose(gradient.densified(), dense.weight.gradient!)
    }

    @Test func sparseGradientsAccumulateAcrossBackwardCalls() {
        let table = Embedding(count: 5, dimension: 2, generator: RandomGenerator(seed: 8))
        table([0, 2]).sum().backward()
        table([2, 4]).sum().backward()
        let gradient = table.weight.gradient!
        #expect(gradient.isRowSparse)
        #expect(gradient.densified().scalars == [1, 1, 0, 0, 2, 2, 0, 0, 1, 1])
        #expect(gradient.coalesced().sparseRowIndices == [0, 2, 4])
    }

    @Test func gradientMatchesFiniteDifferencesThroughGathering() {
        let g = RandomGenerator(seed: 9)
        let weight = Tensor.normal([4, 3], generator: g)
        expectGradientsMatchFiniteDifferences(
            { $0[0].gathering(rows: [3, 0, 3, 1], indexShape: [2, 2]).tanh() }, at: [weight])
    }
}
