import NervaTensor

/// Batch normalisation over the channels of `[N, C, H, W]` images (PyTorch's `nn.BatchNorm2d`):
/// `y = (x − mean) / √(var + ε) · weight + bias`, with statistics per channel over `N`, `H` and `W`.
///
/// In training mode it normalises with the batch's statistics and updates the running ones
/// (`running = (1 − momentum) · running + momentum · batch`, with the unbiased batch variance);
/// in evaluation mode it uses the running statistics. State names match PyTorch's
/// (`weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`), as `BatchNorm1d`'s.
///
/// Input and output: `[N, C, H, W]`.
public final class BatchNorm2d: Module, Layer {
    /// `[C]`, initialised to ones.
    public let weight: Tensor
    /// `[C]`, initialised to zeros.
    public let bias: Tensor
    /// `[C]`, the running mean (buffer `running_mean`), initialised to zeros.
    @Buffer public var runningMean: Tensor
    /// `[C]`, the running unbiased variance (buffer `running_var`), initialised to ones.
    @Buffer public var runningVar: Tensor
    /// `[]`, the number of training batches seen (buffer `num_batches_tracked`).
    @Buffer public var numBatchesTracked: Tensor
    /// Added to the variance before the square root.
    public let epsilon: Float
    /// The weight of each new batch in the running statistics.
    public let momentum: Float

    /// The number of channels `C`.
    public var featureCount: Int { weight.shape[0] }

    /// - Parameters:
    ///   - featureCount: the number of channels `C`.
    ///   - epsilon: added to the variance before the square root.
    ///   - momentum: the weight of each new batch in the running statistics.
    public init(featureCount: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        precondition(featureCount > 0, "BatchNorm2d: featureCount must be positive, got \(featureCount).")
        weight = Tensor.ones([featureCount]).requiringGradient()
        bias = Tensor.zeros([featureCount]).requiringGradient()
        runningMean = .zeros([featureCount])
        runningVar = .ones([featureCount])
        numBatchesTracked = .zeros([])
        self.epsilon = epsilon
        self.momentum = momentum
    }

    /// `input` (`[N, C, H, W]`) normalised per channel, with batch statistics in training mode
    /// and running statistics in evaluation mode.
    public func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(
            input.rank == 4 && input.shape[1] == featureCount,
            "BatchNorm2d: expected [N, \(featureCount), H, W], got \(input.shape).")
        let statistics = BatchStatistics(
            runningMean: runningMean, runningVar: runningVar,
            numBatchesTracked: numBatchesTracked, epsilon: epsilon, momentum: momentum)
        return statistics.normalize(input, weight: weight, bias: bias, isTraining: isTraining, "BatchNorm2d")
    }

    public override var settingsDescription: String {
        "featureCount: \(featureCount), epsilon: \(epsilon), momentum: \(momentum)"
    }
}

/// The normalisation shared by the batch-norm layers: per-feature statistics over every axis but
/// the feature axis 1, running statistics updated in training mode and used in evaluation mode.
/// It computes exactly what `BatchNorm1d` computes for `[N, C]` and `[N, C, L]` inputs, so that
/// layer can delegate to it too.
struct BatchStatistics {
    let runningMean: Tensor
    let runningVar: Tensor
    let numBatchesTracked: Tensor
    let epsilon: Float
    let momentum: Float

    /// `(x − mean) / √(var + ε) · weight + bias` for `input` `[N, C, …]`, with statistics over
    /// every axis but 1: the batch's (the engine's fused `batchNormalized`) in training mode, the
    /// running ones in evaluation mode.
    func normalize(_ input: Tensor, weight: Tensor, bias: Tensor, isTraining: Bool, _ layer: StaticString) -> Tensor {
        let featureCount = weight.shape[0]
        if isTraining {
            let count = input.scalarCount / featureCount
            precondition(
                count > 1, "\(layer): training needs more than one value per feature, got input \(input.shape).")
            let (output, mean, variance) = input.batchNormalized(weight: weight, bias: bias, epsilon: epsilon)
            withoutGradients {
                let unbiased = variance * (Float(count) / Float(count - 1))
                runningMean.assign(runningMean * (1 - momentum) + mean * momentum)
                runningVar.assign(runningVar * (1 - momentum) + unbiased * momentum)
                numBatchesTracked.assign(numBatchesTracked + 1)
            }
            return output
        }
        // Statistics broadcast as [C, 1, …, 1] against [N, C, …].
        let statisticShape = [featureCount] + [Int](repeating: 1, count: input.rank - 2)
        let mean = runningMean.reshaped(statisticShape), variance = runningVar.reshaped(statisticShape)
        let normalized = (input - mean) / (variance + epsilon).sqrt()
        return normalized * weight.reshaped(statisticShape) + bias.reshaped(statisticShape)
    }
}
