import NervaTensor
import NervaTestSupport
import Testing

// Shared fixtures for the NervaTensor tests: seeded inputs, gradient-check case tables, a naive
// reference for broadcasting and matrix products, and a second-order finite-difference check.

/// Uniform values in `[low, high)` from a generator seeded with `seed`.
func seeded(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    Tensor.uniform(shape, low: low, high: high, generator: RandomGenerator(seed: seed))
}

/// Values in `[0.5, 2)`: safe for `log`, `sqrt`, `pow` and as divisors.
func positive(_ shape: [Int], seed: UInt64) -> Tensor {
    seeded(shape, seed: seed, low: 0.5, high: 2)
}

/// Values with magnitude in `[0.2, 1)` and random sign: at least 0.2 away from the kink at 0 of
/// `relu`, `abs`, `leakyReLU` and friends.
func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
    let generator = RandomGenerator(seed: seed)
    let values = (0..<shape.reduce(1, *)).map { _ in
        generator.uniform(0.2, 1) * (generator.bernoulli(0.5) ? 1 : -1)
    }
    return Tensor(values, shape: shape)
}

/// Distinct values (a shuffled, spaced ramp) so that max/min/argmax have no ties, spaced far more
/// than a finite-difference step.
func distinct(_ shape: [Int], seed: UInt64) -> Tensor {
    let n = shape.reduce(1, *)
    let order = RandomGenerator(seed: seed).permutation(n)
    return Tensor(order.map { Float($0) * 0.3 - Float(n) * 0.15 }, shape: shape)
}

/// A named differentiable function and the point at which to check its gradients.
struct GradientCase: Sendable, CustomTestStringConvertible {
    let name: String
    let inputs: [Tensor]
    let function: @Sendable ([Tensor]) -> Tensor

    init(_ name: String, _ inputs: [Tensor], _ function: @escaping @Sendable ([Tensor]) -> Tensor) {
        self.name = name
        self.inputs = inputs
        self.function = function
    }

    var testDescription: String { name }
}

// MARK: - Naive references

/// Row-major strides of `shape`.
func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var step = 1
    for axis in shape.indices.reversed() {
        strides[axis] = step
        step *= shape[axis]
    }
    return strides
}

/// The multi-index of flat offset `offset` in `shape`.
func multiIndex(_ offset: Int, in shape: [Int]) -> [Int] {
    var rest = offset
    var index = [Int](repeating: 0, count: shape.count)
    for axis in shape.indices.reversed() {
        index[axis] = rest % shape[axis]
        rest /= shape[axis]
    }
    return index
}

/// Element-wise `f` with NumPy broadcasting, one element at a time: the reference for the kernels.
func referenceBroadcast(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> (shape: [Int], values: [Float]) {
    let rank = max(a.rank, b.rank)
    let sa = [Int](repeating: 1, count: rank - a.rank) + a.shape
    let sb = [Int](repeating: 1, count: rank - b.rank) + b.shape
    let shape = zip(sa, sb).map { max($0, $1) }
    let stridesA = rowMajorStrides(sa), stridesB = rowMajorStrides(sb)
    let va = a.scalars, vb = b.scalars
    let values = (0..<shape.reduce(1, *)).map { offset -> Float in
        let index = multiIndex(offset, in: shape)
        var ia = 0, ib = 0
        for axis in 0..<rank {
            if sa[axis] != 1 { ia += index[axis] * stridesA[axis] }
            if sb[axis] != 1 { ib += index[axis] * stridesB[axis] }
        }
        return f(va[ia], vb[ib])
    }
    return (shape, values)
}

/// The naive product of two row-major matrices `[m, k] · [k, n]`.
func referenceMatmul(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var total: Float = 0
            for l in 0..<k { total += a[i * k + l] * b[l * n + j] }
            c[i * n + j] = total
        }
    }
    return c
}

/// The transpose of a row-major `rows × columns` matrix.
func referenceTranspose(_ a: [Float], rows: Int, columns: Int) -> [Float] {
    var t = [Float](repeating: 0, count: a.count)
    for r in 0..<rows { for c in 0..<columns { t[c * rows + r] = a[r * columns + c] } }
    return t
}

// MARK: - Second order

/// Expects second derivatives obtained by differentiating `gradients(of:wrt:createGraph: true)`
/// to match central finite differences of the first-order gradient.
///
/// With `s(x) = Σ c ⊙ f(x)` for a fixed cotangent `c`, the first-order gradients `G_k = ∂s/∂x_k`
/// are contracted with a fixed weight `v_k`; the check compares `∂(Σ_k v_k ⊙ G_k)/∂x_j`
/// (a Hessian-vector product, cross terms included) for every input `j` with finite differences
/// of the first-order gradients computed without `createGraph`.
func expectSecondOrderMatchesFiniteDifferences(
    _ f: ([Tensor]) -> Tensor, at inputs: [Tensor], step: Float = 1e-2,
    relativeTolerance: Float = 2e-2, absoluteTolerance: Float = 2e-3,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    let leaves = inputs.map { Tensor($0.scalars, shape: $0.shape).requiringGradient() }
    let output = f(leaves)
    let cotangent = Tensor.uniform(output.shape, low: 0.5, high: 1.5, generator: RandomGenerator(seed: 7))
    let weights = inputs.indices.map {
        Tensor.uniform(inputs[$0].shape, low: 0.5, high: 1.5, generator: RandomGenerator(seed: 100 + UInt64($0)))
    }
    let first = gradients(of: output, wrt: leaves, seed: cotangent, createGraph: true)
    // Σ_k v_k ⊙ G_k as one scalar, then differentiate it again.
    var contracted = Tensor(0)
    for (g, v) in zip(first, weights) { contracted = contracted + (g * v).sum() }
    let analytic: [Tensor]
    if contracted.requiresGradient {
        analytic = gradients(of: contracted, wrt: leaves)
    } else {
        analytic = inputs.map { Tensor.zeros($0.shape) } // every first derivative was constant
    }

    /// Σ_k v_k · G_k(x) computed with a plain (non-recording) backward pass, in Double.
    func firstOrderObjective(_ values: [Tensor]) -> Double {
        let args = values.map { Tensor($0.scalars, shape: $0.shape).requiringGradient() }
        let grads = gradients(of: f(args), wrt: args, seed: cotangent)
        var total = 0.0
        for (g, v) in zip(grads, weights) {
            for (a, b) in zip(g.scalars, v.scalars) { total += Double(a) * Double(b) }
        }
        return total
    }
    for which in inputs.indices {
        let base = inputs[which].scalars
        var numeric = [Float](repeating: 0, count: base.count)
        for i in base.indices {
            func shifted(_ delta: Float) -> Double {
                var values = base
                values[i] += delta
                var args = inputs
                args[which] = Tensor(values, shape: inputs[which].shape)
                return firstOrderObjective(args)
            }
            numeric[i] = Float((shifted(step) - shifted(-step)) / (2 * Double(step)))
        }
        expectClose(
            analytic[which], Tensor(numeric, shape: inputs[which].shape),
            relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
            "second derivative with respect to input \(which). \(comment.map(String.init(describing:)) ?? "")",
            sourceLocation: sourceLocation)
    }
}
