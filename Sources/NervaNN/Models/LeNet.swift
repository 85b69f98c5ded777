import NervaTensor

/// A LeNet-5-style convolutional network for 28×28 single-channel images (LeCun et al. 1998):
/// conv 5×5 1→6 (padding 2), ReLU, max-pool 2; conv 5×5 6→16, ReLU, max-pool 2;
/// 400 → 120 → 84 → classCount. Features are the 84 penultimate activations.
///
/// `channels` and `hidden` widen it (`LeNet(channels: (16, 32), hidden: (128, 84))` is `nerva
/// classify --model cnn-wide`); the defaults are LeCun's.
public final class LeNet: Module, FeatureClassifier {
    public let convolutions: Sequential
    public let dense: Sequential
    public let output: Linear

    public var classCount: Int { output.outputSize }

    public init(
        inputChannels: Int = 1, classCount: Int = 10, channels: (Int, Int) = (6, 16),
        hidden: (Int, Int) = (120, 84), generator: RandomGenerator = .default
    ) {
        convolutions = Sequential(
            Conv2d(
                inputChannels: inputChannels, outputChannels: channels.0, kernelSize: 5, padding: 2,
                generator: generator),
            ReLU(), MaxPool2d(kernelSize: 2),
            Conv2d(inputChannels: channels.0, outputChannels: channels.1, kernelSize: 5, generator: generator),
            ReLU(), MaxPool2d(kernelSize: 2),
            Flatten())
        dense = Sequential(
            Linear(inputSize: channels.1 * 25, outputSize: hidden.0, generator: generator), ReLU(),
            Linear(inputSize: hidden.0, outputSize: hidden.1, generator: generator), ReLU())
        output = Linear(inputSize: hidden.1, outputSize: classCount, generator: generator)
    }

    public func features(_ images: Tensor) -> Tensor {
        precondition(
            images.rank == 4 && images.shape[2] == 28 && images.shape[3] == 28,
            "LeNet: expected images [N, C, 28, 28], got \(images.shape).")
        return dense(convolutions(images))
    }

    public func logits(fromFeatures features: Tensor) -> Tensor { output(features) }
}
