import NervaNN
import NervaOptim
import NervaTensor
import NervaTestSupport
import Testing

private let initial: [Float] = [1.5, -2, 2.5, 3, -1]
private let gradientSteps: [[Float]] = [
    [0.1, -0.3, 0.8, -0.05, 0.5],
    [0.2, -0.1, -0.4, 0.3, 0.5],
    [-0.15, 0.25, 0.6, 0.1, 0.45]
]

private func trajectory(_ optimizer: Optimizer, _ parameter: Tensor, _ gradients: [[Float]]) -> [[Float]] {
    gradients.map { g in
        parameter.gradient = Tensor(g, shape: parameter.shape)
        optimizer.step()
        return parameter.scalars
    }
}

/// `torch.optim.RMSprop` as documented, in double precision:
/// g ← g + λθ; v ← αv + (1 − α)g²; centred: ḡ ← αḡ + (1 − α)g, ṽ = v − ḡ²;
/// momentum: b ← μb + g / (√ṽ + ε), θ ← θ − γb; else θ ← θ − γ g / (√ṽ + ε).
private func referenceRMSprop(
    _ start: [Float], _ gradients: [[Float]], lr: Float, alpha: Float = 0.99, epsilon: Float = 1e-8,
    weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false
) -> [[Float]] {
    let lr = Double(lr), a = Double(alpha), eps = Double(epsilon), wd = Double(weightDecay), mu = Double(momentum)
    var theta = start.map(Double.init)
    var v = [Double](repeating: 0, count: start.count), mean = v, buffer = v
    var result: [[Float]] = []
    for gradient in gradients {
        for i in theta.indices {
            let g = Double(gradient[i]) + wd * theta[i]
            v[i] = a * v[i] + (1 - a) * g * g
            var average = v[i]
            if centered {
                mean[i] = a * mean[i] + (1 - a) * g
                average -= mean[i] * mean[i]
            }
            let denominator = average.squareRoot() + eps
            if mu > 0 {
                buffer[i] = mu * buffer[i] + g / denominator
                theta[i] -= lr * buffer[i]
            } else {
                theta[i] -= lr * g / denominator
            }
        }
        result.append(theta.map(Float.init))
    }
    return result
}

private func expectTrajectory(
    _ actual: [[Float]], _ expected: [[Float]], sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    for (step, (a, e)) in zip(actual, expected).enumerated() {
        expectClose(
            a, e, relativeTolerance: 1e-6, absoluteTolerance: 1e-7, "step \(step + 1)", sourceLocation: sourceLocation)
    }
}

@Suite struct RMSpropTests {
    // MARK: - Hand-computed steps (θ₀ = 1, g = 0.5, γ = 0.01, α = 0.99)

    @Test func plainStepsByHand() {
        // v = 0.0025 → θ = 1 − 0.01 · 0.5 / 0.05 = 0.9; v = 0.004975 → θ = 0.9 − 0.005 / √0.004975.
        let p = Tensor([1]).requiringGradient()
        let steps = trajectory(RMSprop([p], learningRate: 0.01), p, [[0.5], [0.5]])
        expectTrajectory(steps, [[0.9], [Float(0.9 - 0.005 / 0.004975.squareRoot())]])
    }

    @Test func centeredStepByHand() {
        // v = 0.0025, ḡ = 0.005: ṽ = 0.0025 − 0.000025 = 0.002475.
        let p = Tensor([1]).requiringGradient()
        let steps = trajectory(RMSprop([p], learningRate: 0.01, centered: true), p, [[0.5]])
        expectTrajectory(steps, [[Float(1 - 0.005 / 0.002475.squareRoot())]])
    }

    @Test func momentumStepsByHand() {
        // b = 0.5 / 0.05 = 10 → θ = 0.9; b = 0.9 · 10 + 0.5 / √0.004975 → θ = 0.9 − 0.01 b.
        let p = Tensor([1]).requiringGradient()
        let steps = trajectory(RMSprop([p], learningRate: 0.01, momentum: 0.9), p, [[0.5], [0.5]])
        let b2 = 9 + 0.5 / 0.004975.squareRoot()
        expectTrajectory(steps, [[0.9], [Float(0.9 - 0.01 * b2)]])
    }

    // MARK: - Against the documented algorithm

    struct Configuration: Sendable, CustomTestStringConvertible {
        var lr: Float = 0.01, alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0
        var momentum: Float = 0, centered = false
        var testDescription: String {
            "lr \(lr) α \(alpha) ε \(epsilon) λ \(weightDecay) μ \(momentum) centred \(centered)"
        }
    }

    @Test(arguments: [
        Configuration(),
        Configuration(lr: 0.05, alpha: 0.9),
        Configuration(epsilon: 0.1),
        Configuration(weightDecay: 0.1),
        Configuration(centered: true),
        Configuration(alpha: 0.8, centered: true),
        Configuration(momentum: 0.9),
        Configuration(lr: 0.02, alpha: 0.7, epsilon: 1e-3, weightDecay: 0.2, momentum: 0.5, centered: true)
    ])
    func matchesTorchAlgorithm(_ c: Configuration) {
        let p = Tensor(initial).requiringGradient()
        let optimizer = RMSprop(
            [p], learningRate: c.lr, alpha: c.alpha, epsilon: c.epsilon, weightDecay: c.weightDecay,
            momentum: c.momentum, centered: c.centered)
        let expected = referenceRMSprop(
            initial, gradientSteps, lr: c.lr, alpha: c.alpha, epsilon: c.epsilon,
            weightDecay: c.weightDecay, momentum: c.momentum, centered: c.centered)
        expectTrajectory(trajectory(optimizer, p, gradientSteps), expected)
    }

