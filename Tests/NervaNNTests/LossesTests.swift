import Foundation
import NervaNN
import NervaTensor
import NervaTestSupport
import Testing

private let reductions: [LossReduction] = [.mean, .sum, .none]

/// Expects `loss` under each reduction to be the mean, the sum, or exactly `perElement`.
private func expectReductions(
    _ loss: (LossReduction) -> Tensor, perElement: [Double], shape: [Int],
    relativeTolerance: Float = 1e-5, sourceLocation: SourceLocation = #_sourceLocation
) {
    let sum = perElement.reduce(0, +)
    let none = loss(.none)
    #expect(none.shape == shape, sourceLocation: sourceLocation)
    expectClose(
        none.scalars, perElement.map(Float.init), relativeTolerance: relativeTolerance, "none",
        sourceLocation: sourceLocation)
    let summed = loss(.sum), averaged = loss(.mean)
    #expect(summed.shape == [] && averaged.shape == [], sourceLocation: sourceLocation)
    expectClose(
        summed.scalars, [Float(sum)], relativeTolerance: relativeTolerance, "sum", sourceLocation: sourceLocation)
    expectClose(
        averaged.scalars, [Float(sum / Double(perElement.count))], relativeTolerance: relativeTolerance, "mean",
        sourceLocation: sourceLocation)
}

private func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

@Suite struct LossesTests {
    // MARK: - Values

    @Test func meanSquaredError() {
        let p = Tensor([1, 2, 3, 4], shape: [2, 2]), t = Tensor([0, 2, 5, 1], shape: [2, 2])
        expectReductions(
            { mseLoss(predictions: p, targets: t, reduction: $0) }, perElement: [1, 0, 4, 9], shape: [2, 2])
        #expect(mseLoss(predictions: p, targets: t).scalar == 3.5)
    }

    @Test func binaryCrossEntropyOnProbabilities() {
        let p = Tensor([0.9, 0.2, 0.6, 0.5]), t = Tensor([1, 0, 1, 0.25])
        let expected = [
            -Foundation.log(0.9), -Foundation.log(0.8), -Foundation.log(0.6),
            -(0.25 * Foundation.log(0.5) + 0.75 * Foundation.log(0.5))
        ]
        expectReductions(
            { binaryCrossEntropy(probabilities: p, targets: t, reduction: $0) }, perElement: expected, shape: [4])
    }

    @Test func binaryCrossEntropyClampsLogsAtMinus100() {
        // log 0 = −∞ is clamped to −100, as in PyTorch; 0 · (−100) keeps certain correct predictions at 0.
        let p = Tensor([0, 1, 0, 1]), t = Tensor([1, 0, 0, 1])
        let loss = binaryCrossEntropy(probabilities: p, targets: t, reduction: .none)
        #expect(loss.scalars == [100, 100, 0, 0])
    }

    @Test func binaryCrossEntropyGradientIsFiniteForCertainCorrectPredictions() {
        // PyTorch: ∂/∂p = (p − t) / max(p(1 − p), 1e-12), which is 0 at p = t ∈ {0, 1}.
        let p = Tensor([0, 1]).requiringGradient()
        binaryCrossEntropy(probabilities: p, targets: Tensor([0, 1]), reduction: .sum).backward()
        #expect(p.gradient!.scalars == [0, 0])
        // σ(20) rounds to 1 in Float: a confident, correct prediction must not produce NaN.
        let x = Tensor([20, 3]).requiringGradient()
        binaryCrossEntropy(probabilities: x.sigmoid(), targets: Tensor([1, 1]), reduction: .sum).backward()
        let gradient = x.gradient!.scalars
        #expect(gradient.allSatisfy { $0.isFinite }, "gradient \(gradient)")
        #expect(abs(gradient[0]) < 1e-6)
        expectClose([gradient[1]], [Float(sigmoid(3) - 1)], relativeTolerance: 1e-4)
    }

    @Test func binaryCrossEntropyOnLogitsByHand() {
        let x: [Float] = [-3, -0.5, 0, 1.2, 4], t: [Float] = [0, 1, 0.3, 1, 0]
        let expected = zip(x, t).map { x, t -> Double in
            let p = sigmoid(Double(x))
            return -(Double(t) * Foundation.log(p) + (1 - Double(t)) * Foundation.log(1 - p))
        }
        expectReductions(
            { binaryCrossEntropy(logits: Tensor(x), targets: Tensor(t), reduction: $0) },
            perElement: expected, shape: [5])
    }

