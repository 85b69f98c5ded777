import NervaTensor

/// RMSprop (Hinton, lecture 6e), step for step as `torch.optim.RMSprop`:
///
/// ```
/// g ← g + λ · θ
/// s ← α s + (1 − α) g²                     ḡ ← ḡ + (1 − α)(g − ḡ)  (centred)
/// d ← √s + ε,  or √(s − ḡ²) + ε when centred
/// b ← μ b + g / d,  θ ← θ − lr · b   (momentum μ > 0)     else θ ← θ − lr · g / d
/// ```
/// Row-sparse gradients are densified.
public final class RMSprop: Optimizer {
    public let alpha: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let momentum: Float
    public let isCentered: Bool

    public init(
        _ parameters: [Tensor], learningRate: Float = 1e-2, alpha: Float = 0.99, epsilon: Float = 1e-8,
        weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false
    ) {
        precondition(alpha >= 0 && alpha <= 1, "RMSprop: alpha must be in [0, 1], got \(alpha).")
        precondition(
            epsilon >= 0 && weightDecay >= 0 && momentum >= 0,
            "RMSprop: epsilon, weight decay and momentum must be non-negative.")
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.isCentered = centered
        super.init(parameters, learningRate: learningRate)
    }

    public override func update(_ parameter: Tensor, gradient: Tensor, index: Int) {
        _ = incrementStep(index: index)
        let gradient = gradient.densified()
        let n = parameter.scalarCount, a = alpha, eps = epsilon, wd = weightDecay, mu = momentum, lr = learningRate
        let square = slot("square_avg", index: index)
        let isCentered = isCentered
        // Unused slots alias `square` so that one fused loop serves every variant.
        let mean = isCentered ? slot("grad_avg", index: index) : square
        let buffer = mu > 0 ? slot("momentum_buffer", index: index) : square
        withPointers(parameter, gradient, square, mean) { p, g, s, ga in
            buffer.withUnsafeMutableBufferPointer { bufferPointer in
                let b = bufferPointer.baseAddress!
                for i in 0..<n {
                    let d = g[i] + wd * p[i]
                    s[i] = s[i] * a + (1 - a) * d * d
                    let denominator: Float
                    if isCentered {
                        ga[i] += (1 - a) * (d - ga[i])
                        denominator = (s[i] - ga[i] * ga[i]).squareRoot() + eps
                    } else {
                        denominator = s[i].squareRoot() + eps
                    }
                    if mu > 0 {
                        b[i] = b[i] * mu + d / denominator
                        p[i] -= lr * b[i]
                    } else {
                        p[i] -= lr * (d / denominator)
                    }
                }
            }
        }
    }
}
