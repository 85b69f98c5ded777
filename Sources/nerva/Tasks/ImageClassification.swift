import Foundation
import NervaData
import NervaNN
import NervaOptim
import NervaTensor

/// Training and evaluation of a Fashion-MNIST classifier, shared by `nerva classify`, the tour
/// and `nerva bench vision`.
struct ImageClassification {
    /// The architectures on offer: an MLP 784→256→128→10, LeNet-5 (the benchmark's and the
    /// federated tour's CNN), and LeNet with more filters and units for higher accuracy.
    enum Architecture: String, CaseIterable, Sendable {
        case mlp, cnn, cnnWide = "cnn-wide"

        func makeModel(generator: RandomGenerator) -> any FeatureClassifier {
            switch self {
            case .mlp: MLPClassifier(generator: generator)
            case .cnn: LeNet(generator: generator)
            case .cnnWide: LeNet(channels: (16, 32), hidden: (128, 84), generator: generator)
            }
        }
    }

    /// One epoch's measurements.
    struct EpochResult {
        let epoch: Int
        let trainLoss: Double
        let validationAccuracy: Double
        let samplesPerSecond: Double
    }

    /// How training images are varied each time they are seen.
    enum Augmentation: String, CaseIterable, Sendable {
        /// The images as they are.
        case none
        /// Each image mirrored left–right with probability ½ (garments are nearly symmetric).
        case flip
    }

    let model: any FeatureClassifier
    let optimizer: Optimizer
    let generator: RandomGenerator
    let learningRate: Float
    /// The most epochs one run takes: far beyond any useful run, and small enough that step
    /// counts (epochs × steps per epoch) never overflow.
    static let maximumEpochs = 1_000_000
    let augmentation: Augmentation

    init(architecture: Architecture, learningRate: Float, augmentation: Augmentation = .none,
         generator: RandomGenerator) {
        model = architecture.makeModel(generator: generator)
        optimizer = Adam(model.parameters(), learningRate: learningRate)
        self.generator = generator
        self.learningRate = learningRate
        self.augmentation = augmentation
    }

    /// One optimisation step on a batch; returns the loss.
    @discardableResult
    func step(inputs: Tensor, labels: [Int]) -> Float {
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
    func train(_ train: LabeledImages, validation: LabeledImages, epochs: Int, from first: Int = 1, batchSize: Int,
               onEpoch: (EpochResult) throws -> Void = { _ in }) throws -> [EpochResult] {
        var results: [EpochResult] = []
        guard first <= epochs else { return results }
        let stepsPerEpoch = BatchIndices(exampleCount: train.count, batchSize: batchSize, shuffle: false).count
        let schedule = CosineSchedule(initial: learningRate, period: epochs * stepsPerEpoch)
        for epoch in first...epochs {
            model.train()
            let batches = train.batches(size: batchSize, shuffle: true, generator: generator)
            let progress = ProgressBar(label: "epoch \(epoch)/\(epochs)", total: batches.count, samplesPerStep: batchSize)
            var total = 0.0, seen = 0
            let start = Date()
            for (index, batch) in batches.enumerated() {
                optimizer.learningRate = schedule.learningRate(at: (epoch - 1) * stepsPerEpoch + index)
                if augmentation == .flip { Self.mirrorHalf(batch.inputs, generator: generator) }
                let loss = step(inputs: batch.inputs, labels: batch.labels)
                guard loss.isFinite else {
                    progress.finish()
                    throw TrainingDivergedError(what: "classifier training", position: "epoch \(epoch), step \(index + 1)", detail: "loss \(loss)")
                }
                total += Double(loss) * Double(batch.labels.count)
                seen += batch.labels.count
                progress.update(step: index + 1, values: [("loss", total / Double(seen))])
            }
            progress.finish()
            if let bad = model.namedParameters().first(where: { !$0.tensor.scalars.allSatisfy(\.isFinite) }) {
                throw TrainingDivergedError(what: "classifier training", position: "the end of epoch \(epoch)", detail: "\(bad.name) is not finite")
            }
            let rate = Double(seen) / Date().timeIntervalSince(start)
            let result = EpochResult(epoch: epoch, trainLoss: total / Double(seen),
                                     validationAccuracy: Self.evaluate(model, on: validation).accuracy,
                                     samplesPerSecond: rate)
            results.append(result)
            try onEpoch(result)
        }
        return results
    }

    /// Mirrors each image of `images` ([N, C, H, W], modified in place) left–right with
    /// probability ½.
    static func mirrorHalf(_ images: Tensor, generator: RandomGenerator) {
        let count = images.shape[0], width = images.shape[3], rows = images.scalarCount / (count * width)
        let flips = (0..<count).map { _ in generator.bernoulli(0.5) }
        images.withUnsafeMutableBufferPointer { pixels in
            for image in 0..<count where flips[image] {
                for row in 0..<rows {
                    let base = (image * rows + row) * width
                    var left = base, right = base + width - 1
                    while left < right { pixels.swapAt(left, right); left += 1; right -= 1 }
                }
            }
        }
    }

    /// Accuracy and confusion matrix (`[true class][predicted class]`) on `data`.
    static func evaluate(_ model: any FeatureClassifier, on data: LabeledImages, batchSize: Int = 500)
        -> (accuracy: Double, confusion: [[Int]]) {
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
