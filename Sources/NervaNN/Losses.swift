import NervaTensor

/// How a loss combines its per-element values.
public enum LossReduction: Sendable {
    /// The average over all elements (the default, as in PyTorch).
    case mean
    /// The sum over all elements.
    case sum
    /// No reduction: one loss per element.
    case none

    /// Applies the reduction.
    public func reduce(_ loss: Tensor) -> Tensor {
        switch self {
        case .mean: loss.mean()
        case .sum: loss.sum()
        case .none: loss
        }
    }
}

/// Mean squared error: `reduction((predictions − targets)²)`.
public func mseLoss(predictions: Tensor, targets: Tensor, reduction: LossReduction = .mean) -> Tensor {
    checkShapes(predictions, targets, "mseLoss")
    return reduction.reduce((predictions - targets).squared())
}

/// Binary cross-entropy on probabilities:
/// `reduction(−[t · log p + (1 − t) · log(1 − p)])`, each log clamped at −100 as in PyTorch.
///
/// The gradient is PyTorch's, `(p − t) / max(p (1 − p), 10⁻¹²)`, finite even for certain
/// predictions (`p` of exactly 0 or 1).
public func binaryCrossEntropy(probabilities: Tensor, targets: Tensor, reduction: LossReduction = .mean) -> Tensor {
    checkShapes(probabilities, targets, "binaryCrossEntropy")
    let (p, t) = (probabilities, targets)
    let (logP, logNotP) = withoutGradients { (p.log().clamped(min: -100), (1 - p).log().clamped(min: -100)) }
    let loss = withoutGradients { -(t * logP + (1 - t) * logNotP) }
        .recordedAsOperation("binaryCrossEntropy", inputs: [p, t]) { g in
            [
                p.requiresGradient ? g * (p - t) / (p * (1 - p)).clamped(min: 1e-12) : nil,
                t.requiresGradient ? g * (logNotP - logP) : nil
            ]
        }
    return reduction.reduce(loss)
}

/// Binary cross-entropy on logits, stable for any magnitude:
/// `reduction(max(x, 0) − x · t + log(1 + e^(−|x|)))`, equal to `binaryCrossEntropy(σ(x), t)`,
/// with gradient `σ(x) − t` (smooth everywhere, 0 included).
public func binaryCrossEntropy(logits: Tensor, targets: Tensor, reduction: LossReduction = .mean) -> Tensor {
    checkShapes(logits, targets, "binaryCrossEntropy(logits:)")
    let (x, t) = (logits, targets)
    let loss = withoutGradients { x.relu() - x * t + (-x.abs()).exp().log1p() }
        .recordedAsOperation("binaryCrossEntropyWithLogits", inputs: [x, t]) { g in
            [x.requiresGradient ? g * (x.sigmoid() - t) : nil, t.requiresGradient ? -g * x : nil]
        }
    return reduction.reduce(loss)
}

/// Huber loss: `0.5 d²` where `|d| ≤ delta`, `delta · (|d| − 0.5 delta)` elsewhere, `d = predictions − targets`.
public func huberLoss(predictions: Tensor, targets: Tensor, delta: Float = 1, reduction: LossReduction = .mean)
    -> Tensor
{
    checkShapes(predictions, targets, "huberLoss")
    precondition(delta > 0, "huberLoss: delta must be positive, got \(delta).")
    let distance = (predictions - targets).abs()
    let quadratic = distance.clamped(max: delta)
    return reduction.reduce(0.5 * quadratic.squared() + delta * (distance - quadratic))
}

/// Smooth L1 loss: `0.5 d² / beta` where `|d| < beta`, `|d| − 0.5 beta` elsewhere (Huber / beta).
public func smoothL1Loss(predictions: Tensor, targets: Tensor, beta: Float = 1, reduction: LossReduction = .mean)
    -> Tensor
{
    huberLoss(predictions: predictions, targets: targets, delta: beta, reduction: reduction) / beta
}

/// Cross-entropy of class logits `[N, C]` against integer labels in `0..<C`:
/// `reduction(−log softmax(logits)[i, labels[i]])`.
public func crossEntropy(logits: Tensor, labels: [Int], reduction: LossReduction = .mean) -> Tensor {
    precondition(
        logits.rank == 2 && logits.shape[0] == labels.count,
        "crossEntropy: logits of shape \(logits.shape) do not match \(labels.count) labels (expected [N, C]).")
    let classCount = logits.shape[1]
    let picks = labels.enumerated().map { i, label in
        precondition(label >= 0 && label < classCount, "crossEntropy: label \(label) is outside 0..<\(classCount).")
        return i * classCount + label
    }
    let logProbabilities = logits.logSoftmax(alongAxis: 1).reshaped([-1, 1]).gathering(rows: picks)
    return reduction.reduce(-logProbabilities.reshaped([labels.count]))
}

private func checkShapes(_ a: Tensor, _ b: Tensor, _ loss: StaticString) {
    precondition(a.shape == b.shape, "\(loss): predictions of shape \(a.shape) and targets of shape \(b.shape) differ.")
}
