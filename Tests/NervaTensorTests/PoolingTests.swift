import NervaTensor
import NervaTestSupport
import Testing

/// Max or average pooling one window at a time (padding as −∞ or 0; averages divide by k²).
func referencePool(_ x: Tensor, kernel k: Int, stride s: Int, padding p: Int, max: Bool) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let ho = (h + 2 * p - k) / s + 1, wo = (w + 2 * p - k) / s + 1
    let v = x.scalars
    var out: [Float] = []
    for plane in 0..<(n * c) {
        for i in 0..<ho {
            for j in 0..<wo {
                var best = -Float.infinity, total: Double = 0
                for u in 0..<k {
                    for t in 0..<k {
                        let r = i * s - p + u, q = j * s - p + t
                        guard r >= 0 && r < h && q >= 0 && q < w else { continue }
                        best = Swift.max(best, v[(plane * h + r) * w + q])
                        total += Double(v[(plane * h + r) * w + q])
                    }
                }
                out.append(max ? best : Float(total / Double(k * k)))
            }
        }
    }
    return Tensor(out, shape: [n, c, ho, wo])
}

@Suite struct PoolingTests {
    let ramp = Tensor((0..<16).map(Float.init), shape: [1, 1, 4, 4])

    // MARK: - Forward by hand

    @Test func maxPoolByHand() {
        let y = ramp.maxPool2d(kernelSize: 2)
        #expect(y.shape == [1, 1, 2, 2])
        #expect(y.scalars == [5, 7, 13, 15])
        // Overlapping 3×3 windows, stride 1, padding 1 (−∞): maxima of the clipped windows.
        let overlapping = Tensor([1, 5, 2, 4, 3, 9, 8, 7, 6], shape: [1, 1, 3, 3]).maxPool2d(
            kernelSize: 3, stride: 1, padding: 1)
        #expect(overlapping.scalars == [5, 9, 9, 8, 9, 9, 8, 9, 9])
        let negative = Tensor([-4, -3, -2, -1], shape: [1, 1, 2, 2]).maxPool2d(kernelSize: 2, stride: 1, padding: 1)
        #expect(negative.scalars == [-4, -3, -3, -2, -1, -1, -2, -1, -1]) // padding never wins
    }

    @Test func maxPoolGradientGoesToTheFirstMaximum() {
        let x = Tensor([1, 3, 3, 0, 2, 2, 2, 2], shape: [1, 2, 2, 2]).requiringGradient()
        let g = gradients(of: x.maxPool2d(kernelSize: 2), wrt: [x], seed: Tensor([10, 20], shape: [1, 2, 1, 1]))[0]
        #expect(g.scalars == [0, 10, 0, 0, 20, 0, 0, 0])
        // Overlapping windows add their gradients on a shared maximum.
        let y = Tensor([0, 9, 0, 0, 0, 0], shape: [1, 1, 2, 3]).requiringGradient()
        let shared = gradients(of: y.maxPool2d(kernelSize: 2, stride: 1), wrt: [y])[0]
        #expect(shared.scalars == [0, 2, 0, 0, 0, 0])
    }

    @Test func maxPoolPropagatesNaN() {
        let x = Tensor([1, .nan, 3, 4], shape: [1, 1, 2, 2])
        #expect(x.maxPool2d(kernelSize: 2).scalars[0].isNaN)
    }