    @Test func binaryCrossEntropyOnLogitsEqualsItOnSigmoidProbabilities() {
        let x = Tensor.normal([6, 5], standardDeviation: 3, generator: RandomGenerator(seed: 1))
        let t = Tensor.uniform([6, 5], generator: RandomGenerator(seed: 2))
        for reduction in reductions {
            expectClose(
                binaryCrossEntropy(logits: x, targets: t, reduction: reduction),
                binaryCrossEntropy(probabilities: x.sigmoid(), targets: t, reduction: reduction),
                relativeTolerance: 1e-4, absoluteTolerance: 1e-5)
        }
    }

    @Test func binaryCrossEntropyOnLogitsStaysFiniteForLargeLogits() {
        let x = Tensor([100, 100, -100, -100]).requiringGradient(), t = Tensor([1, 0, 0, 1])
        let loss = binaryCrossEntropy(logits: x, targets: t, reduction: .none)
        expectClose(loss, Tensor([0, 100, 0, 100]))
        binaryCrossEntropy(logits: x, targets: t, reduction: .sum).backward()
        // ∂/∂x = σ(x) − t.
        let gradient = x.gradient!.scalars
        #expect(gradient.allSatisfy { $0.isFinite })
        expectClose(gradient, [0, 1, 0, -1])
    }

    @Test func binaryCrossEntropyOnLogitsGradientAtZeroLogit() {
        // A zero-initialised output layer produces logits of exactly 0: ∂/∂x = σ(0) − t = 0.5 − t.
        let x = Tensor([0, 0, 0]).requiringGradient(), t = Tensor([1, 0, 0.5])
        binaryCrossEntropy(logits: x, targets: t, reduction: .sum).backward()
        expectClose(x.gradient!, Tensor([-0.5, 0.5, 0]))
    }

    @Test func huberLossBothRegimes() {
        let p = Tensor([0.5, -0.3, 2, -3, 1]), t = Tensor([0, 0, 0, 0, 0])
        // |d| ≤ 1: 0.5 d²; otherwise |d| − 0.5 (delta 1); |d| = 1 is on the boundary: 0.5.
        expectReductions(
            { huberLoss(predictions: p, targets: t, reduction: $0) },
            perElement: [0.125, 0.045, 1.5, 2.5, 0.5], shape: [5])
        // delta 2: 0.5 d² inside, 2 · (|d| − 1) outside.
        let q = Tensor([1, 3, -5]), u = Tensor([0, 0, -1])
        expectReductions(
            { huberLoss(predictions: q, targets: u, delta: 2, reduction: $0) },
            perElement: [0.5, 4, 6], shape: [3])
    }

    @Test func smoothL1LossBothRegimes() {
        let p = Tensor([0.2, -1, 0.4, 3]), t = Tensor([0, 0, 0.1, 1])
        // beta 0.5: 0.5 d² / 0.5 = d² inside, |d| − 0.25 outside.
        expectReductions(
            { smoothL1Loss(predictions: p, targets: t, beta: 0.5, reduction: $0) },
            perElement: [0.04, 0.75, 0.09, 1.75], shape: [4])
        // beta 1 is Huber with delta 1.
        let x = Tensor.normal([20], standardDeviation: 2, generator: RandomGenerator(seed: 3))
        let zeros = Tensor.zeros([20])
        expectClose(
            smoothL1Loss(predictions: x, targets: zeros, reduction: .none),
            huberLoss(predictions: x, targets: zeros, reduction: .none))
        // beta 2: d² / 4 inside, |d| − 1 outside (Huber with delta 2 divided by 2).
        expectReductions(
            { smoothL1Loss(predictions: Tensor([1, -4]), targets: Tensor([0, 0]), beta: 2, reduction: $0) },
            perElement: [0.25, 3], shape: [2])
    }

    @Test func crossEntropyIsMinusLogSoftmaxPick() {
        let rows: [[Double]] = [[1, 2, 3], [1, 1, 1], [0, -1, 5]]
        let labels = [2, 0, 1]
        let expected = zip(rows, labels).map { row, label in
            Foundation.log(row.map(Foundation.exp).reduce(0, +)) - row[label]
        }
        let logits = Tensor(rows.flatMap { $0.map(Float.init) }, shape: [3, 3])
        expectReductions(
            { crossEntropy(logits: logits, labels: labels, reduction: $0) }, perElement: expected, shape: [3])
        // The same from the tensor API.
        let picks = logits.logSoftmax(alongAxis: 1).scalars
        expectClose(
            crossEntropy(logits: logits, labels: labels, reduction: .none).scalars,
            [-picks[2], -picks[3], -picks[7]])
        // Uniform logits over C classes: log C.
        expectClose(
            crossEntropy(logits: Tensor.zeros([4, 10]), labels: [0, 3, 9, 5]).scalars, [Float(Foundation.log(10.0))])
    }

