import NervaNN
import NervaOptim
import NervaTensor
import NervaTestSupport
import Testing

/// A different gradient for each of three steps, so that the order of terms matters.
private let initial: [Float] = [1.5, -2, 2.5, 3]
private let gradientSteps: [[Float]] = [[0.1, -0.3, 0.8, -0.05], [0.2, -0.1, -0.4, 0.3], [-0.15, 0.25, 0.6, 0.1]]

/// Sets each gradient in turn and steps; returns the parameter after every step.
private func trajectory(_ optimizer: Optimizer, _ parameter: Tensor, _ gradients: [[Float]]) -> [[Float]] {
    gradients.map { g in
        parameter.gradient = Tensor(g, shape: parameter.shape)
        optimizer.step()
        return parameter.scalars
    }
}

/// `torch.optim.SGD`'s documented algorithm, in double precision:
/// g ← g + λθ; b ← g on the first step, else μb + (1 − τ)g; g ← g + μb (Nesterov) or b; θ ← θ − γg.
private func referenceSGD(
    _ start: [Float], _ gradients: [[Float]], lr: Float, momentum: Float = 0, dampening: Float = 0,
    nesterov: Bool = false, weightDecay: Float = 0
) -> [[Float]] {
    let lr = Double(lr), mu = Double(momentum), tau = Double(dampening), wd = Double(weightDecay)
    var theta = start.map(Double.init)
    var buffer: [Double]? = nil
    var result: [[Float]] = []
    for gradient in gradients {
        var g = zip(gradient, theta).map { Double($0) + wd * $1 }
        if mu != 0 {
            let b = buffer.map { zip($0, g).map { mu * $0 + (1 - tau) * $1 } } ?? g
            buffer = b
            g = nesterov ? zip(g, b).map { $0 + mu * $1 } : b
        }
        theta = zip(theta, g).map { $0 - lr * $1 }
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

@Suite struct SGDTests {
    // MARK: - Hand-computed steps (θ₀ = 1, constant g = 0.5, γ = 0.1)

    @Test func plainStepsByHand() {
        let p = Tensor([1, -2]).requiringGradient()
        let steps = trajectory(SGD([p], learningRate: 0.1), p, Array(repeating: [0.5, -1], count: 3))
        expectTrajectory(steps, [[0.95, -1.9], [0.9, -1.8], [0.85, -1.7]])
    }

    @Test func momentumStepsByHand() {
        // b: 0.5, 0.95, 1.355 → θ: 0.95, 0.855, 0.7195.
        let p = Tensor([1]).requiringGradient()
        let steps = trajectory(SGD([p], learningRate: 0.1, momentum: 0.9), p, Array(repeating: [0.5], count: 3))
        expectTrajectory(steps, [[0.95], [0.855], [0.7195]])
    }

    @Test func dampeningStepsByHand() {
        // The first step takes g undamped: b = 0.5; then b = 0.9·0.5 + 0.5·0.5 = 0.7, 0.9·0.7 + 0.25 = 0.88.
        let p = Tensor([1]).requiringGradient()
        let steps = trajectory(
            SGD([p], learningRate: 0.1, momentum: 0.9, dampening: 0.5), p, Array(repeating: [0.5], count: 3))
        expectTrajectory(steps, [[0.95], [0.88], [0.792]])
    }

    @Test func nesterovStepsByHand() {
        // b: 0.5, 0.95, 1.355; update g + 0.9 b: 0.95, 1.355, 1.7195.
        let p = Tensor([1]).requiringGradient()
        let steps = trajectory(
            SGD([p], learningRate: 0.1, momentum: 0.9, nesterov: true), p, Array(repeating: [0.5], count: 3))
        expectTrajectory(steps, [[0.905], [0.7695], [0.59755]])
    }

    @Test func weightDecayStepsByHand() {
        // g + 0.1 θ: 0.6 → 0.94; 0.594 → 0.8806; 0.58806 → 0.821794.
        let p = Tensor([1]).requiringGradient()
        let steps = trajectory(SGD([p], learningRate: 0.1, weightDecay: 0.1), p, Array(repeating: [0.5], count: 3))
        expectTrajectory(steps, [[0.94], [0.8806], [0.821794]])
    }

    // MARK: - Against the documented algorithm, with changing gradients

    struct Configuration: Sendable, CustomTestStringConvertible {
        var lr: Float = 0.1, momentum: Float = 0, dampening: Float = 0, nesterov = false, weightDecay: Float = 0
        var testDescription: String { "lr \(lr) μ \(momentum) τ \(dampening) nesterov \(nesterov) λ \(weightDecay)" }
    }

    @Test(arguments: [
        Configuration(),
        Configuration(lr: 0.05, weightDecay: 0.2),
        Configuration(momentum: 0.9),
        Configuration(momentum: 0.8, dampening: 0.3),
        Configuration(momentum: 0.9, nesterov: true),
        Configuration(momentum: 0.7, weightDecay: 0.05),
        Configuration(lr: 0.3, momentum: 0.9, nesterov: true, weightDecay: 0.1),
        Configuration(momentum: 0.5, dampening: 0.5, weightDecay: 0.01)
    ])
    func matchesTorchAlgorithm(_ c: Configuration) {
        let p = Tensor(initial).requiringGradient()
        let optimizer = SGD(
            [p], learningRate: c.lr, momentum: c.momentum, dampening: c.dampening,
            nesterov: c.nesterov, weightDecay: c.weightDecay)
        let expected = referenceSGD(
            initial, gradientSteps, lr: c.lr, momentum: c.momentum, dampening: c.dampening,
            nesterov: c.nesterov, weightDecay: c.weightDecay)
        expectTrajectory(trajectory(optimizer, p, gradientSteps), expected)
    }

    @Test func matrixParameterAndLearningRateChangesBetweenSteps() {
        let p = Tensor(initial, shape: [2, 2]).requiringGradient()
        let optimizer = SGD([p], learningRate: 0.1, momentum: 0.9)
        _ = trajectory(optimizer, p, [gradientSteps[0]])
        optimizer.learningRate = 0.01
        let second = trajectory(optimizer, p, [gradientSteps[1]])
        // θ₂ = θ₁ − 0.01 · (0.9 g₁ + g₂).
        let first = referenceSGD(initial, [gradientSteps[0]], lr: 0.1, momentum: 0.9)[0]
        let expected = (0..<4).map { first[$0] - 0.01 * (0.9 * gradientSteps[0][$0] + gradientSteps[1][$0]) }
        expectClose(second[0], expected, relativeTolerance: 1e-6, absoluteTolerance: 1e-7)
    }

    // MARK: - Sparse gradients

    @Test func rowSparseGradientUpdatesOnlyTouchedRowsLikeDense() {
        let sparse = Embedding(count: 6, dimension: 3, generator: RandomGenerator(seed: 1))
        let dense = Embedding(count: 6, dimension: 3, sparseGradients: false, generator: RandomGenerator(seed: 1))
        let start = sparse.weight.scalars
        let sparseSGD = SGD(sparse.parameters(), learningRate: 0.1),
            denseSGD = SGD(dense.parameters(), learningRate: 0.1)
        let weights = Tensor.normal([3, 3], generator: RandomGenerator(seed: 2))
        for table in [sparse, dense] { (table([1, 4, 1]) * weights).sum().backward() }
        #expect(sparse.weight.gradient!.isRowSparse)
        sparseSGD.step()
        denseSGD.step()
        let after = sparse.weight.scalars
        for row in [0, 2, 3, 5] {
            #expect(after[row * 3..<row * 3 + 3] == start[row * 3..<row * 3 + 3], "row \(row) moved")
        }
        for row in [1, 4] {
            #expect(after[row * 3..<row * 3 + 3] != start[row * 3..<row * 3 + 3], "row \(row) did not move")
        }
        expectClose(sparse.weight, dense.weight, relativeTolerance: 1e-6, absoluteTolerance: 1e-7)
        // Row 1 moved by the sum of both lookups' gradients.
        let w = weights.scalars
        expectClose(
            Array(after[3..<6]), (0..<3).map { start[3 + $0] - 0.1 * (w[$0] + w[6 + $0]) },
            relativeTolerance: 1e-6, absoluteTolerance: 1e-7)
        // A second step with other rows.
        sparseSGD.zeroGradients()
        denseSGD.zeroGradients()
        for table in [sparse, dense] { table([5, 0]).squared().sum().backward() }
        sparseSGD.step()
        denseSGD.step()
        expectClose(sparse.weight, dense.weight, relativeTolerance: 1e-6, absoluteTolerance: 1e-7)
    }

    @Test(arguments: [(Float(0.9), Float(0)), (0, 0.1), (0.9, 0.1)])
    func rowSparseGradientWithMomentumOrDecayMatchesDense(momentum: Float, weightDecay: Float) {
        let sparse = Embedding(count: 5, dimension: 2, generator: RandomGenerator(seed: 3))
        let dense = Embedding(count: 5, dimension: 2, sparseGradients: false, generator: RandomGenerator(seed: 3))
        let a = SGD(sparse.parameters(), learningRate: 0.1, momentum: momentum, weightDecay: weightDecay)
        let b = SGD(dense.parameters(), learningRate: 0.1, momentum: momentum, weightDecay: weightDecay)
        for ids in [[1, 1, 3], [0, 3], [2]] {
            a.zeroGradients()
            b.zeroGradients()
            for table in [sparse, dense] { table(ids).tanh().sum().backward() }
            a.step()
            b.step()
            expectClose(sparse.weight, dense.weight, relativeTolerance: 1e-6, absoluteTolerance: 1e-7)
        }
    }

    // MARK: - Bookkeeping

    @Test func parametersWithoutGradientAreUntouched() {
        let used = Tensor([1, 2]).requiringGradient(), unused = Tensor([3, 4, 5]).requiringGradient()
        let optimizer = SGD([used, unused], learningRate: 0.1, momentum: 0.9, weightDecay: 0.5)
        used.gradient = Tensor([1, 1])
        optimizer.step()
        optimizer.step()
        #expect(unused.scalars == [3, 4, 5])
        #expect(used.scalars != [1, 2])
        #expect(Set(optimizer.stateDictionary().keys) == ["learning_rate", "0.momentum_buffer"])
    }

    @Test func zeroGradientsClearsGradients() {
        let p = Tensor([1, 2]).requiringGradient()
        let optimizer = SGD([p], learningRate: 0.1)
        p.gradient = Tensor([1, 1])
        optimizer.zeroGradients()
        #expect(p.gradient == nil)
        optimizer.step()
        #expect(p.scalars == [1, 2])
    }

    @Test(arguments: [false, true])
    func stateRoundTripContinuesLikeAnUninterruptedRun(nesterov: Bool) throws {
        let gradients = gradientSteps + [[0.3, 0.3, -0.2, 0.1]]
        let reference = Tensor(initial).requiringGradient()
        let uninterrupted = trajectory(
            SGD([reference], learningRate: 0.1, momentum: 0.9, nesterov: nesterov), reference, gradients)

        let p = Tensor(initial).requiringGradient()
        let first = SGD([p], learningRate: 0.1, momentum: 0.9, nesterov: nesterov)
        _ = trajectory(first, p, Array(gradients[..<2]))
        let state = first.stateDictionary()
        #expect(Set(state.keys) == ["learning_rate", "0.momentum_buffer"])
        #expect(state["learning_rate"]!.scalar == 0.1)

        let resumedParameter = Tensor(p.scalars).requiringGradient()
        let resumed = SGD([resumedParameter], learningRate: 0.5, momentum: 0.9, nesterov: nesterov)
        try resumed.load(stateDictionary: state)
        #expect(resumed.learningRate == 0.1)
        let continued = trajectory(resumed, resumedParameter, Array(gradients[2...]))
        #expect(continued == Array(uninterrupted[2...]))
        // Without the state, the next step would restart the momentum buffer and differ.
        let fresh = Tensor(p.scalars).requiringGradient()
        #expect(
            trajectory(SGD([fresh], learningRate: 0.1, momentum: 0.9, nesterov: nesterov), fresh, [gradients[2]])[0]
                != uninterrupted[2])
    }

    @Test func loadRejectsForeignStateAndKeepsItsOwn() {
        let p = Tensor(initial).requiringGradient()
        let optimizer = SGD([p], learningRate: 0.1, momentum: 0.9)
        _ = trajectory(optimizer, p, [gradientSteps[0]])
        let before = optimizer.stateDictionary().mapValues(\.scalars)
        #expect(throws: OptimizerStateError.unexpectedKey("1.momentum_buffer")) {
            try optimizer.load(stateDictionary: ["1.momentum_buffer": Tensor.zeros([4])])
        }
        #expect(throws: OptimizerStateError.unexpectedKey("momentum_buffer")) {
            try optimizer.load(stateDictionary: ["momentum_buffer": Tensor.zeros([4])])
        }
        #expect(throws: OptimizerStateError.unexpectedKey("first.momentum_buffer")) {
            try optimizer.load(stateDictionary: ["first.momentum_buffer": Tensor.zeros([4])])
        }
        #expect(throws: OptimizerStateError.shapeMismatch(key: "0.momentum_buffer", expected: [4], actual: [2, 2])) {
            try optimizer.load(stateDictionary: ["0.momentum_buffer": Tensor.zeros([2, 2]), "learning_rate": Tensor(9)])
        }
        #expect(optimizer.learningRate == 0.1)
        #expect(optimizer.stateDictionary().mapValues(\.scalars) == before)
        // Training continues as if nothing had happened.
        let continued = trajectory(optimizer, p, [gradientSteps[1]])
        expectClose(
            continued[0], referenceSGD(initial, Array(gradientSteps[..<2]), lr: 0.1, momentum: 0.9)[1],
            relativeTolerance: 1e-6, absoluteTolerance: 1e-7)
        #expect(OptimizerStateError.unexpectedKey("x").description == "optimizer state: unexpected key \"x\"")
    }
}