    @Test func stateUsesTorchNames() {
        let p = Tensor([1, 2]).requiringGradient()
        let plain = RMSprop([p], learningRate: 0.01)
        _ = trajectory(plain, p, [[0.5, 1]])
        #expect(Set(plain.stateDictionary().keys) == ["learning_rate", "0.step", "0.square_avg"])
        expectClose(plain.stateDictionary()["0.square_avg"]!, Tensor([0.0025, 0.01]), relativeTolerance: 1e-6)
        let q = Tensor([1, 2]).requiringGradient()
        let full = RMSprop([q], learningRate: 0.01, momentum: 0.5, centered: true)
        _ = trajectory(full, q, [[0.5, 1]])
        #expect(
            Set(full.stateDictionary().keys) == [
                "learning_rate", "0.step", "0.square_avg", "0.grad_avg", "0.momentum_buffer"
            ])
        expectClose(full.stateDictionary()["0.grad_avg"]!, Tensor([0.005, 0.01]), relativeTolerance: 1e-6)
    }

    // MARK: - Sparse gradients and bookkeeping

    @Test func rowSparseGradientMatchesDense() {
        let sparse = Embedding(count: 5, dimension: 2, generator: RandomGenerator(seed: 1))
        let dense = Embedding(count: 5, dimension: 2, sparseGradients: false, generator: RandomGenerator(seed: 1))
        let a = RMSprop(sparse.parameters(), learningRate: 0.01, momentum: 0.5, centered: true)
        let b = RMSprop(dense.parameters(), learningRate: 0.01, momentum: 0.5, centered: true)
        for ids in [[1, 1, 3], [0, 3], [2]] {
            a.zeroGradients()
            b.zeroGradients()
            for table in [sparse, dense] { table(ids).tanh().sum().backward() }
            #expect(sparse.weight.gradient!.isRowSparse)
            a.step()
            b.step()
            expectClose(sparse.weight, dense.weight, relativeTolerance: 1e-6, absoluteTolerance: 1e-7)
        }
    }

    @Test func parametersWithoutGradientAreUntouched() {
        let used = Tensor([1, 2]).requiringGradient(), unused = Tensor([3, 4, 5]).requiringGradient()
        let optimizer = RMSprop([used, unused], learningRate: 0.1, weightDecay: 0.5, momentum: 0.9, centered: true)
        used.gradient = Tensor([1, 1])
        optimizer.step()
        optimizer.step()
        #expect(unused.scalars == [3, 4, 5])
        #expect(used.scalars != [1, 2])
        #expect(!optimizer.stateDictionary().keys.contains { $0.hasPrefix("1.") })
    }

    @Test func stateRoundTripContinuesLikeAnUninterruptedRun() throws {
        let gradients = gradientSteps + [[0.3, 0.3, -0.2, 0.1, 0]]
        func make(_ p: Tensor) -> RMSprop {
            RMSprop([p], learningRate: 0.02, alpha: 0.9, weightDecay: 0.05, momentum: 0.7, centered: true)
        }
        let reference = Tensor(initial).requiringGradient()
        let uninterrupted = trajectory(make(reference), reference, gradients)
        let p = Tensor(initial).requiringGradient()
        let first = make(p)
        _ = trajectory(first, p, Array(gradients[..<2]))
        let resumedParameter = Tensor(p.scalars).requiringGradient()
        let resumed = make(resumedParameter)
        try resumed.load(stateDictionary: first.stateDictionary())
        #expect(trajectory(resumed, resumedParameter, Array(gradients[2...])) == Array(uninterrupted[2...]))
    }

    @Test func loadRejectsForeignStateAndKeepsItsOwn() {
        let p = Tensor(initial).requiringGradient()
        let optimizer = RMSprop([p], learningRate: 0.01, centered: true)
        _ = trajectory(optimizer, p, [gradientSteps[0]])
        let before = optimizer.stateDictionary().mapValues(\.scalars)
        #expect(throws: OptimizerStateError.unexpectedKey("-1.square_avg")) {
            try optimizer.load(stateDictionary: ["-1.square_avg": Tensor.zeros([5])])
        }
        #expect(throws: OptimizerStateError.shapeMismatch(key: "0.grad_avg", expected: [5], actual: [5, 1])) {
            try optimizer.load(stateDictionary: ["0.square_avg": Tensor.zeros([5]), "0.grad_avg": Tensor.zeros([5, 1])])
        }
        #expect(optimizer.stateDictionary().mapValues(\.scalars) == before)
        let continued = trajectory(optimizer, p, [gradientSteps[1]])
        expectClose(
            continued[0], referenceRMSprop(initial, Array(gradientSteps[..<2]), lr: 0.01, centered: true)[1],
            relativeTolerance: 1e-6, absoluteTolerance: 1e-7)
    }
}