    @Test func crossEntropyIsStableForLargeLogits() {
        // PyTorch (float32) gives exactly [0, log 2] and gradient [0, 0.5, −0.5] for the second row.
        let logits = Tensor([1000, 0, -1000, 0, 1000, 1000], shape: [2, 3]).requiringGradient()
        let loss = crossEntropy(logits: logits, labels: [0, 2], reduction: .none)
        expectClose(loss, Tensor([0, Float(Foundation.log(2.0))]))
        loss.sum().backward()
        // ∂/∂logits = softmax − one-hot.
        expectClose(logits.gradient!, Tensor([0, 0, 0, 0, 0.5, -0.5], shape: [2, 3]))
    }

    // MARK: - Gradients

    @Test(arguments: [LossReduction.mean, .sum, .none])
    func meanSquaredErrorGradients(reduction: LossReduction) {
        let g = RandomGenerator(seed: 10)
        let p = Tensor.normal([3, 4], generator: g), t = Tensor.normal([3, 4], generator: g)
        expectGradientsMatchFiniteDifferences(
            { mseLoss(predictions: $0[0], targets: $0[1], reduction: reduction) }, at: [p, t])
    }

    @Test(arguments: [LossReduction.mean, .sum, .none])
    func binaryCrossEntropyGradients(reduction: LossReduction) {
        let g = RandomGenerator(seed: 11)
        let p = Tensor.uniform([3, 4], low: 0.1, high: 0.9, generator: g), t = Tensor.uniform([3, 4], generator: g)
        expectGradientsMatchFiniteDifferences(
            { binaryCrossEntropy(probabilities: $0[0], targets: $0[1], reduction: reduction) },
            at: [p, t], step: 1e-3)
        // Logits away from 0 (where |x| has a kink in the stable formula).
        let x = Tensor([-4, -1.5, -0.3, 0.2, 0.8, 2.5, 6, -0.7, 1.1, -2.2, 0.4, 3.3], shape: [3, 4])
        expectGradientsMatchFiniteDifferences(
            { binaryCrossEntropy(logits: $0[0], targets: $0[1], reduction: reduction) },
            at: [x, t], step: 1e-3)
    }

    @Test(arguments: [LossReduction.mean, .sum, .none])
    func huberAndSmoothL1Gradients(reduction: LossReduction) {
        // Differences in both regimes, away from the kinks at 0 and ±delta.
        let p = Tensor([0.3, -0.6, 2.5, -3, 0.1, 1.6, -1.3, 0.75], shape: [2, 4])
        let t = Tensor([0, 0.2, 0.5, -1, 0.5, 0, 0, 0], shape: [2, 4])
        expectGradientsMatchFiniteDifferences(
            { huberLoss(predictions: $0[0], targets: $0[1], reduction: reduction) },
            at: [p, t], step: 1e-3)
        expectGradientsMatchFiniteDifferences(
            { huberLoss(predictions: $0[0], targets: $0[1], delta: 1.5, reduction: reduction) },
            at: [p, t], step: 1e-3)
        expectGradientsMatchFiniteDifferences(
            { smoothL1Loss(predictions: $0[0], targets: $0[1], beta: 0.5, reduction: reduction) },
            at: [p, t], step: 1e-3)
    }

    @Test(arguments: [LossReduction.mean, .sum, .none])
    func crossEntropyGradients(reduction: LossReduction) {
        let logits = Tensor.normal([4, 5], standardDeviation: 2, generator: RandomGenerator(seed: 12))
        expectGradientsMatchFiniteDifferences(
            { crossEntropy(logits: $0[0], labels: [4, 0, 0, 2], reduction: reduction) },
            at: [logits], step: 1e-3)
    }

    @Test func gradientsByHand() {
        // mse, mean: 2 (p − t) / N.
        let p = Tensor([1, 2, 3, 4]).requiringGradient()
        mseLoss(predictions: p, targets: Tensor([0, 2, 5, 1])).backward()
        expectClose(p.gradient!, Tensor([0.5, 0, -1, 1.5]))
        // Cross-entropy, mean: (softmax − one-hot) / N.
        let logits = Tensor([0, 0, 1, 1], shape: [2, 2]).requiringGradient()
        crossEntropy(logits: logits, labels: [1, 1]).backward()
        expectClose(logits.gradient!, Tensor([0.25, -0.25, 0.25, -0.25], shape: [2, 2]))
        // Huber, sum: d inside, delta · sign(d) outside.
        let h = Tensor([0.5, -3, 2]).requiringGradient()
        huberLoss(predictions: h, targets: Tensor([0, 0, 0]), delta: 1.5, reduction: .sum).backward()
        expectClose(h.gradient!, Tensor([0.5, -1.5, 1.5]))
    }
}
