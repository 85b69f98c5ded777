import Foundation
import NervaNN
import NervaTensor
import NervaTestSupport
import Testing

/// Inputs kept away from the kink at 0, so that finite differences are meaningful.
private let smoothInputs = Tensor([-2.5, -1.1, -0.4, 0.3, 0.9, 1.7, 3.2, -0.05 * 3], shape: [2, 4])

@Suite struct ActivationsTests {
    @Test func reluValues() {
        let x = Tensor([-2, -0.5, 0, 0.5, 3], shape: [5])
        #expect(ReLU()(x).scalars == [0, 0, 0, 0.5, 3])
    }

    @Test func leakyReLUValues() {
        let x = Tensor([-2, -0.5, 0, 0.5, 3], shape: [5])
        expectClose(LeakyReLU(negativeSlope: 0.2)(x), Tensor([-0.4, -0.1, 0, 0.5, 3]))
        expectClose(LeakyReLU()(x), Tensor([-0.02, -0.005, 0, 0.5, 3]))
        #expect(LeakyReLU().negativeSlope == 0.01)
    }

    @Test func sigmoidValuesAndSaturation() {
        let x = Tensor([-3, -1, 0, 1, 3, -100, 100], shape: [7])
        let expected = x.scalars.map { Float(1 / (1 + Foundation.exp(-Double($0)))) }
        expectClose(Sigmoid()(x), Tensor(expected))
        let y = Sigmoid()(x).scalars
        #expect(y.allSatisfy { $0.isFinite })
        #expect(y[5] >= 0 && y[5] < 1e-30)
        #expect(y[6] == 1)
    }

    @Test func tanhValues() {
        let x = Tensor([-3, -0.7, 0, 0.2, 1.5, 50], shape: [6])
        expectClose(Tanh()(x), Tensor(x.scalars.map { Float(Foundation.tanh(Double($0))) }))
    }

    @Test func softmaxAlongTheLastAxisByDefault() {
        let x = Tensor([1, 2, 3, 0, 0, 0], shape: [2, 3])
        let e1 = Foundation.exp(1.0), e2 = Foundation.exp(2.0), e3 = Foundation.exp(3.0), s = e1 + e2 + e3
        let expected = [e1 / s, e2 / s, e3 / s, 1.0 / 3, 1.0 / 3, 1.0 / 3].map { Float($0) }
        expectClose(Softmax()(x), Tensor(expected, shape: [2, 3]))
        #expect(Softmax().axis == -1)
    }

    @Test func softmaxAlongAnotherAxisAndLargeLogits() {
        let x = Tensor([1, 2, 3, 1, 2, 1000], shape: [2, 3])
        let y = Softmax(axis: 0)(x)
        // Columns sum to one; the first column has equal entries.
        expectClose(y.sum(alongAxis: 0), Tensor([1, 1, 1]))
        expectClose(Array(y.scalars[0..<1]) + Array(y.scalars[3..<4]), [0.5, 0.5])
        #expect(y.scalars[5] == 1 && y.scalars[2] >= 0 && y.scalars[2] < 1e-30)
        let rows = Softmax()(x).scalars
        #expect(rows.allSatisfy { $0.isFinite })
        expectClose(Array(rows[3...]), [0, 0, 1])
    }

    @Test func flattenKeepsTheFirstAxis() {
        let x = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let y = Flatten()(x)
        #expect(y.shape == [2, 12])
        #expect(y.scalars == x.scalars)
        #expect(Flatten()(Tensor.zeros([5, 2])).shape == [5, 2])
    }

    @Test func activationsHaveNoParametersAndDescribeTheirSettings() {
        let layers: [any Layer] = [ReLU(), LeakyReLU(), Sigmoid(), Tanh(), Softmax(), Flatten()]
        #expect(layers.allSatisfy { $0.parameterCount == 0 && $0.namedBuffers().isEmpty })
        #expect(
            layers.map(\.description) == [
                "ReLU()", "LeakyReLU(negativeSlope: 0.01)", "Sigmoid()", "Tanh()", "Softmax(axis: -1)", "Flatten()"
            ])
    }

    @Test func gradientsMatchFiniteDifferences() {
        let layers: [(String, any Layer)] = [
            ("relu", ReLU()), ("leaky", LeakyReLU(negativeSlope: 0.3)), ("sigmoid", Sigmoid()), ("tanh", Tanh()),
            ("softmax", Softmax()), ("softmax0", Softmax(axis: 0)), ("flatten", Flatten())
        ]
        for (name, layer) in layers {
            expectGradientsMatchFiniteDifferences(
                { layer($0[0]) }, at: [smoothInputs], step: 1e-3, Comment(rawValue: name))
        }
    }

    @Test func reluAndLeakyReLUGradientsByHand() {
        let x = Tensor([-2, -0.5, 0.5, 3], shape: [4]).requiringGradient()
        ReLU()(x).sum().backward()
        #expect(x.gradient!.scalars == [0, 0, 1, 1])
        let z = Tensor([-2, -0.5, 0.5, 3], shape: [4]).requiringGradient()
        LeakyReLU(negativeSlope: 0.25)(z).sum().backward()
        #expect(z.gradient!.scalars == [0.25, 0.25, 1, 1])
    }

    @Test func activationsInsideSequential() {
        let x = Tensor([-1, 2], shape: [1, 2])
        let net = Sequential(ReLU(), LeakyReLU(), Tanh(), Softmax())
        let t = Float(Foundation.tanh(2.0))
        let e0 = 1.0, e1 = Foundation.exp(Double(t))
        expectClose(net(x), Tensor([Float(e0 / (e0 + e1)), Float(e1 / (e0 + e1))], shape: [1, 2]))
    }
}
