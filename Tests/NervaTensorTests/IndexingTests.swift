import NervaTensor
import NervaTestSupport
import Testing

@Suite struct IndexingTests {
    let table = Tensor([0, 1, 10, 11, 20, 21, 30, 31], shape: [4, 2])

    // MARK: - Gathering and scattering

    @Test func gatheringRows() {
        let rows = table.gathering(rows: [2, 0, 2])
        #expect(rows.shape == [3, 2])
        #expect(rows.scalars == [20, 21, 0, 1, 20, 21])
    }

    @Test func gatheringWithIndexShape() {
        let rows = table.gathering(rows: [3, 1, 0, 3], indexShape: [2, 2])
        #expect(rows.shape == [2, 2, 2])
        #expect(rows.scalars == [30, 31, 10, 11, 0, 1, 30, 31])
    }

    @Test func gatheringFromVectorAndRank3() {
        #expect(Tensor([5, 6, 7]).gathering(rows: [2, 2, 0]).scalars == [7, 7, 5])
        let cube = Tensor.arange(0, 12).reshaped([3, 2, 2])
        let picked = cube.gathering(rows: [1])
        #expect(picked.shape == [1, 2, 2])
        #expect(picked.scalars == [4, 5, 6, 7])
        #expect(table.gathering(rows: []).shape == [0, 2])
    }

