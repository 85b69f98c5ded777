import NervaTensor
import Testing

/// Expects two tensors to have the same shape and elements within `|a − b| ≤ atol + rtol·|b|`,
/// naming the first element that is not.
public func expectClose(
    _ actual: Tensor, _ expected: Tensor,
    relativeTolerance: Float = 1e-5, absoluteTolerance: Float = 1e-6,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.shape == expected.shape else {
        Issue.record(
            "shape \(actual.shape) ≠ expected \(expected.shape). \(comment.map(String.init(describing:)) ?? "")",
            sourceLocation: sourceLocation)
        return
    }
    expectClose(
        actual.scalars, expected.scalars, relativeTolerance: relativeTolerance,
        absoluteTolerance: absoluteTolerance, comment, sourceLocation: sourceLocation)
}

/// Expects two arrays to match element-wise within `|a − b| ≤ atol + rtol·|b|`.
public func expectClose(
    _ actual: [Float], _ expected: [Float],
    relativeTolerance: Float = 1e-5, absoluteTolerance: Float = 1e-6,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    guard actual.count == expected.count else {
        Issue.record(
            "\(actual.count) elements ≠ expected \(expected.count). \(comment.map(String.init(describing:)) ?? "")",
            sourceLocation: sourceLocation)
        return
    }
    for (i, (a, b)) in zip(actual, expected).enumerated() {
        let close = a == b || Swift.abs(a - b) <= absoluteTolerance + relativeTolerance * Swift.abs(b)
        if !close {
            Issue.record(
                "element \(i): \(a) ≠ expected \(b) (tolerance \(absoluteTolerance) + \(relativeTolerance)·|b|). \(comment.map(String.init(describing:)) ?? "")",
                sourceLocation: sourceLocation)
            return
        }
    }
}

/// Central finite differences of `Σ cotangent ⊙ f(inputs)` with respect to each input, computed in
/// `Double` from `Float` evaluations.
public func numericalGradients(
    of f: ([Tensor]) -> Tensor, at inputs: [Tensor], cotangent: Tensor,
    step: Float = 1e-2
) -> [Tensor] {
    let weights = cotangent.scalars.map(Double.init)
    func objective(_ values: [Tensor]) -> Double {
        let out = withoutGradients { f(values) }.scalars
        precondition(
            out.count == weights.count,
            "numericalGradients: output has \(out.count) elements, cotangent \(weights.count).")
        return zip(out, weights).reduce(0) { $0 + Double($1.0) * $1.1 }
    }
    return inputs.indices.map { which in
        var gradient = [Float](repeating: 0, count: inputs[which].scalarCount)
        let base = inputs[which].scalars
        for i in base.indices {
            func shifted(_ delta: Float) -> Double {
                var values = base
                values[i] += delta
                var args = inputs
                args[which] = Tensor(values, shape: inputs[which].shape).requiringGradient()
                return objective(args)
            }
            gradient[i] = Float((shifted(step) - shifted(-step)) / (2 * Double(step)))
        }
        return Tensor(gradient, shape: inputs[which].shape)
    }
}

/// Expects the autodiff gradients of `f` at `inputs` to match central finite differences.
///
/// `f` receives leaves that require gradients. The output is contracted with a fixed random
/// cotangent, so every output element's gradient is checked, not just their sum.
public func expectGradientsMatchFiniteDifferences(
    _ f: ([Tensor]) -> Tensor, at inputs: [Tensor], step: Float = 1e-2,
    relativeTolerance: Float = 2e-2, absoluteTolerance: Float = 2e-3,
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    let leaves = inputs.map { Tensor($0.scalars, shape: $0.shape).requiringGradient() }
    let output = f(leaves)
    let cotangent = Tensor.uniform(output.shape, low: 0.5, high: 1.5, generator: RandomGenerator(seed: 99))
    let analytic = gradients(of: output, wrt: leaves, seed: cotangent)
    let numeric = numericalGradients(of: f, at: inputs, cotangent: cotangent, step: step)
    for (i, (a, n)) in zip(analytic, numeric).enumerated() {
        expectClose(
            a, n, relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
            "gradient of input \(i). \(comment.map(String.init(describing:)) ?? "")", sourceLocation: sourceLocation)
    }
}
