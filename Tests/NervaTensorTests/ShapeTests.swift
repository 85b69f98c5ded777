import NervaTensor
import NervaTestSupport
import Testing

@Suite struct ShapeTests {
    // MARK: - Reshape family

    @Test func reshapedKeepsRowMajorOrder() {
        let x = Tensor.arange(0, 6)
        let y = x.reshaped([2, 3])
        #expect(y.shape == [2, 3])
        #expect(y.scalars == [0, 1, 2, 3, 4, 5])
        #expect(y[1].scalars == [3, 4, 5])
        #expect(x.reshaped([3, -1]).shape == [3, 2])
        #expect(x.reshaped([-1]).shape == [6])
        #expect(x.reshaped([1, 2, 1, 3]).shape == [1, 2, 1, 3])
        #expect(Tensor([5]).reshaped([]).shape == [])
        #expect(Tensor(5).reshaped([1, 1]).shape == [1, 1])
    }

    @Test func reshapedIsAViewWithoutCopy() {
        let x = Tensor([1, 2, 3, 4])
        let view = x.reshaped([2, 2])
        x.assign(Tensor([5, 6, 7, 8]))
        #expect(view.scalars == [5, 6, 7, 8])
    }

    @Test func flattenedUnsqueezedSqueezed() {
        let x = Tensor.arange(0, 6).reshaped([2, 3])
        #expect(x.flattened().shape == [6])
        #expect(x.unsqueezed(at: 0).shape == [1, 2, 3])
        #expect(x.unsqueezed(at: 1).shape == [2, 1, 3])
        #expect(x.unsqueezed(at: 2).shape == [2, 3, 1])
        #expect(x.unsqueezed(at: -1).shape == [2, 3, 1])
        let y = Tensor.arange(0, 3).reshaped([1, 3, 1])
        #expect(y.squeezed(at: 0).shape == [3, 1])
        #expect(y.squeezed(at: -1).shape == [1, 3])
        #expect(y.squeezed(at: 2).scalars == [0, 1, 2])
    }

    // MARK: - Permute and transpose

