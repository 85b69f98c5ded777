import Foundation
import NervaNN
import NervaOptim
import NervaTensor
import NervaTestSupport
import Testing

/// Nine elements, so that both the eight-wide and the scalar loop of the kernel are exercised.
private let initial: [Float] = [1.5, -2, 2.5, 3, -1, 0.8, 1.2, -0.6, 2]
private let gradientSteps: [[Float]] = [
    [0.1, -0.3, 0.8, -0.05, 0.5, 0.02, -1.5, 0.3, 0.7],
    [0.2, -0.1, -0.4, 0.3, 0.5, -0.02, -1, 0.25, -0.7],
    [-0.15, 0.25, 0.6, 0.1, 0.45, 0.03, 0.4, 0.2, 0.01]
]

private func trajectory(_ optimizer: Optimizer, _ parameter: Tensor, _ gradients: [[Float]]) -> [[Float]] {
    gradients.map { g in
        parameter.gradient = Tensor(g, shape: parameter.shape)
        optimizer.step()
        return parameter.scalars
    }
}

/// `torch.optim.Adam` / `torch.optim.AdamW` as documented, in double precision:
/// AdamW: θ ← θ(1 − γλ); Adam: g ← g + λθ; m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
/// m̂ = m / (1 − β₁ᵗ); v̂ = v / (1 − β₂ᵗ); θ ← θ − γ m̂ / (√v̂ + ε).
private func referenceAdam(
    _ start: [Float], _ gradients: [[Float]], lr: Float, beta1: Float = 0.9, beta2: Float = 0.999,
    epsilon: Float = 1e-8, weightDecay: Float = 0, decoupled: Bool = false
) -> [[Float]] {
    let lr = Double(lr), b1 = Double(beta1), b2 = Double(beta2), eps = Double(epsilon), wd = Double(weightDecay)
    var theta = start.map(Double.init)
    var m = [Double](repeating: 0, count: start.count), v = m
    var result: [[Float]] = []
    for (index, gradient) in gradients.enumerated() {
        let t = Double(index + 1)
        for i in theta.indices {
            var g = Double(gradient[i])
            if decoupled { theta[i] *= 1 - lr * wd } else { g += wd * theta[i] }
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            let mHat = m[i] / (1 - Foundation.pow(b1, t)), vHat = v[i] / (1 - Foundation.pow(b2, t))
            theta[i] -= lr * mHat / (vHat.squareRoot() + eps)
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

@Suite struct AdamTests {
    // MARK: - Hand-computed steps

    @Test func constantGradientMovesByTheLearningRate() {
        // With a constant gradient m̂ = g and v̂ = g² at every step: θ moves by γ · sign(g) (ε negligible).
        let p = Tensor([1, -1]).requiringGradient()
        let steps = trajectory(Adam([p], learningRate: 0.1), p, Array(repeating: [0.5, -4], count: 3))
        expectTrajectory(steps, [[0.9, -0.9], [0.8, -0.8], [0.7, -0.7]])
    }

    @Test func adamWStepsByHand() {
        // θ ← θ · (1 − 0.1 · 0.1) − 0.1: 0.99 − 0.1 = 0.89; 0.8811 − 0.1 = 0.7811; 0.773289 − 0.1 = 0.673289.
        let p = Tensor([1]).requiringGradient()
        let steps = trajectory(AdamW([p], learningRate: 0.1, weightDecay: 0.1), p, Array(repeating: [0.5], count: 3))
        expectTrajectory(steps, [[0.89], [0.7811], [0.673289]])
    }

    @Test func secondStepBiasCorrectionByHand() {
        // g₁ = 1, g₂ = 0 with β₁ = 0.5, β₂ = 0.5, ε = 0, γ = 1:
        // step 1: m = 0.5, v = 0.5, m̂ = 1, v̂ = 1 → θ = −1.
        // step 2: m = 0.25, v = 0.25, m̂ = 0.25/0.75, v̂ = 0.25/0.75 → θ = −1 − √(1/3).
        let p = Tensor([0]).requiringGradient()
        let steps = trajectory(Adam([p], learningRate: 1, beta1: 0.5, beta2: 0.5, epsilon: 0), p, [[1], [0]])
        expectTrajectory(steps, [[-1], [Float(-1 - (1.0 / 3).squareRoot())]])
    }

    // MARK: - Against the documented algorithm

    struct Configuration: Sendable, CustomTestStringConvertible {
        var lr: Float = 0.1, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8
        var weightDecay: Float = 0, decoupled = false
        var testDescription: String {
            "lr \(lr) β (\(beta1), \(beta2)) ε \(epsilon) λ \(weightDecay) decoupled \(decoupled)"
        }
    }

    @Test(arguments: [
        Configuration(),
        Configuration(lr: 0.01),
        Configuration(beta1: 0.5, beta2: 0.7),
        Configuration(epsilon: 0.1),
        Configuration(weightDecay: 0.1),
        Configuration(lr: 0.05, beta1: 0.8, beta2: 0.9, epsilon: 1e-3, weightDecay: 0.3),
        Configuration(weightDecay: 0.1, decoupled: true),
        Configuration(lr: 0.2, beta1: 0.6, beta2: 0.95, epsilon: 0.01, weightDecay: 0.5, decoupled: true)
    ])
    func matchesTorchAlgorithm(_ c: Configuration) {
        let p = Tensor(initial, shape: [3, 3]).requiringGradient()
        let optimizer = Adam(
            [p], learningRate: c.lr, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon,
            weightDecay: c.weightDecay, decoupledWeightDecay: c.decoupled)
        let expected = referenceAdam(
            initial, gradientSteps, lr: c.lr, beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon,
            weightDecay: c.weightDecay, decoupled: c.decoupled)
        expectTrajectory(trajectory(optimizer, p, gradientSteps), expected)
    }

    @Test func adamWIsAdamWithDecoupledDecay() {
        let p = Tensor(initial).requiringGradient()
        let optimizer = AdamW([p], learningRate: 0.1)
        #expect(optimizer.decoupledWeightDecay && optimizer.weightDecay == 0.01)
        expectTrajectory(
            trajectory(optimizer, p, gradientSteps),
            referenceAdam(initial, gradientSteps, lr: 0.1, weightDecay: 0.01, decoupled: true))
        // L2 and decoupled decay are different algorithms.
        let q = Tensor(initial).requiringGradient()
        let l2 = trajectory(Adam([q], learningRate: 0.1, weightDecay: 0.5), q, gradientSteps)
        let r = Tensor(initial).requiringGradient()
        let decoupled = trajectory(AdamW([r], learningRate: 0.1, weightDecay: 0.5), r, gradientSteps)
        #expect(l2.last! != decoupled.last!)
    }

    @Test func stepCountsAndMomentsUseTorchNames() {
        let p = Tensor([1, 2]).requiringGradient()
        let optimizer = Adam([p], learningRate: 0.1)
        _ = trajectory(optimizer, p, [[0.5, -1], [0.5, -1]])
        let state = optimizer.stateDictionary()
        #expect(Set(state.keys) == ["learning_rate", "0.step", "0.exp_avg", "0.exp_avg_sq"])
        #expect(state["0.step"]!.scalar == 2)
        // m = 0.1 g + 0.09 g = 0.19 g; v = 0.001 g² + 0.000999 g² = 0.001999 g².
        expectClose(state["0.exp_avg"]!, Tensor([0.095, -0.19]), relativeTolerance: 1e-6)
        expectClose(state["0.exp_avg_sq"]!, Tensor([0.001999 * 0.25, 0.001999]), relativeTolerance: 1e-6)
    }

    // MARK: - Sparse gradients (lazy Adam)

    @Test func rowSparseGradientUpdatesOnlyTouchedRowsAndTheirState() throws {
        let sparse = Embedding(count: 6, dimension: 3, generator: RandomGenerator(seed: 1))
        let dense = Embedding(count: 6, dimension: 3, sparseGradients: false, generator: RandomGenerator(seed: 1))
        let start = sparse.weight.scalars
        let lazy = Adam(sparse.parameters(), learningRate: 0.1), full = Adam(dense.parameters(), learningRate: 0.1)
        let weights = Tensor.normal([3, 3], generator: RandomGenerator(seed: 2))
        for table in [sparse, dense] { (table([1, 4, 1]) * weights).sum().backward() }
        #expect(sparse.weight.gradient!.isRowSparse)
        lazy.step()
        full.step()

        func row(_ values: [Float], _ r: Int) -> [Float] { Array(values[r * 3..<(r * 3 + 3)]) }
        let afterFirst = sparse.weight.scalars
        for r in [0, 2, 3, 5] { #expect(row(afterFirst, r) == row(start, r), "row \(r) moved") }
        // On the first step the touched rows match dense Adam (whose untouched rows see g = 0 and stay).
        expectClose(sparse.weight, dense.weight, relativeTolerance: 1e-6, absoluteTolerance: 1e-7)
        // Row 1 moved by γ · sign(g₁ + g₃), row 4 by γ · sign(g₂).
        let w = weights.scalars
        let g1 = (0..<3).map { w[$0] + w[6 + $0] }, g4 = Array(w[3..<6])
        expectClose(
            row(afterFirst, 1), (0..<3).map { start[3 + $0] - 0.1 * (g1[$0] > 0 ? 1 : -1) },
            relativeTolerance: 1e-6, absoluteTolerance: 1e-6)
        expectClose(
            row(afterFirst, 4), (0..<3).map { start[12 + $0] - 0.1 * (g4[$0] > 0 ? 1 : -1) },
            relativeTolerance: 1e-6, absoluteTolerance: 1e-6)
        let firstMoments = lazy.stateDictionary()["0.exp_avg"]!.scalars
        for r in [0, 2, 3, 5] { #expect(row(firstMoments, r) == [0, 0, 0]) }
        expectClose(row(firstMoments, 1), g1.map { 0.1 * $0 }, relativeTolerance: 1e-6)

        // Second step touches only row 2: rows 1 and 4 and their moments stay put, unlike dense Adam.
        lazy.zeroGradients()
        full.zeroGradients()
        for table in [sparse, dense] { table([2]).sum().backward() }
        lazy.step()
        full.step()
        let afterSecond = sparse.weight.scalars
        for r in [0, 1, 3, 4, 5] { #expect(row(afterSecond, r) == row(afterFirst, r), "row \(r) moved") }
        #expect(row(dense.weight.scalars, 1) != row(afterFirst, 1))
        let state = lazy.stateDictionary()
        #expect(row(state["0.exp_avg"]!.scalars, 1) == row(firstMoments, 1))
        #expect(state["0.step"]!.scalar == 2)
        // Row 2 takes its first update at step 2: m = 0.1, v = 0.001, bias corrections of t = 2.
        let ratio: Double = 0.001 / 0.001999
        let expectedShift = Float(0.1 * (0.1 / 0.19) / (ratio.squareRoot() + 1e-8))
        expectClose(
            row(afterSecond, 2), row(start, 2).map { $0 - expectedShift }, relativeTolerance: 1e-6,
            absoluteTolerance: 1e-6)
    }

    @Test func rowSparseGradientWithDuplicatesMatchesDenseWhenEveryRowIsTouched() {
        let sparse = Embedding(count: 3, dimension: 9, generator: RandomGenerator(seed: 3))
        let dense = Embedding(count: 3, dimension: 9, sparseGradients: false, generator: RandomGenerator(seed: 3))
        let a = Adam(sparse.parameters(), learningRate: 0.05, weightDecay: 0.1)
        let b = Adam(dense.parameters(), learningRate: 0.05, weightDecay: 0.1)
        for ids in [[0, 1, 2, 2], [2, 0, 1], [1, 1, 0, 2]] {
            a.zeroGradients()
            b.zeroGradients()
            for table in [sparse, dense] { table(ids).tanh().squared().sum().backward() }
            a.step()
            b.step()
            expectClose(sparse.weight, dense.weight, relativeTolerance: 1e-6, absoluteTolerance: 1e-6)
        }
    }

    // MARK: - Bookkeeping

    @Test func parametersWithoutGradientAreUntouched() {
        let used = Tensor([1, 2]).requiringGradient(), unused = Tensor([3, 4, 5]).requiringGradient()
        let optimizer = AdamW([used, unused], learningRate: 0.1, weightDecay: 0.5)
        used.gradient = Tensor([1, 1])
        optimizer.step()
        #expect(unused.scalars == [3, 4, 5])
        #expect(used.scalars != [1, 2])
        #expect(!optimizer.stateDictionary().keys.contains { $0.hasPrefix("1.") })
    }

    @Test(arguments: [false, true])
    func stateRoundTripContinuesLikeAnUninterruptedRun(decoupled: Bool) throws {
        let gradients = gradientSteps + [[0.3, 0.3, -0.2, 0.1, 0, -0.5, 0.2, 0.2, 0.9]]
        func make(_ p: Tensor) -> Adam {
            Adam([p], learningRate: 0.05, beta1: 0.8, beta2: 0.9, weightDecay: 0.1, decoupledWeightDecay: decoupled)
        }
        let reference = Tensor(initial).requiringGradient()
        let uninterrupted = trajectory(make(reference), reference, gradients)

        let p = Tensor(initial).requiringGradient()
        let first = make(p)
        _ = trajectory(first, p, Array(gradients[..<2]))
        let state = first.stateDictionary()
        let resumedParameter = Tensor(p.scalars).requiringGradient()
        let resumed = make(resumedParameter)
        try resumed.load(stateDictionary: state)
        let continued = trajectory(resumed, resumedParameter, Array(gradients[2...]))
        #expect(continued == Array(uninterrupted[2...]))
        // The loaded state is a copy: the first optimiser's buffers are not shared.
        #expect(resumed.stateDictionary()["0.exp_avg"]! !== state["0.exp_avg"]!)
        #expect(state["0.step"]!.scalar == 2)
    }

    @Test func loadRejectsForeignStateAndKeepsItsOwn() {
        let p = Tensor(initial).requiringGradient()
        let optimizer = Adam([p], learningRate: 0.1)
        _ = trajectory(optimizer, p, [gradientSteps[0]])
        let before = optimizer.stateDictionary().mapValues(\.scalars)
        #expect(throws: OptimizerStateError.unexpectedKey("2.exp_avg")) {
            try optimizer.load(stateDictionary: ["0.step": Tensor(5), "2.exp_avg": Tensor.zeros([9])])
        }
        #expect(throws: OptimizerStateError.shapeMismatch(key: "0.exp_avg_sq", expected: [9], actual: [3])) {
            try optimizer.load(stateDictionary: ["0.exp_avg_sq": Tensor.zeros([3])])
        }
        #expect(optimizer.stateDictionary().mapValues(\.scalars) == before)
        let continued = trajectory(optimizer, p, [gradientSteps[1]])
        expectClose(
            continued[0], referenceAdam(initial, Array(gradientSteps[..<2]), lr: 0.1)[1],
            relativeTolerance: 1e-6, absoluteTolerance: 1e-7)
        #expect(
            OptimizerStateError.shapeMismatch(key: "0.exp_avg", expected: [2], actual: [3]).description
                == "optimizer state: \"0.exp_avg\" has shape [3], expected [2]")
    }

    @Test func loadRejectsAStepCountThatIsNotAScalar() {
        // A step count is one number (shape [], as saved); a [9] tensor must be refused at load time
        // rather than accepted and trapping in `Tensor.scalar` on the next `step()`.
        // (The test does not step afterwards, so that a wrongly accepted state cannot crash the run.)
        let p = Tensor(initial).requiringGradient()
        let optimizer = Adam([p], learningRate: 0.1)
        #expect(throws: OptimizerStateError.self) {
            try optimizer.load(stateDictionary: [
                "0.step": Tensor.zeros([9]), "0.exp_avg": Tensor.zeros([9]),
                "0.exp_avg_sq": Tensor.zeros([9])
            ])
        }
    }
}
