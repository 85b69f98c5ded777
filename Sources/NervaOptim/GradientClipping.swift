import NervaTensor

/// Scales the gradients of `parameters` so that their global L2 norm is at most `maxNorm`, as
/// `torch.nn.utils.clip_grad_norm_`: each gradient is multiplied by
/// `min(1, maxNorm / (norm + 1e-6))`.
///
/// - Returns: the global norm before clipping (useful to log exploding gradients).
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    precondition(maxNorm >= 0, "clipGradientNorm: maxNorm must be non-negative, got \(maxNorm).")
    var squares: Double = 0
    for parameter in parameters {
        guard let gradient = parameter.gradient?.coalesced() else { continue }
        parameter.gradient = gradient
        gradient.withUnsafeBufferPointer { g in for x in g { squares += Double(x) * Double(x) } }
    }
    let norm = Float(squares.squareRoot())
    let scale = maxNorm / (norm + 1e-6)
    if scale < 1 {
        for parameter in parameters {
            guard let gradient = parameter.gradient else { continue }
            parameter.gradient = withoutGradients { gradient.scaled(by: scale) }
        }
    }
    return norm
}

extension Tensor {
    /// This tensor times `factor`; a row-sparse tensor stays row-sparse.
    func scaled(by factor: Float) -> Tensor {
        guard let rows = sparseRowIndices else { return self * factor }
        return Tensor.rowSparse(values: sparseValues * factor, rows: rows, shape: shape)
    }
}
