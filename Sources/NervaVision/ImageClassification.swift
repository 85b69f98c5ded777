import Foundation
import NervaData
import NervaNN
import NervaOptim
import NervaTensor

/// Training and evaluation of a Fashion-MNIST classifier (Adam, cross-entropy, a cosine learning
/// rate), shared by `nerva classify`, the tour, GAN evaluation, `nerva rec similar-images` and
/// `nerva bench vision`. `ClassificationRun` wraps it into a resumable run with a report.
///
/// ```swift
/// let training = ImageClassification(architecture: .cnn, learningRate: 1e-3, generator: RandomGenerator(seed: 0))
/// let epochs = try training.train(dataset.train, validation: dataset.test, epochs: 1, batchSize: 64)
/// ```
public struct ImageClassification {
    /// One epoch's measurements.
    public struct EpochResult: Sendable, Equatable {
        /// The epoch's number, from 1.
        public let epoch: Int
        /// The mean training loss over the epoch's images.
        public let trainLoss: Double
        /// Accuracy on the validation images after the epoch.
        public let validationAccuracy: Double
        /// Training images per second.
        public let samplesPerSecond: Double
        /// The loss of each optimisation step, in order (empty for epochs restored from a state).
        public let stepLosses: [Double]

        /// An epoch's measurements.
        public init(
            epoch: Int, trainLoss: Double, validationAccuracy: Double, samplesPerSecond: Double,
            stepLosses: [Double] = []
        ) {
            self.epoch = epoch
            self.trainLoss = trainLoss
            self.validationAccuracy = validationAccuracy
            self.samplesPerSecond = samplesPerSecond
            self.stepLosses = stepLosses
        }
    }

    /// The network being trained.
    public let model: any FeatureClassifier
    /// Adam over the model's parameters.
    public let optimizer: Optimizer
    /// The random stream of batch order and augmentation (and of the initial weights).
    public let generator: RandomGenerator
    /// The initial learning rate.
    public let learningRate: Float
    /// How training images are varied.
    public let augmentation: Augmentation

    /// A new model of `architecture`, initialised from `generator`, with Adam at `learningRate`.
    public init(
        architecture: Architecture, learningRate: Float, augmentation: Augmentation = .none,
        generator: RandomGenerator
    ) {
        model = architecture.makeModel(generator: generator)
        optimizer = Adam(model.parameters(), learningRate: learningRate)
        self.generator = generator
        self.learningRate = learningRate
        self.augmentation = augmentation
    }

    /// One optimisation step on a batch; returns the loss.
    @discardableResult
    public func step(inputs: Tensor, labels: [Int]) -> Float {
        optimizer.zeroGradients()
        let loss = crossEntropy(logits: model(inputs), labels: labels)
        loss.backward()
        optimizer.step()
        return loss.scalar
    }

    /// Trains epochs `first...epochs` over `train` (earlier epochs were done before a resume),
    /// measuring accuracy on `validation` after each. The learning rate follows a cosine from its
    /// initial value to zero over all `epochs` steps, step by step. `onEpoch` runs after each epoch
    /// (the place to save a resumable state). A loss or parameter that stops being finite ends
    /// training with `TrainingDivergedError` before `onEpoch` sees the diverged epoch, so the
    /// last saved state stays the last good one.
    ///
    /// - Throws: `TrainingDivergedError`, or what `onEpoch` throws.
    public func train(
        _ train: LabeledImages, validation: LabeledImages, epochs: Int, from first: Int = 1,
        batchSize: Int,
        onEpoch: (EpochResult) throws -> Void = { _ in }
    ) throws -> [EpochResult] {
        var results: [EpochResult] = []
        guard first <= epochs else { return results }
        let stepsPerEpoch = BatchIndices(exampleCount: train.count, batchSize: batchSize, shuffle: false).count
        let schedule = CosineSchedule(initial: learningRate, period: epochs * stepsPerEpoch)
        for epoch in first...epochs {
            model.train()
            let batches = train.batches(size: batchSize, shuffle: true, generator: generator)
            let progress = ProgressBar(
                label: "epoch \(epoch)/\(epochs)", total: batches.count, samplesPerStep: batchSize)
            var total = 0.0, seen = 0
            var stepLosses: [Double] = []
            stepLosses.reserveCapacity(batches.count)
            let start = Date()
            for (index, batch) in batches.enumerated() {
                optimizer.learningRate = schedule.learningRate(at: (epoch - 1) * stepsPerEpoch + index)
                if augmentation == .flip { Self.mirrorHalf(batch.inputs, generator: generator) }
                let loss = step(inputs: batch.inputs, labels: batch.labels)
                guard loss.isFinite else {
                    progress.finish()
                    throw TrainingDivergedError(
                        what: "classifier training", position: "epoch \(epoch), step \(index + 1)",
                        detail: "loss \(loss)")
                }
                stepLosses.append(Double(loss))
                total += Double(loss) * Double(batch.labels.count)
                seen += batch.labels.count
                progress.update(step: index + 1, values: [("loss", total / Double(seen))])
            }
            progress.finish()
            if let bad = model.namedParameters().first(where: { !$0.tensor.scalars.allSatisfy(\.isFinite) }) {
                throw TrainingDivergedError(
                    what: "classifier training", position: "the end of epoch \(epoch)",
                    detail: "\(bad.name) is not finite")
            }
            let rate = Double(seen) / Date().timeIntervalSince(start)
            let result = EpochResult(
                epoch: epoch, trainLoss: total / Double(seen),
                validationAccuracy: Self.evaluate(model, on: validation).accuracy,
                samplesPerSecond: rate, stepLosses: stepLosses)
            results.append(result)
            try onEpoch(result)
        }
        return results
    }

    /// Mirrors each image of `images` ([N, C, H, W], modified in place) left–right with
    /// probability ½.
    public static func mirrorHalf(_ images: Tensor, generator: RandomGenerator) {
        let count = images.shape[0], width = images.shape[3], rows = images.scalarCount / (count * width)
        let flips = (0..<count).map { _ in generator.bernoulli(0.5) }
        images.withUnsafeMutableBufferPointer { pixels in
            for image in 0..<count where flips[image] {
                for row in 0..<rows {
                    let base = (image * rows + row) * width
                    var left = base, right = base + width - 1
                    while left < right {
                        pixels.swapAt(left, right)
                        left += 1
                        right -= 1
                    }
                }
            }
        }
    }

    /// Accuracy and confusion matrix (`[true class][predicted class]`) on `data`.
    public static func evaluate(_ model: any FeatureClassifier, on data: LabeledImages, batchSize: Int = 500)
        -> (accuracy: Double, confusion: [[Int]])
    {
        model.eval()
        defer { model.train() }
        var confusion = Array(repeating: Array(repeating: 0, count: model.classCount), count: model.classCount)
        withoutGradients {
            for batch in data.batches(size: batchSize, shuffle: false, generator: RandomGenerator(seed: 0)) {
                let predicted = model(batch.inputs).argmax(alongAxis: 1).scalars
                for (label, guess) in zip(batch.labels, predicted) { confusion[label][Int(guess)] += 1 }
            }
        }
        let correct = confusion.indices.reduce(0) { $0 + confusion[$1][$1] }
        return (Double(correct) / Double(max(data.count, 1)), confusion)
    }
}
