import NervaTensor
import NervaTestSupport
import Testing

@Suite struct TensorTests {
    // MARK: - Initialisers and properties

    @Test func initWithShapeKeepsRowMajorOrder() {
        let t = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect(t.shape == [2, 3])
        #expect(t.rank == 2)
        #expect(t.scalarCount == 6)
        #expect(t.scalars == [1, 2, 3, 4, 5, 6])
        #expect(t[1].scalars == [4, 5, 6])
    }

    @Test func oneDimensionalInit() {
        let t = Tensor([1.5, -2, 0.25])
        #expect(t.shape == [3])
        #expect(t.rank == 1)
        #expect(t.scalars == [1.5, -2, 0.25])
    }

    @Test func scalarInit() {
        let t = Tensor(3.5)
        #expect(t.shape == [])
        #expect(t.rank == 0)
        #expect(t.scalarCount == 1)
        #expect(t.scalar == 3.5)
        #expect(t.scalars == [3.5])
    }

    @Test func scalarOfOneElementTensorOfAnyRank() {
        #expect(Tensor([7], shape: [1, 1, 1]).scalar == 7)
        #expect(Tensor([-2]).scalar == -2)
    }

    @Test func emptyTensor() {
        let t = Tensor([], shape: [0, 3])
        #expect(t.shape == [0, 3])
        #expect(t.scalarCount == 0)
        #expect(t.scalars.isEmpty)
        #expect(Tensor([Float]()).shape == [0])
    }

    @Test func newTensorDoesNotRequireGradient() {
        let t = Tensor([1, 2])
        #expect(!t.requiresGradient)
        #expect(t.gradient == nil)
        #expect(!t.isRowSparse)
        #expect(t.sparseRowIndices == nil)
    }

    // MARK: - Factories

