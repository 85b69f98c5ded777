import Foundation
import NervaData
import NervaNN
import NervaOptim
import NervaTensor

/// Training and evaluation of a Fashion-MNIST classifier, shared by `nerva classify`, the tour
/// and `nerva bench vision`.
struct ImageClassification {
    /// The two architectures on offer.
    enum Architecture: String, CaseIterable, Sendable {
        case mlp, cnn

        func makeModel(generator: RandomGenerator) -> any FeatureClassifier {
            switch self {
            case .mlp: MLPClassifier(generator: generator)
            case .cnn: LeNet(generator: generator)
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

    let model: any FeatureClassifier
    let optimizer: Optimizer
    let generator: RandomGenerator

    init(architecture: Architecture, learningRate: Float, generator: RandomGenerator) {
        model = architecture.makeModel(generator: generator)
        optimizer = Adam(model.parameters(), learningRate: learningRate)
        self.generator = generator
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

    /// Trains for `epochs` over `train`, measuring accuracy on `validation` after each epoch.
    func train(_ train: LabeledImages, validation: LabeledImages, epochs: Int, batchSize: Int,
               onEpoch: (EpochResult) -> Void = { _ in }) -> [EpochResult] {
        var results: [EpochResult] = []
        for epoch in 1...epochs {
            model.train()
            let batches = train.batches(size: batchSize, shuffle: true, generator: generator)
            let progress = ProgressBar(label: "epoch \(epoch)/\(epochs)", total: batches.count, samplesPerStep: batchSize)
            var total = 0.0, seen = 0
            let start = Date()
            for (index, batch) in batches.enumerated() {
                let loss = step(inputs: batch.inputs, labels: batch.labels)
                total += Double(loss) * Double(batch.labels.count)
                seen += batch.labels.count
                progress.update(step: index + 1, values: [("loss", total / Double(seen))])
            }
            progress.finish()
            let rate = Double(seen) / Date().timeIntervalSince(start)
            let result = EpochResult(epoch: epoch, trainLoss: total / Double(seen),
                                     validationAccuracy: Self.evaluate(model, on: validation).accuracy,
                                     samplesPerSecond: rate)
            results.append(result)
            onEpoch(result)
        }
        return results
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
