import NervaTensor

/// Batch normalisation over the features of `[N, C]` or `[N, C, L]` inputs (Ioffe & Szegedy 2015):
/// `y = (x − mean) / √(var + ε) · weight + bias`.
///
/// In training mode it normalises with the batch's statistics and updates the running ones
/// (`running = (1 − momentum) · running + momentum · batch`, with the unbiased batch variance);
/// in evaluation mode it uses the running statistics. State names match PyTorch's
/// (`weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`).
public final class BatchNorm1d: Module, Layer {
    public let weight: Tensor
    public let bias: Tensor
    @Buffer public var runningMean: Tensor
    @Buffer public var runningVar: Tensor
    @Buffer public var numBatchesTracked: Tensor
    public let epsilon: Float
    public let momentum: Float

    public var featureCount: Int { weight.shape[0] }

    public init(featureCount: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        precondition(featureCount > 0, "BatchNorm1d: featureCount must be positive, got \(featureCount).")
        weight = Tensor.ones([featureCount]).requiringGradient()
        bias = Tensor.zeros([featureCount]).requiringGradient()
        runningMean = .zeros([featureCount])
        runningVar = .ones([featureCount])
        numBatchesTracked = .zeros([])
        self.epsilon = epsilon
        self.momentum = momentum
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition((input.rank == 2 || input.rank == 3) && input.shape[1] == featureCount,
                     "BatchNorm1d: expected [N, \(featureCount)] or [N, \(featureCount), L], got \(input.shape).")
        // Statistics broadcast as [C] for [N, C] and [C, 1] for [N, C, L].
        let statisticShape = input.rank == 2 ? [featureCount] : [featureCount, 1]
        let axes = input.rank == 2 ? [0] : [0, 2]
        let mean: Tensor, variance: Tensor
        if isTraining {
            let count = axes.reduce(1) { $0 * input.shape[$1] }
            precondition(count > 1, "BatchNorm1d: training needs more than one value per feature, got input \(input.shape).")
            mean = input.mean(alongAxes: axes, keepingDimensions: true).reshaped(statisticShape)
            variance = (input - mean).squared().mean(alongAxes: axes, keepingDimensions: true).reshaped(statisticShape)
            withoutGradients {
                let unbiased = variance * (Float(count) / Float(count - 1))
                runningMean.assign(runningMean * (1 - momentum) + mean.reshaped([featureCount]) * momentum)
                runningVar.assign(runningVar * (1 - momentum) + unbiased.reshaped([featureCount]) * momentum)
                numBatchesTracked.assign(numBatchesTracked + 1)
            }
        } else {
            mean = runningMean.reshaped(statisticShape)
            variance = runningVar.reshaped(statisticShape)
        }
        let normalized = (input - mean) / (variance + epsilon).sqrt()
        return normalized * weight.reshaped(statisticShape) + bias.reshaped(statisticShape)
    }

    public override var settingsDescription: String {
        "featureCount: \(featureCount), epsilon: \(epsilon), momentum: \(momentum)"
    }
}