    @Test func transposedMatrix() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let t = x.transposed()
        #expect(t.shape == [3, 2])
        #expect(t.scalars == [1, 4, 2, 5, 3, 6])
        #expect(x.permuted([1, 0]).scalars == t.scalars)
        #expect(t.transposed().scalars == x.scalars)
    }

    @Test func transposedLargeMatrixCrossesCacheBlocks() {
        let rows = 37, columns = 70
        let x = Tensor.arange(0, Float(rows * columns)).reshaped([rows, columns])
        #expect(x.transposed().scalars == referenceTranspose(x.scalars, rows: rows, columns: columns))
    }

    @Test func transposedBatchSwapsLastTwoAxes() {
        let x = Tensor.arange(0, 12).reshaped([2, 2, 3])
        let t = x.transposed()
        #expect(t.shape == [2, 3, 2])
        #expect(t.scalars == [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11])
    }

    @Test(arguments: [[0, 1, 2], [2, 0, 1], [1, 2, 0], [0, 2, 1], [2, 1, 0], [-1, 0, -2]])
    func permutedMatchesIndexArithmetic(axes: [Int]) {
        let shape = [2, 3, 4]
        let x = Tensor.arange(0, 24).reshaped(shape)
        let y = x.permuted(axes)
        let resolved = axes.map { $0 < 0 ? $0 + 3 : $0 }
        let outShape = resolved.map { shape[$0] }
        #expect(y.shape == outShape)
        let strides = rowMajorStrides(shape)
        let expected = (0..<24).map { offset -> Float in
            let outIndex = multiIndex(offset, in: outShape)
            var source = 0
            for (outAxis, inAxis) in resolved.enumerated() { source += outIndex[outAxis] * strides[inAxis] }
            return Float(source)
        }
        #expect(y.scalars == expected)
    }

    @Test func permuted4D() {
        let x = Tensor.arange(0, 120).reshaped([2, 3, 4, 5])
        let y = x.permuted([3, 1, 0, 2])
        #expect(y.shape == [5, 3, 2, 4])
        // y[e, b, a, c] = x[a, b, c, e] = 60a + 20b + 5c + e
        let v = y.scalars
        for e in 0..<5 {
            for b in 0..<3 {
                for a in 0..<2 {
                    for c in 0..<4 {
                        #expect(v[((e * 3 + b) * 2 + a) * 4 + c] == Float(60 * a + 20 * b + 5 * c + e))
                    }
                }
            }
        }
    }

    // MARK: - Expand

    @Test func expanded() {
        #expect(Tensor([1, 2, 3]).expanded(to: [2, 3]).scalars == [1, 2, 3, 1, 2, 3])
        #expect(Tensor([1, 2], shape: [2, 1]).expanded(to: [2, 3]).scalars == [1, 1, 1, 2, 2, 2])
        #expect(Tensor(7).expanded(to: [2, 2]).scalars == [7, 7, 7, 7])
        let e = Tensor([1, 2], shape: [2, 1]).expanded(to: [3, 2, 2])
        #expect(e.shape == [3, 2, 2])
        #expect(e.scalars == [1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2])
    }

    // MARK: - Slices and subscripts

    @Test func slicedAlongEachAxis() {
        let x = Tensor.arange(0, 24).reshaped([2, 3, 4])
        let s0 = x.sliced(alongAxis: 0, 1..<2)
        #expect(s0.shape == [1, 3, 4])
        #expect(s0.scalars == (12..<24).map(Float.init))
        let s1 = x.sliced(alongAxis: 1, 1..<3)
        #expect(s1.shape == [2, 2, 4])
        #expect(s1.scalars == [4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23])
        let s2 = x.sliced(alongAxis: -1, 1..<2)
        #expect(s2.shape == [2, 3, 1])
        #expect(s2.scalars == [1, 5, 9, 13, 17, 21])
        #expect(x.sliced(alongAxis: 2, 0..<4).scalars == x.scalars)
        #expect(x.sliced(alongAxis: 1, 2..<2).shape == [2, 0, 4])
    }

    @Test func subscripts() {
        let x = Tensor.arange(0, 12).reshaped([3, 4])
        #expect(x[1].shape == [4])
        #expect(x[1].scalars == [4, 5, 6, 7])
        #expect(x[0..<2].shape == [2, 4])
        #expect(x[1..<3].scalars == [4, 5, 6, 7, 8, 9, 10, 11])
        #expect(x[2][3].shape == [])
        #expect(x[2][3].scalar == 11)
    }

    // MARK: - Concatenate and stack

    @Test func concatenatedAlongAxes() {
        let a = Tensor([1, 2, 3, 4], shape: [2, 2])
        let b = Tensor([5, 6], shape: [1, 2])
        let rows = Tensor.concatenated([a, b], alongAxis: 0)
        #expect(rows.shape == [3, 2])
        #expect(rows.scalars == [1, 2, 3, 4, 5, 6])
        let c = Tensor([7, 8, 9, 10, 11, 12], shape: [2, 3])
        let columns = Tensor.concatenated([a, c], alongAxis: 1)
        #expect(columns.shape == [2, 5])
        #expect(columns.scalars == [1, 2, 7, 8, 9, 3, 4, 10, 11, 12])
        let last = Tensor.concatenated([a, Tensor([0, 0], shape: [2, 1])], alongAxis: -1)
        #expect(last.scalars == [1, 2, 0, 3, 4, 0])
        #expect(Tensor.concatenated([a]).scalars == a.scalars)
    }

    @Test func stackedAlongNewAxis() {
        let a = Tensor([1, 2, 3]), b = Tensor([4, 5, 6])
        let s0 = Tensor.stacked([a, b])
        #expect(s0.shape == [2, 3])
        #expect(s0.scalars == [1, 2, 3, 4, 5, 6])
        let s1 = Tensor.stacked([a, b], alongAxis: 1)
        #expect(s1.shape == [3, 2])
        #expect(s1.scalars == [1, 4, 2, 5, 3, 6])
        let sLast = Tensor.stacked([a, b], alongAxis: -1)
        #expect(sLast.shape == [3, 2])
        #expect(sLast.scalars == s1.scalars)
        let scalars = Tensor.stacked([Tensor(1), Tensor(2)])
        #expect(scalars.shape == [2])
    }

    // MARK: - Gradients

    static let cases: [GradientCase] = [
        GradientCase("reshaped", [seeded([2, 3], seed: 1)]) { $0[0].reshaped([3, 2]) * Tensor([1, 2]) },
        GradientCase("reshaped -1", [seeded([2, 3, 2], seed: 2)]) { $0[0].reshaped([-1, 4]) },
        GradientCase("flattened", [seeded([2, 3], seed: 3)]) { $0[0].flattened() },
        GradientCase("unsqueezed", [seeded([2, 3], seed: 4)]) {
            $0[0].unsqueezed(at: 1) * Tensor([1, 2], shape: [2, 1])
        },
        GradientCase("squeezed", [seeded([2, 1, 3], seed: 5)]) { $0[0].squeezed(at: 1) },
        GradientCase("transposed", [seeded([2, 3], seed: 6)]) { $0[0].transposed() },
        GradientCase("transposed batch", [seeded([2, 3, 4], seed: 7)]) { $0[0].transposed() },
        GradientCase("permuted [2,0,1]", [seeded([2, 3, 4], seed: 8)]) { $0[0].permuted([2, 0, 1]) },
        GradientCase("permuted [1,2,0]", [seeded([2, 3, 4], seed: 9)]) { $0[0].permuted([1, 2, 0]) },
        GradientCase("expanded row", [seeded([3], seed: 10)]) { $0[0].expanded(to: [4, 3]) },
        GradientCase("expanded column", [seeded([2, 1], seed: 11)]) { $0[0].expanded(to: [3, 2, 4]) },
        GradientCase("expanded scalar", [seeded([], seed: 12)]) { $0[0].expanded(to: [2, 2]) },
        GradientCase("sliced axis 0", [seeded([4, 3], seed: 13)]) { $0[0].sliced(alongAxis: 0, 1..<3) },
        GradientCase("sliced axis 1", [seeded([2, 5, 2], seed: 14)]) { $0[0].sliced(alongAxis: 1, 2..<5) },
        GradientCase("sliced last axis", [seeded([2, 3, 4], seed: 15)]) { $0[0].sliced(alongAxis: -1, 0..<1) },
        GradientCase("subscript index", [seeded([3, 4], seed: 16)]) { $0[0][1] },
        GradientCase("subscript range", [seeded([3, 4], seed: 17)]) { $0[0][1..<3] },
        GradientCase("overlapping slices", [seeded([5], seed: 18)]) { $0[0][0..<3] * $0[0][2..<5] },
        GradientCase("concatenated axis 0", [seeded([2, 3], seed: 19), seeded([1, 3], seed: 20)]) {
            Tensor.concatenated([$0[0], $0[1]], alongAxis: 0)
        },
        GradientCase(
            "concatenated axis 1 of three",
            [seeded([2, 1], seed: 21), seeded([2, 3], seed: 22), seeded([2, 2], seed: 23)]
        ) {
            Tensor.concatenated([$0[0], $0[1], $0[2]], alongAxis: 1)
        },
        GradientCase("concatenated with itself", [seeded([2, 2], seed: 24)]) {
            Tensor.concatenated([$0[0], $0[0] * 2], alongAxis: 1)
        },
        GradientCase("concatenated with constant", [seeded([2, 2], seed: 25)]) {
            Tensor.concatenated([Tensor.ones([2, 1]), $0[0]], alongAxis: 1)
        },
        GradientCase("stacked axis 0", [seeded([3], seed: 26), seeded([3], seed: 27)]) {
            Tensor.stacked([$0[0], $0[1]])
        },
        GradientCase(
            "stacked last axis", [seeded([2, 2], seed: 28), seeded([2, 2], seed: 29), seeded([2, 2], seed: 30)]
        ) {
            Tensor.stacked([$0[0], $0[1], $0[2]], alongAxis: -1)
        }
    ]

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: GradientCase) {
        expectGradientsMatchFiniteDifferences(c.function, at: c.inputs, "\(c.name)")
    }

    @Test func sliceGradientIsZeroOutsideTheSlice() {
        let x = Tensor.arange(0, 5).requiringGradient()
        let g = gradients(of: x[1..<3].sum(), wrt: [x])[0]
        #expect(g.scalars == [0, 1, 1, 0, 0])
    }
}