    @Test func avgPoolByHand() {
        #expect(ramp.avgPool2d(kernelSize: 2).scalars == [2.5, 4.5, 10.5, 12.5])
        // count_include_pad: border windows still divide by 9.
        expectClose(
            ramp.avgPool2d(kernelSize: 3, stride: 2, padding: 1),
            Tensor([10, 24, 51, 90].map { $0 / 9 }, shape: [1, 1, 2, 2]))
        let x = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2]).requiringGradient()
        let g = gradients(of: x.avgPool2d(kernelSize: 2, stride: 1, padding: 1), wrt: [x])[0]
        #expect(g.scalars == [1, 1, 1, 1]) // each pixel lies in 4 windows, each weighing it 1/4
    }

    @Test func upsampleNearestByHand() {
        let x = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2]).requiringGradient()
        let y = x.upsampledNearest(scale: 2)
        #expect(y.shape == [1, 1, 4, 4])
        #expect(y.scalars == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        let seed = Tensor((0..<16).map(Float.init), shape: [1, 1, 4, 4])
        #expect(gradients(of: y, wrt: [x], seed: seed)[0].scalars == [10, 18, 42, 50]) // block sums
        #expect(Tensor.zeros([2, 3, 1, 5]).upsampledNearest(scale: 3).shape == [2, 3, 3, 15])
    }

    @Test func outputShapesFollowPyTorch() {
        let x = Tensor.zeros([2, 3, 9, 8])
        #expect(x.maxPool2d(kernelSize: 2).shape == [2, 3, 4, 4])
        #expect(x.maxPool2d(kernelSize: 3, stride: 2, padding: 1).shape == [2, 3, 5, 4])
        #expect(x.avgPool2d(kernelSize: 3, stride: 1).shape == [2, 3, 7, 6])
        #expect(x.avgPool2d(kernelSize: 4, stride: 3, padding: 2).shape == [2, 3, 4, 3])
    }

    // MARK: - Against references

    @Test(arguments: [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0), (4, 3, 2)])
    func poolsMatchReference(_ k: Int, _ s: Int, _ p: Int) {
        for shape in [[2, 3, 7, 6], [16, 8, 24, 24]] { // the larger one is split across threads
            let x = seeded(shape, seed: UInt64(k * 100 + s * 10 + p))
            expectClose(
                x.maxPool2d(kernelSize: k, stride: s, padding: p),
                referencePool(x, kernel: k, stride: s, padding: p, max: true))
            expectClose(
                x.avgPool2d(kernelSize: k, stride: s, padding: p),
                referencePool(x, kernel: k, stride: s, padding: p, max: false),
                absoluteTolerance: 1e-6)
        }
    }

    // MARK: - Gradients

    static let gradientCases: [GradientCase] = [
        GradientCase("maxPool2d 2", [distinct([2, 2, 4, 6], seed: 1)]) { $0[0].maxPool2d(kernelSize: 2) },
        GradientCase("maxPool2d 3 stride 2 padding 1", [distinct([1, 2, 7, 5], seed: 2)]) {
            $0[0].maxPool2d(kernelSize: 3, stride: 2, padding: 1)
        },
        GradientCase("maxPool2d overlapping", [distinct([1, 1, 5, 5], seed: 3)]) {
            $0[0].maxPool2d(kernelSize: 3, stride: 1)
        },
        GradientCase("avgPool2d 2", [seeded([2, 2, 4, 5], seed: 4)]) { $0[0].avgPool2d(kernelSize: 2) },
        GradientCase("avgPool2d 3 stride 2 padding 1", [seeded([1, 2, 6, 7], seed: 5)]) {
            $0[0].avgPool2d(kernelSize: 3, stride: 2, padding: 1)
        },
        GradientCase("upsampledNearest 2", [seeded([2, 2, 3, 2], seed: 6)]) { $0[0].upsampledNearest(scale: 2) },
        GradientCase("upsampledNearest 3", [seeded([1, 1, 2, 3], seed: 7)]) { $0[0].upsampledNearest(scale: 3) }
    ]

    @Test(arguments: gradientCases)
    func gradientsMatchFiniteDifferences(_ c: GradientCase) {
        expectGradientsMatchFiniteDifferences(
            c.function, at: c.inputs, relativeTolerance: 2e-3, absoluteTolerance: 3e-4, "\(c.name)")
    }

    static let secondOrderCases: [GradientCase] = [
        // max pooling is piecewise linear: the second derivative comes from squaring, through
        // the scatter of its pullback and the gather of that scatter's pullback.
        GradientCase("maxPool2d squared", [distinct([1, 2, 4, 4], seed: 10)]) {
            $0[0].maxPool2d(kernelSize: 2).squared() * 0.1
        },
        GradientCase("tanh(maxPool2d) padded", [distinct([1, 1, 5, 5], seed: 11) * 0.2]) {
            $0[0].maxPool2d(kernelSize: 3, stride: 2, padding: 1).tanh()
        },
        GradientCase("tanh(avgPool2d)", [seeded([1, 2, 5, 5], seed: 12)]) {
            $0[0].avgPool2d(kernelSize: 3, stride: 2, padding: 1).tanh()
        },
        GradientCase("tanh(upsampledNearest)", [seeded([1, 2, 2, 3], seed: 13)]) {
            $0[0].upsampledNearest(scale: 2).tanh()
        }
    ]

    @Test(arguments: secondOrderCases)
    func secondOrderGradientsMatchFiniteDifferences(_ c: GradientCase) {
        expectSecondOrderMatchesFiniteDifferences(
            c.function, at: c.inputs, relativeTolerance: 5e-3, absoluteTolerance: 5e-4, "\(c.name)")
    }

    @Test func maxPoolDoubleBackwardIsLinearInTheSeed() {
        // The pullback of the pullback gathers at the recorded maxima: ∂⟨v, ∂⟨g, pool(x)⟩/∂x⟩/∂g = gather(v).
        let x = distinct([1, 1, 4, 4], seed: 20).requiringGradient()
        let g = Tensor.ones([1, 1, 2, 2]).requiringGradient()
        let first = gradients(of: x.maxPool2d(kernelSize: 2), wrt: [x], seed: g, createGraph: true)[0]
        let v = Tensor((0..<16).map(Float.init), shape: [1, 1, 4, 4])
        let second = gradients(of: (first * v).sum(), wrt: [g])[0]
        #expect(
            second.scalars
                == x.maxPool2d(kernelSize: 2).scalars.map { value in
                    Float(x.scalars.firstIndex(of: value)!)
                })
    }

    // MARK: - Errors

    @Test func invalidSettingsTrap() async {
        await #expect(processExitsWith: .failure) {
            _ = Tensor.zeros([1, 1, 4, 4]).maxPool2d(kernelSize: 2, padding: 2)
        }
        await #expect(processExitsWith: .failure) { _ = Tensor.zeros([1, 4, 4]).avgPool2d(kernelSize: 2) }
        await #expect(processExitsWith: .failure) { _ = Tensor.zeros([1, 1, 4, 4]).upsampledNearest(scale: 0) }
    }
}
