import NervaTensor
import NervaTestSupport
import Testing

/// A convolution configuration: input `[n, c, h, w]`, weight `[o, c, kh, kw]`, stride, padding.
struct ConvCase: Sendable, CustomTestStringConvertible {
    let input: [Int]
    let outputChannels: Int
    let kernel: (Int, Int)
    let stride: Int
    let padding: Int

    init(_ input: [Int], _ outputChannels: Int, _ kernel: (Int, Int), stride: Int = 1, padding: Int = 0) {
        self.input = input
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    var weightShape: [Int] { [outputChannels, input[1], kernel.0, kernel.1] }
    var testDescription: String {
        "\(input) ⊛ \(weightShape), stride \(stride), padding \(padding)"
    }
}

/// `conv2d` one multiply-add at a time, in `Double`: the reference for the kernels.
func referenceConv2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride s: Int, padding p: Int) -> Tensor {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
    let ho = (h + 2 * p - kh) / s + 1, wo = (wd + 2 * p - kw) / s + 1
    let xv = x.scalars, wv = w.scalars, bv = b?.scalars
    var out = [Float](repeating: 0, count: n * o * ho * wo)
    for i in 0..<n {
        for f in 0..<o {
            for y in 0..<ho {
                for z in 0..<wo {
                    var total = Double(bv?[f] ?? 0)
                    for ch in 0..<c {
                        for u in 0..<kh {
                            for v in 0..<kw {
                                let r = y * s - p + u, q = z * s - p + v
                                guard r >= 0 && r < h && q >= 0 && q < wd else { continue }
                                total +=
                                    Double(xv[((i * c + ch) * h + r) * wd + q])
                                    * Double(wv[((f * c + ch) * kh + u) * kw + v])
                            }
                        }
                    }
                    out[((i * o + f) * ho + y) * wo + z] = Float(total)
                }
            }
        }
    }
    return Tensor(out, shape: [n, o, ho, wo])
}

