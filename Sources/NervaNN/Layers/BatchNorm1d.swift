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
        precondition(
            (input.rank == 2 || input.rank == 3) && input.shape[1] == featureCount,
            "BatchNorm1d: expected [N, \(featureCount)] or [N, \(featureCount), L], got \(input.shape).")
        let statistics = BatchStatistics(
            runningMean: runningMean, runningVar: runningVar,
            numBatchesTracked: numBatchesTracked, epsilon: epsilon, momentum: momentum)
        return statistics.normalize(input, weight: weight, bias: bias, isTraining: isTraining, "BatchNorm1d")
    }

    public override var settingsDescription: String {
        "featureCount: \(featureCount), epsilon: \(epsilon), momentum: \(momentum)"
    }
}