    @Test func scatteringRowsSumsRepeats() {
        let updates = Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])
        let out = updates.scatteringRows([2, 0, 2], into: [4, 2])
        #expect(out.shape == [4, 2])
        #expect(out.scalars == [3, 4, 0, 0, 6, 8, 0, 0])
    }

    @Test func scatteringIsTheTransposeOfGathering() {
        // ⟨gather(T), U⟩ = ⟨T, scatter(U)⟩ for any T, U.
        let t = seeded([5, 3], seed: 1)
        let u = seeded([4, 3], seed: 2)
        let indices = [4, 1, 4, 0]
        let lhs = (t.gathering(rows: indices) * u).sum().scalar
        let rhs = (t * u.scatteringRows(indices, into: [5, 3])).sum().scalar
        #expect(Swift.abs(lhs - rhs) < 1e-5)
    }

    static let cases: [GradientCase] = [
        GradientCase("gathering", [seeded([4, 3], seed: 3)]) { $0[0].gathering(rows: [1, 3, 1, 0]) },
        GradientCase("gathering with index shape", [seeded([5, 2], seed: 4)]) {
            $0[0].gathering(rows: [4, 0, 0, 2, 4, 1], indexShape: [2, 3])
        },
        GradientCase("gathering a vector", [seeded([4], seed: 5)]) { $0[0].gathering(rows: [3, 3, 2]) },
        GradientCase("gathering sparse (dense check)", [seeded([4, 2], seed: 6)]) {
            $0[0].gathering(rows: [2, 2, 0], sparseGradient: true)
        },
        GradientCase("scatteringRows", [seeded([3, 2], seed: 7)]) { $0[0].scatteringRows([2, 0, 2], into: [4, 2]) },
        GradientCase("gather then scatter", [seeded([3, 2], seed: 8)]) {
            $0[0].gathering(rows: [0, 2, 2]).scatteringRows([1, 1, 0], into: [2, 2])
        }
    ]

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: GradientCase) {
        expectGradientsMatchFiniteDifferences(c.function, at: c.inputs, "\(c.name)")
    }

    // MARK: - Row-sparse gradients

    /// The dense gradient of `Σ w ⊙ table.gathering(rows)` with respect to the table.
    private func denseGradient(rows: [Int], weights: Tensor, shape: [Int]) -> Tensor {
        let leaf = Tensor.zeros(shape).requiringGradient()
        return gradients(of: (leaf.gathering(rows: rows) * weights).sum(), wrt: [leaf])[0]
    }

    @Test func sparseGradientHoldsOnlyGatheredRows() {
        let embedding = seeded([6, 3], seed: 9).requiringGradient()
        let rows = [4, 1, 4]
        let weights = seeded([3, 3], seed: 10)
        (embedding.gathering(rows: rows, sparseGradient: true) * weights).sum().backward()
        let gradient = embedding.gradient!
        #expect(gradient.isRowSparse)
        #expect(gradient.shape == [6, 3])
        #expect(gradient.sparseRowIndices == rows)
        #expect(gradient.sparseValues.shape == [3, 3])
        expectClose(gradient.sparseValues, weights)
        expectClose(gradient.densified(), denseGradient(rows: rows, weights: weights, shape: [6, 3]))
        #expect(!gradient.densified().isRowSparse)
    }

    @Test func sparseGradientWithIndexShape() {
        let embedding = seeded([5, 2], seed: 11).requiringGradient()
        let rows = [0, 3, 3, 1]
        let weights = seeded([2, 2, 2], seed: 12)
        (embedding.gathering(rows: rows, indexShape: [2, 2], sparseGradient: true) * weights).sum().backward()
        let gradient = embedding.gradient!
        #expect(gradient.isRowSparse)
        #expect(gradient.sparseValues.shape == [4, 2])
        expectClose(gradient.densified(), denseGradient(rows: rows, weights: weights.reshaped([4, 2]), shape: [5, 2]))
    }

    @Test func sparseGradientsAccumulateAcrossBackwardCalls() {
        let embedding = seeded([4, 2], seed: 13).requiringGradient()
        embedding.gathering(rows: [1, 3], sparseGradient: true).sum().backward()
        embedding.gathering(rows: [3, 0], sparseGradient: true).sum().backward()
        let gradient = embedding.gradient!
        #expect(gradient.isRowSparse)
        #expect(gradient.sparseRowIndices == [1, 3, 3, 0])
        #expect(gradient.scalars == [1, 1, 1, 1, 0, 0, 2, 2])
    }

    @Test func twoSparseGathersInOneGraphStaySparse() {
        let embedding = seeded([4, 2], seed: 14).requiringGradient()
        let a = embedding.gathering(rows: [0, 2], sparseGradient: true)
        let b = embedding.gathering(rows: [2], sparseGradient: true)
        (a.sum() + b.sum() * 3).backward()
        let gradient = embedding.gradient!
        #expect(gradient.isRowSparse)
        #expect(gradient.scalars == [1, 1, 0, 0, 4, 4, 0, 0])
    }

    @Test func sparseAndDenseUsesCombineIntoADenseGradient() {
        let embedding = seeded([3, 2], seed: 15).requiringGradient()
        let loss = embedding.gathering(rows: [2, 2], sparseGradient: true).sum() + (embedding * 2).sum()
        loss.backward()
        let gradient = embedding.gradient!
        #expect(gradient.scalars == [2, 2, 2, 2, 4, 4])
    }

    @Test func gradientsOfReturnsSparseWithoutCreateGraph() {
        let embedding = seeded([4, 2], seed: 16).requiringGradient()
        let out = embedding.gathering(rows: [1, 1], sparseGradient: true)
        let g = gradients(of: out, wrt: [embedding])[0]
        #expect(g.isRowSparse)
        #expect(g.scalars == [0, 0, 2, 2, 0, 0, 0, 0])
    }

    @Test func sparseGradientIsIgnoredWhileRecordingTheBackwardPass() {
        let embedding = seeded([4, 2], seed: 17).requiringGradient()
        let out = (embedding.gathering(rows: [1, 1, 2], sparseGradient: true) * 3).sum()
        let g = gradients(of: out, wrt: [embedding], createGraph: true)[0]
        #expect(!g.isRowSparse)
        #expect(g.scalars == [0, 0, 6, 6, 3, 3, 0, 0])
    }

    @Test func sparseGradientIsDenseForNonLeafTables() {
        let base = seeded([3, 2], seed: 18).requiringGradient()
        let table = base * 2 // recorded, not a leaf
        table.gathering(rows: [0, 0], sparseGradient: true).sum().backward()
        let gradient = base.gradient!
        #expect(!gradient.isRowSparse)
        #expect(gradient.scalars == [4, 4, 0, 0, 0, 0])
    }

    // MARK: - Row-sparse tensors

    @Test func rowSparseDensifiesAndSumsDuplicates() {
        let values = Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])
        let sparse = Tensor.rowSparse(values: values, rows: [2, 0, 2], shape: [4, 2])
        #expect(sparse.isRowSparse)
        #expect(sparse.shape == [4, 2])
        #expect(sparse.scalarCount == 8)
        #expect(sparse.sparseValues.scalars == [1, 2, 3, 4, 5, 6])
        let dense = sparse.densified()
        #expect(!dense.isRowSparse)
        #expect(dense.scalars == [3, 4, 0, 0, 6, 8, 0, 0])
        #expect(sparse.scalars == dense.scalars)
    }

    @Test func coalescedSortsRowsAndSumsDuplicates() {
        let values = Tensor([1, 2, 3, 4, 5, 6, 7, 8], shape: [4, 2])
        let sparse = Tensor.rowSparse(values: values, rows: [3, 1, 3, 0], shape: [5, 2])
        let c = sparse.coalesced()
        #expect(c.isRowSparse)
        #expect(c.shape == [5, 2])
        #expect(c.sparseRowIndices == [0, 1, 3])
        #expect(c.sparseValues.scalars == [7, 8, 3, 4, 6, 8])
        #expect(c.scalars == sparse.scalars)
    }

    @Test func coalescedOfCoalescedOrDenseIsUnchanged() {
        let sparse = Tensor.rowSparse(values: Tensor([1, 2], shape: [2, 1]), rows: [0, 2], shape: [3, 1])
        let c = sparse.coalesced()
        #expect(c.sparseRowIndices == [0, 2])
        #expect(c.sparseValues.scalars == [1, 2])
        let dense = Tensor([1, 2, 3])
        #expect(dense.coalesced().scalars == [1, 2, 3])
        #expect(!dense.coalesced().isRowSparse)
        #expect(dense.sparseValues.scalars == [1, 2, 3])
        #expect(dense.densified() === dense)
    }

    @Test func rowSparseWithNoRowsIsZero() {
        let sparse = Tensor.rowSparse(values: Tensor.zeros([0, 3]), rows: [], shape: [2, 3])
        #expect(sparse.scalars == [0, 0, 0, 0, 0, 0])
        #expect(sparse.coalesced().sparseRowIndices == [])
    }

    @Test func scalarOfRowSparseTensorIsItsDenseValue() {
        // `scalar` is "the single element of a one-element tensor": for a row-sparse one it must
        // agree with `scalars` (duplicated rows are summed).
        let sparse = Tensor.rowSparse(values: Tensor([2, 3]), rows: [0, 0], shape: [1])
        #expect(sparse.scalars == [5])
        #expect(sparse.scalar == 5)
    }

    @Test func rowSparseArithmeticDensifies() {
        let sparse = Tensor.rowSparse(values: Tensor([1, 2], shape: [1, 2]), rows: [1], shape: [2, 2])
        let sum = sparse.densified() + Tensor.ones([2, 2])
        #expect(sum.scalars == [1, 1, 2, 3])
    }
}
