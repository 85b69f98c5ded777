import CNervaKernels
import NervaTensor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Adam (Kingma & Ba 2015, https://arxiv.org/abs/1412.6980), step for step as `torch.optim.Adam`;
/// with `decoupledWeightDecay` it is AdamW (Loshchilov & Hutter 2019), as `torch.optim.AdamW`:
///
/// ```
/// θ ← θ · (1 − lr · λ)                           (AdamW)     g ← g + λ · θ   (Adam with λ > 0)
/// m ← m + (1 − β₁)(g − m)        v ← β₂ v + (1 − β₂) g²        t ← t + 1
/// θ ← θ − lr / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
/// Row-sparse gradients update only their rows' moments and weights (lazy Adam, as
/// `torch.optim.SparseAdam`), so a huge embedding table costs only the rows a batch touched.
public class Adam: Optimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    /// `true` for AdamW's decoupled decay, `false` for Adam's L2 penalty added to the gradient.
    public let decoupledWeightDecay: Bool

    public init(
        _ parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false
    ) {
        precondition(beta1 >= 0 && beta1 < 1, "Adam: beta1 must be in [0, 1), got \(beta1).")
        precondition(beta2 >= 0 && beta2 < 1, "Adam: beta2 must be in [0, 1), got \(beta2).")
        precondition(epsilon >= 0, "Adam: epsilon must be non-negative, got \(epsilon).")
        precondition(weightDecay >= 0, "Adam: weight decay must be non-negative, got \(weightDecay).")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        super.init(parameters, learningRate: learningRate)
    }

    public override func update(_ parameter: Tensor, gradient: Tensor, index: Int) {
        let step = incrementStep(index: index)
        let m = slot("exp_avg", index: index), v = slot("exp_avg_sq", index: index)
        let b1 = beta1, b2 = beta2, eps = epsilon, lr = learningRate
        // Bias corrections in double precision, as PyTorch computes them in Python floats.
        let stepSize = Float(Double(lr) / (1 - pow(Double(b1), Double(step))))
        let correction2Root = Float((1 - pow(Double(b2), Double(step))).squareRoot())
        let decay = decoupledWeightDecay ? 1 - lr * weightDecay : 1
        let l2 = decoupledWeightDecay ? 0 : weightDecay

        let rule = AdamRule(
            beta1: b1, beta2: b2, epsilon: eps, stepSize: stepSize,
            correction2Root: correction2Root, decay: decay, l2: l2)
        if gradient.isRowSparse {
            let coalesced = gradient.coalesced()
            let rows = coalesced.sparseRowIndices ?? [], width = gradient.shape.dropFirst().reduce(1, *)
            withPointers(parameter, coalesced, m, v) { p, g, m, v in rule.apply(rows: rows, width: width, p, g, m, v) }
        } else {
            withPointers(parameter, gradient, m, v) { p, g, m, v in rule.apply(p, g, m, v, parameter.scalarCount) }
        }
    }
}

/// Adam with decoupled weight decay (Loshchilov & Hutter 2019), as `torch.optim.AdamW`
/// (default `weightDecay` 0.01).
public final class AdamW: Adam {
    public init(
        _ parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0.01
    ) {
        super.init(
            parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
            weightDecay: weightDecay, decoupledWeightDecay: true)
    }
}

/// One Adam update over `n` elements in the engine's vectorised kernel (`nerva_adam_step`: AVX-512,
/// AVX2 or baseline, split across the cores for large tensors). `√v / √(1 − β₂ᵗ)` is a
/// multiplication by the reciprocal: results agree with PyTorch's to a few ulp.
struct AdamRule {
    let beta1: Float, beta2: Float, epsilon: Float, stepSize: Float, correction2Root: Float
    let decay: Float, l2: Float

    /// One step on `n` consecutive parameters, split across the cores when large.
    @inline(__always)
    func apply(
        _ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        let tasks = ThreadBudget.tasks(forWork: 2 * n) // several operations per element
        ThreadBudget.forEachPart(count: n, tasks: tasks) { _, r in
            let i = r.lowerBound
            nerva_adam_step(
                p + i, g + i, m + i, v + i, nil, Int64(r.count), 1, beta1, beta2, epsilon, stepSize,
                correction2Root, decay, l2)
        }
    }

    /// One step on the parameter rows `rows` (`width` values each) of a row-sparse gradient whose
    /// values `g` hold those rows in order, in one kernel call.
    func apply(
        rows: [Int], width: Int, _ p: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>
    ) {
        rows.withUnsafeBufferPointer { indices in
            indices.withMemoryRebound(to: Int64.self) { indices in
                nerva_adam_step(
                    p, g, m, v, indices.baseAddress, Int64(indices.count), Int64(width), beta1, beta2,
                    epsilon, stepSize, correction2Root, decay, l2)
            }
        }
    }
}