    @Test func constantFactories() {
        #expect(Tensor.zeros([2, 2]).scalars == [0, 0, 0, 0])
        #expect(Tensor.ones([3]).scalars == [1, 1, 1])
        let full = Tensor.full([2, 1, 2], value: -1.5)
        #expect(full.shape == [2, 1, 2])
        #expect(full.scalars == [-1.5, -1.5, -1.5, -1.5])
        let like = Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2]).zerosLike()
        #expect(like.shape == [3, 2])
        #expect(like.scalars == [Float](repeating: 0, count: 6))
        #expect(Tensor.zeros([]).shape == [])
        #expect(Tensor.zeros([]).scalar == 0)
    }

    @Test func arange() {
        #expect(Tensor.arange(0, 5).scalars == [0, 1, 2, 3, 4])
        #expect(Tensor.arange(2, 5).scalars == [2, 3, 4])
        #expect(Tensor.arange(0, 2, step: 0.5).scalars == [0, 0.5, 1, 1.5])
        #expect(Tensor.arange(3, 0, step: -1).scalars == [3, 2, 1])
        #expect(Tensor.arange(0, 1, step: 0.3).scalarCount == 4) // 0, 0.3, 0.6, 0.9
        #expect(Tensor.arange(4, 2).scalarCount == 0)
    }

    @Test func identity() {
        let i = Tensor.identity(3)
        #expect(i.shape == [3, 3])
        #expect(i.scalars == [1, 0, 0, 0, 1, 0, 0, 0, 1])
    }

    // MARK: - Description

    @Test func descriptionOfScalar() {
        #expect(Tensor(3).description == "Tensor(3, shape: [])")
        #expect(Tensor(-0.5).description == "Tensor(-0.5, shape: [])")
    }

    @Test func descriptionOfVector() {
        #expect(Tensor([1, 2.5, -3]).description == "Tensor([1, 2.5, -3], shape: [3])")
    }

    @Test func descriptionOfMatrixPutsRowsOnAlignedLines() {
        let text = Tensor([1, 2, 3, 4], shape: [2, 2]).description
        #expect(text == "Tensor([[1, 2],\n        [3, 4]], shape: [2, 2])")
    }

    @Test func descriptionOfRank3() {
        let text = Tensor.arange(0, 8).reshaped([2, 2, 2]).description
        let expected = """
            Tensor([[[0, 1],
                     [2, 3]],
                    [[4, 5],
                     [6, 7]]], shape: [2, 2, 2])
            """
        #expect(text == expected)
    }

    @Test func descriptionElidesLongAxes() {
        #expect(Tensor.arange(0, 10).description == "Tensor([0, 1, 2, …, 7, 8, 9], shape: [10])")
        #expect(Tensor.arange(0, 9).description == "Tensor([0, 1, 2, …, 6, 7, 8], shape: [9])")
        // Eight elements are printed in full.
        #expect(Tensor.arange(0, 8).description == "Tensor([0, 1, 2, 3, 4, 5, 6, 7], shape: [8])")
    }

    @Test func descriptionOfEmptyTensor() {
        #expect(Tensor([Float]()).description == "Tensor([], shape: [0])")
    }

    @Test func descriptionOfSpecialValues() {
        #expect(Tensor([Float.infinity, -Float.infinity]).description == "Tensor([inf, -inf], shape: [2])")
        #expect(Tensor([Float.nan]).description == "Tensor([nan], shape: [1])")
        #expect(Tensor([1e8]).description == "Tensor([1e+08], shape: [1])")
    }

    @Test func descriptionMentionsGradients() {
        let x = Tensor([1, 2]).requiringGradient()
        #expect(x.description == "Tensor([1, 2], shape: [2], requiresGradient: true)")
        #expect((x * 2).description == "Tensor([2, 4], shape: [2], requiresGradient: true)")
        #expect(x.detached().description == "Tensor([1, 2], shape: [2])")
    }

    @Test func descriptionOfRowSparseShowsDenseValues() {
        let t = Tensor.rowSparse(values: Tensor([1, 2, 3, 4], shape: [2, 2]), rows: [2, 0], shape: [3, 2])
        #expect(t.description == "Tensor([[3, 4],\n        [0, 0],\n        [1, 2]], shape: [3, 2], rowSparse: 2 rows)")
    }

    // MARK: - Assign and raw access

    @Test func assignCopiesValuesInPlace() {
        let target = Tensor.zeros([2, 2])
        let source = Tensor([1, 2, 3, 4], shape: [2, 2])
        target.assign(source)
        #expect(target.scalars == [1, 2, 3, 4])
        // A copy, not an alias: later writes to the source do not show through.
        source.withUnsafeMutableBufferPointer { $0[0] = 100 }
        #expect(target.scalars == [1, 2, 3, 4])
    }

    @Test func assignKeepsIdentityAndRecordsNoGradient() {
        let parameter = Tensor([1, 2]).requiringGradient()
        let update = Tensor([5, 6]).requiringGradient() * 2
        parameter.assign(update)
        #expect(parameter.scalars == [10, 12])
        #expect(parameter.requiresGradient) // still the same leaf
        let y = (parameter * 3).sum()
        y.backward()
        expectClose(parameter.gradient!, Tensor([3, 3]))
    }

    @Test func assignFromRowSparseDensifies() {
        let target = Tensor.full([3, 2], value: 9)
        target.assign(Tensor.rowSparse(values: Tensor([1, 2, 3, 4], shape: [2, 2]), rows: [1, 1], shape: [3, 2]))
        #expect(target.scalars == [0, 0, 4, 6, 0, 0])
    }

    @Test func unsafeBufferAccess() {
        let t = Tensor([1, 2, 3])
        let total = t.withUnsafeBufferPointer { $0.reduce(0, +) }
        #expect(total == 6)
        t.withUnsafeMutableBufferPointer { $0[1] = -2 }
        #expect(t.scalars == [1, -2, 3])
    }

    @Test func scalarsIsACopy() {
        let t = Tensor([1, 2, 3])
        var values = t.scalars
        values[0] = 42
        #expect(t.scalars == [1, 2, 3])
    }
}
