import NervaTensor

/// Zeroes each element with probability `probability` while training and scales the rest by
/// `1 / (1 − probability)`; the identity in evaluation mode (Srivastava et al. 2014).
public final class Dropout: Module, Layer {
    public let probability: Float
    private let generator: RandomGenerator

    public init(probability: Float = 0.5, generator: RandomGenerator = .default) {
        precondition(probability >= 0 && probability < 1, "Dropout: probability must be in [0, 1), got \(probability).")
        self.probability = probability
        self.generator = generator
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        guard isTraining && probability > 0 else { return input }
        let keep = Tensor.bernoulli(input.shape, probability: 1 - probability, generator: generator)
        return input * (keep / (1 - probability))
    }

    public override var settingsDescription: String { "probability: \(probability)" }
}