/// `convTranspose2d` as the scatter it is defined by, in `Double`.
func referenceConvTranspose2d(
    _ x: Tensor, _ w: Tensor, _ b: Tensor?, stride s: Int, padding p: Int,
    outputPadding op: Int
) -> Tensor {
    let (n, ci, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (co, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
    let ho = (h - 1) * s - 2 * p + kh + op, wo = (wd - 1) * s - 2 * p + kw + op
    let xv = x.scalars, wv = w.scalars, bv = b?.scalars
    var out = [Double](repeating: 0, count: n * co * ho * wo)
    for i in 0..<n {
        for f in 0..<co {
            for y in 0..<ho {
                for z in 0..<wo {
                    out[((i * co + f) * ho + y) * wo + z] = Double(bv?[f] ?? 0)
                }
            }
        }
    }
    for i in 0..<n {
        for ch in 0..<ci {
            for y in 0..<h {
                for z in 0..<wd {
                    let value = Double(xv[((i * ci + ch) * h + y) * wd + z])
                    for f in 0..<co {
                        for u in 0..<kh {
                            for v in 0..<kw {
                                let r = y * s - p + u, q = z * s - p + v
                                guard r >= 0 && r < ho && q >= 0 && q < wo else { continue }
                                out[((i * co + f) * ho + r) * wo + q] +=
                                    value * Double(wv[((ch * co + f) * kh + u) * kw + v])
                            }
                        }
                    }
                }
            }
        }
    }
    return Tensor(out.map(Float.init), shape: [n, co, ho, wo])
}

/// `Σ a ⊙ b` in `Double`.
func dot(_ a: Tensor, _ b: Tensor) -> Double {
    zip(a.scalars, b.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
}

@Suite struct ConvolutionTests {
    // MARK: - Forward by hand

    @Test func conv2dByHand() {
        let x = Tensor((1...9).map(Float.init), shape: [1, 1, 3, 3])
        let w = Tensor([1, 0, 0, 1], shape: [1, 1, 2, 2]) // x[i, j] + x[i + 1, j + 1]
        let y = x.conv2d(weight: w)
        #expect(y.shape == [1, 1, 2, 2])
        #expect(y.scalars == [6, 8, 12, 14])
        #expect(x.conv2d(weight: w, bias: Tensor([1])).scalars == [7, 9, 13, 15])
    }

    @Test func conv2dWithStrideAndPaddingByHand() {
        // A 3×3 box filter, padding 1, stride 2 over 0…15: window sums clipped at the borders.
        let x = Tensor((0..<16).map(Float.init), shape: [1, 1, 4, 4])
        let y = x.conv2d(weight: Tensor.ones([1, 1, 3, 3]), stride: 2, padding: 1)
        #expect(y.shape == [1, 1, 2, 2])
        #expect(y.scalars == [10, 24, 51, 90])
    }

    @Test func conv2dSumsOverInputChannelsAndAddsBiasPerOutputChannel() {
        let x = Tensor([1, 2, 3, 4, 10, 20, 30, 40], shape: [1, 2, 2, 2])
        let w = Tensor([1, 1, -1, 0], shape: [2, 2, 1, 1]) // out 0 = c0 + c1, out 1 = −c0
        let y = x.conv2d(weight: w, bias: Tensor([100, 0]))
        #expect(y.shape == [1, 2, 2, 2])
        #expect(y.scalars == [111, 122, 133, 144, -1, -2, -3, -4])
    }

    @Test func convTranspose2dByHand() {
        let x = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])
        let y = x.convTranspose2d(weight: Tensor.ones([1, 1, 2, 2]))
        #expect(y.shape == [1, 1, 3, 3])
        #expect(y.scalars == [1, 3, 2, 4, 10, 6, 3, 7, 4])
        // Stride 2 with a 2×2 kernel turns every pixel into a block.
        let blocks = x.convTranspose2d(weight: Tensor.ones([1, 1, 2, 2]), bias: Tensor([0.5]), stride: 2)
        #expect(blocks.scalars == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4].map { $0 + 0.5 })
    }

    @Test func outputShapesFollowPyTorch() {
        let x = Tensor.zeros([2, 3, 9, 8])
        #expect(x.conv2d(weight: Tensor.zeros([4, 3, 3, 3])).shape == [2, 4, 7, 6])
        #expect(x.conv2d(weight: Tensor.zeros([4, 3, 3, 3]), stride: 2, padding: 1).shape == [2, 4, 5, 4])
        #expect(x.conv2d(weight: Tensor.zeros([4, 3, 5, 2]), stride: 3).shape == [2, 4, 2, 3])
        #expect(x.conv2d(weight: Tensor.zeros([1, 3, 9, 8])).shape == [2, 1, 1, 1])
        #expect(x.convTranspose2d(weight: Tensor.zeros([3, 5, 3, 3])).shape == [2, 5, 11, 10])
        #expect(x.convTranspose2d(weight: Tensor.zeros([3, 5, 3, 3]), stride: 2, padding: 1).shape == [2, 5, 17, 15])
        #expect(
            x.convTranspose2d(weight: Tensor.zeros([3, 5, 3, 3]), stride: 2, padding: 1, outputPadding: 1).shape == [
                2, 5, 18, 16
            ])
        #expect(x.convTranspose2d(weight: Tensor.zeros([3, 5, 4, 4]), stride: 2, padding: 1).shape == [2, 5, 18, 16])
        let g = Tensor.zeros([2, 4, 5, 4])
        #expect(
            Tensor.conv2dWeightGradient(input: x, outputGradient: g, kernelSize: (3, 3), stride: 2, padding: 1).shape
                == [4, 3, 3, 3])
    }

    // MARK: - Against references

    static let cases: [ConvCase] = [
        ConvCase([1, 1, 5, 5], 1, (3, 3)),
        ConvCase([2, 3, 6, 7], 4, (3, 2), stride: 2, padding: 1),
        ConvCase([3, 2, 7, 5], 3, (1, 1), stride: 3),
        ConvCase([2, 2, 4, 4], 2, (4, 4), padding: 2),
        ConvCase([5, 3, 8, 8], 6, (5, 5), padding: 2), // several images per GEMM
        ConvCase([40, 6, 14, 14], 16, (5, 5)), // split across threads
        ConvCase([9, 4, 11, 10], 5, (3, 3), stride: 2, padding: 1), // packed, odd sizes
        ConvCase([3, 5, 7, 6], 4, (7, 6)), // fully connected: one GEMM per product
        ConvCase([2, 16, 6, 5], 3, (3, 3), stride: 2, padding: 1), // channels last
        ConvCase([3, 20, 9, 9], 9, (3, 3), padding: 1), // channels last, ragged 8 × 8 blocks
        ConvCase([24, 32, 14, 14], 16, (4, 4), stride: 2, padding: 1) // channels last, packed, split across threads
    ]

    @Test(arguments: cases)
    func conv2dMatchesReference(_ c: ConvCase) {
        let x = seeded(c.input, seed: 1), w = seeded(c.weightShape, seed: 2), b = seeded([c.outputChannels], seed: 3)
        let expected = referenceConv2d(x, w, b, stride: c.stride, padding: c.padding)
        expectClose(
            x.conv2d(weight: w, bias: b, stride: c.stride, padding: c.padding), expected,
            relativeTolerance: 1e-4, absoluteTolerance: 1e-4)
    }

    @Test(arguments: cases)
    func convTranspose2dMatchesReference(_ c: ConvCase) {
        // Transposed, the case's weight maps its `outputChannels` back to the input's channels.
        let w = seeded(c.weightShape, seed: 4), b = seeded([c.input[1]], seed: 5)
        let inputHeight = (c.input[2] + 2 * c.padding - c.kernel.0) / c.stride + 1
        let inputWidth = (c.input[3] + 2 * c.padding - c.kernel.1) / c.stride + 1
        let x = seeded([c.input[0], c.outputChannels, inputHeight, inputWidth], seed: 6)
        for outputPadding in Set([0, c.stride - 1]) {
            let expected = referenceConvTranspose2d(
                x, w, b, stride: c.stride, padding: c.padding, outputPadding: outputPadding)
            let y = x.convTranspose2d(
                weight: w, bias: b, stride: c.stride, padding: c.padding, outputPadding: outputPadding)
            expectClose(y, expected, relativeTolerance: 1e-4, absoluteTolerance: 1e-4, "outputPadding \(outputPadding)")
        }
    }

    @Test(arguments: cases)
    func transposedConvolutionIsTheAdjoint(_ c: ConvCase) {
        // ⟨conv(x, W), y⟩ = ⟨x, convᵀ(y, W)⟩, and the weight gradient is ∂⟨conv(x, W), y⟩/∂W.
        let x = seeded(c.input, seed: 7), w = seeded(c.weightShape, seed: 8)
        let y = seeded(x.conv2d(weight: w, stride: c.stride, padding: c.padding).shape, seed: 9)
        let extra = (c.input[2] + 2 * c.padding - c.kernel.0) % c.stride
        guard extra == (c.input[3] + 2 * c.padding - c.kernel.1) % c.stride else { return }
        let back = y.convTranspose2d(weight: w, stride: c.stride, padding: c.padding, outputPadding: extra)
        #expect(back.shape == x.shape)
        let lhs = dot(x.conv2d(weight: w, stride: c.stride, padding: c.padding), y), rhs = dot(x, back)
        #expect(Swift.abs(lhs - rhs) <= 1e-4 * Swift.max(1, Swift.abs(lhs)))
        let gw = Tensor.conv2dWeightGradient(
            input: x, outputGradient: y, kernelSize: c.kernel, stride: c.stride, padding: c.padding)
        #expect(Swift.abs(dot(gw, w) - lhs) <= 1e-4 * Swift.max(1, Swift.abs(lhs))) // bilinear: ⟨∂/∂W, W⟩ = value
    }

    @Test func weightGradientMatchesAutodiffOfTheReference() {
        let x = seeded([3, 2, 6, 5], seed: 10)
        let w = seeded([4, 2, 3, 3], seed: 11).requiringGradient()
        let y = x.conv2d(weight: w, stride: 2, padding: 1)
        let g = seeded(y.shape, seed: 12)
        let viaAutodiff = gradients(of: y, wrt: [w], seed: g)[0]
        let direct = Tensor.conv2dWeightGradient(input: x, outputGradient: g, kernelSize: (3, 3), stride: 2, padding: 1)
        expectClose(viaAutodiff, direct)
        // Reference: ∂/∂W[o,c,u,v] of ⟨conv(x, W), g⟩ by finite differences of a linear function.
        let numeric = numericalGradients(
            of: { referenceConv2d(x, $0[0], nil, stride: 2, padding: 1) },
            at: [w.detached()], cotangent: g, step: 0.5)[0]
        expectClose(direct, numeric, relativeTolerance: 1e-3, absoluteTolerance: 1e-3)
    }

    // MARK: - Gradients

    static let gradientCases: [GradientCase] = [
        GradientCase("conv2d", [seeded([2, 2, 5, 4], seed: 20), seeded([3, 2, 3, 2], seed: 21), seeded([3], seed: 22)])
        {
            $0[0].conv2d(weight: $0[1], bias: $0[2])
        },
        GradientCase(
            "conv2d stride 2 padding 1",
            [seeded([2, 2, 6, 5], seed: 23), seeded([3, 2, 3, 3], seed: 24), seeded([3], seed: 25)]
        ) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], stride: 2, padding: 1)
        },
        GradientCase(
            "conv2d stride 3 uncovered border", [seeded([1, 2, 8, 7], seed: 26), seeded([2, 2, 2, 2], seed: 27)]
        ) {
            $0[0].conv2d(weight: $0[1], stride: 3)
        },
        GradientCase(
            "convTranspose2d", [seeded([2, 3, 3, 4], seed: 28), seeded([3, 2, 3, 3], seed: 29), seeded([2], seed: 30)]
        ) {
            $0[0].convTranspose2d(weight: $0[1], bias: $0[2])
        },
        GradientCase(
            "convTranspose2d stride 2 padding 1 outputPadding 1",
            [seeded([2, 3, 3, 3], seed: 31), seeded([3, 2, 3, 3], seed: 32), seeded([2], seed: 33)]
        ) {
            $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1)
        },
        GradientCase(
            "conv2d fully connected",
            [seeded([2, 3, 3, 3], seed: 38), seeded([2, 3, 3, 3], seed: 39), seeded([2], seed: 40)]
        ) {
            $0[0].conv2d(weight: $0[1], bias: $0[2])
        },
        GradientCase("conv2d channels last", [seeded([1, 16, 4, 4], seed: 41), seeded([2, 16, 3, 3], seed: 42)]) {
            $0[0].conv2d(weight: $0[1], stride: 2, padding: 1)
        },
        GradientCase("conv2dWeightGradient", [seeded([2, 2, 5, 5], seed: 34), seeded([2, 3, 3, 3], seed: 35)]) {
            Tensor.conv2dWeightGradient(input: $0[0], outputGradient: $0[1], kernelSize: (2, 2), stride: 2, padding: 1)
        },
        GradientCase(
            "conv2dWeightGradient stride 2 uncovered border",
            [seeded([1, 2, 6, 6], seed: 36), seeded([1, 2, 2, 2], seed: 37)]
        ) {
            Tensor.conv2dWeightGradient(input: $0[0], outputGradient: $0[1], kernelSize: (3, 3), stride: 2)
        }
    ]

    @Test(arguments: gradientCases)
    func gradientsMatchFiniteDifferences(_ c: GradientCase) {
        expectGradientsMatchFiniteDifferences(
            c.function, at: c.inputs, relativeTolerance: 2e-3, absoluteTolerance: 3e-4, "\(c.name)")
    }

    @Test func biasGradientSumsOverBatchAndPixels() {
        let x = seeded([3, 2, 4, 4], seed: 40), w = seeded([5, 2, 3, 3], seed: 41)
        let b = Tensor.zeros([5]).requiringGradient()
        x.conv2d(weight: w, bias: b, padding: 1).sum().backward()
        #expect(b.gradient!.scalars == [Float](repeating: 48, count: 5)) // 3 images × 16 pixels
    }

    // MARK: - Second order

    static let secondOrderCases: [GradientCase] = [
        GradientCase(
            "tanh(conv2d)", [seeded([2, 2, 4, 4], seed: 50), seeded([2, 2, 3, 3], seed: 51), seeded([2], seed: 52)]
        ) {
            $0[0].conv2d(weight: $0[1], bias: $0[2], stride: 2, padding: 1).tanh()
        },
        GradientCase(
            "conv2d squared, stride 2 uncovered border",
            [seeded([1, 2, 6, 5], seed: 53), seeded([2, 2, 2, 2], seed: 54)]
        ) {
            $0[0].conv2d(weight: $0[1], stride: 2).squared()
        },
        GradientCase(
            "tanh(convTranspose2d)",
            [seeded([1, 2, 3, 3], seed: 55), seeded([2, 3, 3, 3], seed: 56), seeded([3], seed: 57)]
        ) {
            $0[0].convTranspose2d(weight: $0[1], bias: $0[2], stride: 2, padding: 1, outputPadding: 1).tanh()
        },
        GradientCase("conv2dWeightGradient squared", [seeded([1, 2, 5, 5], seed: 58), seeded([1, 2, 2, 2], seed: 59)]) {
            Tensor.conv2dWeightGradient(input: $0[0], outputGradient: $0[1], kernelSize: (3, 3), stride: 2).squared()
        }
    ]

    @Test(arguments: secondOrderCases)
    func secondOrderGradientsMatchFiniteDifferences(_ c: GradientCase) {
        expectSecondOrderMatchesFiniteDifferences(
            c.function, at: c.inputs, relativeTolerance: 5e-3, absoluteTolerance: 5e-4, "\(c.name)")
    }

    @Test func gradientPenaltyOfTheInputGradient() {
        // P(W) = ‖∂/∂x Σ tanh(conv(x, W))‖², differentiated with respect to W (a WGAN-GP style
        // penalty), against finite differences of P computed without createGraph.
        let x = seeded([2, 2, 5, 5], seed: 60)
        func penalty(_ w: Tensor, createGraph: Bool) -> Tensor {
            let input = x.detached().requiringGradient()
            let inputGradient = gradients(
                of: input.conv2d(weight: w, padding: 1).tanh().sum(), wrt: [input],
                createGraph: createGraph)[0]
            return inputGradient.squared().sum()
        }
        let w = seeded([3, 2, 3, 3], seed: 61).requiringGradient()
        let analytic = gradients(of: penalty(w, createGraph: true), wrt: [w])[0]
        let base = w.scalars, step: Float = 1e-2
        let numeric = base.indices.map { i -> Float in
            var plus = base, minus = base
            plus[i] += step
            minus[i] -= step
            let up = penalty(Tensor(plus, shape: w.shape), createGraph: false).scalar
            let down = penalty(Tensor(minus, shape: w.shape), createGraph: false).scalar
            return (up - down) / (2 * step)
        }
        #expect(analytic.shape == w.shape)
        expectClose(analytic.scalars, numeric, relativeTolerance: 1e-2, absoluteTolerance: 2e-3)
    }

    @Test func concurrentConvolutionsAreCorrect() async {
        // Large enough to split across the worker pool; callers that find the pool busy run
        // their tasks themselves. Either way every result must match (to rounding: a concurrent
        // large product elsewhere may switch OpenBLAS's thread count).
        let x = seeded([24, 6, 14, 14], seed: 70), w = seeded([16, 6, 5, 5], seed: 71)
        let g = seeded([24, 16, 10, 10], seed: 72)
        let expected = (
            x.conv2d(weight: w).scalars,
            Tensor.conv2dWeightGradient(input: x, outputGradient: g, kernelSize: (5, 5)).scalars,
            g.convTranspose2d(weight: w).scalars, x.maxPool2d(kernelSize: 2).scalars
        )
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    func differs(_ a: Tensor, _ b: [Float]) -> Int {
                        zip(a.scalars, b).allSatisfy { Swift.abs($0 - $1) <= 1e-4 * Swift.max(1, Swift.abs($1)) }
                            ? 0 : 1
                    }
                    var bad = 0
                    for _ in 0..<5 {
                        bad += differs(x.conv2d(weight: w), expected.0)
                        bad += differs(
                            Tensor.conv2dWeightGradient(input: x, outputGradient: g, kernelSize: (5, 5)), expected.1)
                        bad += differs(g.convTranspose2d(weight: w), expected.2)
                        bad += differs(x.maxPool2d(kernelSize: 2), expected.3)
                    }
                    return bad
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
        expectClose(
            x.conv2d(weight: w), referenceConv2d(x, w, nil, stride: 1, padding: 0), relativeTolerance: 1e-4,
            absoluteTolerance: 1e-4)
    }

    // MARK: - Errors

    @Test func mismatchedChannelsTrap() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([1, 3, 5, 5]).conv2d(weight: Tensor.zeros([2, 4, 3, 3]))
        }
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([1, 3, 2, 2]).conv2d(weight: Tensor.zeros([2, 3, 3, 3])) // kernel larger than image
        }
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([1, 3, 2, 2]).convTranspose2d(
                weight: Tensor.zeros([3, 1, 3, 3]), stride: 2, outputPadding: 2)
        }
    }
}
