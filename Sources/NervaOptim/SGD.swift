import NervaTensor

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
/// step for step as `torch.optim.SGD`:
///
/// ```
/// g ← g + weightDecay · θ
/// b ← g (first step), else b ← momentum · b + (1 − dampening) · g
/// g ← g + momentum · b (Nesterov), else g ← b
/// θ ← θ − learningRate · g
/// ```
/// Row-sparse gradients without momentum or weight decay update only their rows.
public final class SGD: Optimizer {
    public let momentum: Float
    public let dampening: Float
    public let isNesterov: Bool
    public let weightDecay: Float

    public init(
        _ parameters: [Tensor], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
        nesterov: Bool = false, weightDecay: Float = 0
    ) {
        precondition(momentum >= 0, "SGD: momentum must be non-negative, got \(momentum).")
        precondition(weightDecay >= 0, "SGD: weight decay must be non-negative, got \(weightDecay).")
        precondition(
            !nesterov || (momentum > 0 && dampening == 0),
            "SGD: Nesterov momentum needs momentum > 0 and zero dampening.")
        self.momentum = momentum
        self.dampening = dampening
        self.isNesterov = nesterov
        self.weightDecay = weightDecay
        super.init(parameters, learningRate: learningRate)
    }

    public override func update(_ parameter: Tensor, gradient: Tensor, index: Int) {
        let lr = learningRate, wd = weightDecay, mu = momentum, damp = dampening, nesterov = isNesterov
        if gradient.isRowSparse && mu == 0 && wd == 0 {
            parameter.withUnsafeMutableBufferPointer { p in
                forEachSparseRow(gradient) { row, g, n in
                    let q = p.baseAddress! + row * n
                    for k in 0..<n { q[k] -= lr * g[k] }
                }
            }
            return
        }
        let gradient = gradient.densified()
        let n = parameter.scalarCount
        guard mu != 0 else {
            withPointers(parameter, gradient) { p, g in
                for i in 0..<n { p[i] -= lr * (g[i] + wd * p[i]) }
            }
            return
        }
        let isFirst = !hasSlot("momentum_buffer", index: index)
        let buffer = slot("momentum_buffer", index: index)
        withPointers(parameter, gradient, buffer) { p, g, b in
            for i in 0..<n {
                let d = g[i] + wd * p[i]
                b[i] = isFirst ? d : mu * b[i] + (1 - damp) * d
                p[i] -= lr * (nesterov ? d + mu * b[i] : b[i])
            }
        }
    }
}
