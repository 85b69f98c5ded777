import Foundation
import NervaNN
import NervaOptim
import NervaTensor
import Testing

/// XOR's four points and targets.
private let xorInputs = Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2])
private let xorTargets = Tensor([0, 1, 1, 0], shape: [4, 1])

private func xorNetwork(seed: UInt64) -> Sequential {
    let g = RandomGenerator(seed: seed)
    return Sequential(
        Linear(inputSize: 2, outputSize: 8, generator: g), Tanh(), Linear(inputSize: 8, outputSize: 1, generator: g))
}

/// Full-batch training on XOR; returns the final loss.
private func trainXOR(_ model: Sequential, _ optimizer: Optimizer, steps: Int) -> Float {
    var loss: Float = .infinity
    for _ in 0..<steps {
        optimizer.zeroGradients()
        let l = binaryCrossEntropy(logits: model(xorInputs), targets: xorTargets)
        l.backward()
        optimizer.step()
        loss = l.scalar
    }
    return loss
}

/// Three concentric noisy rings of radii 1, 2 and 3, one class each: not linearly separable.
private func rings(perClass: Int, seed: UInt64) -> (points: Tensor, labels: [Int]) {
    let g = RandomGenerator(seed: seed)
    var points: [Float] = [], labels: [Int] = []
    for i in 0..<(3 * perClass) {
        let label = i % 3
        let radius = Float(label + 1) + 0.15 * g.normal()
        let angle = g.uniform(0, 2 * Float.pi)
        points += [radius * Foundation.cos(angle), radius * Foundation.sin(angle)]
        labels.append(label)
    }
    return (Tensor(points, shape: [3 * perClass, 2]), labels)
}

/// Mini-batch training with a seeded shuffle each epoch.
private func trainClassifier(
    _ model: any Layer, _ optimizer: Optimizer, points: Tensor, labels: [Int],
    epochs: Int, batchSize: Int, seed: UInt64
) {
    let g = RandomGenerator(seed: seed)
    let n = labels.count
    model.train()
    for _ in 0..<epochs {
        let order = g.permutation(n)
        for start in stride(from: 0, to: n, by: batchSize) {
            let batch = Array(order[start..<min(start + batchSize, n)])
            optimizer.zeroGradients()
            crossEntropy(logits: model(points.gathering(rows: batch)), labels: batch.map { labels[$0] }).backward()
            optimizer.step()
        }
    }
}

private func accuracy(_ model: any Layer, points: Tensor, labels: [Int]) -> Double {
    model.eval()
    let predictions = withoutGradients { model(points).argmax(alongAxis: 1) }.scalars
    let correct = zip(predictions, labels).filter { Int($0) == $1 }.count
    return Double(correct) / Double(labels.count)
}

@Suite struct LearningTests {
    @Test func mlpLearnsXORWithAdam() {
        let model = xorNetwork(seed: 1)
        let loss = trainXOR(model, Adam(model.parameters(), learningRate: 0.05), steps: 400)
        let outputs = withoutGradients { model(xorInputs).sigmoid() }.scalars
        #expect(outputs.map { $0.rounded() } == [0, 1, 1, 0], "outputs \(outputs)")
        #expect(loss < 0.05)
    }

    @Test func mlpLearnsXORWithSGDAndMomentum() {
        let model = xorNetwork(seed: 2)
        let loss = trainXOR(model, SGD(model.parameters(), learningRate: 0.1, momentum: 0.9), steps: 600)
        let outputs = withoutGradients { model(xorInputs).sigmoid() }.scalars
        #expect(outputs.map { $0.rounded() } == [0, 1, 1, 0], "outputs \(outputs)")
        #expect(loss < 0.05)
    }

    @Test func classifierSeparatesRingsWithSGD() {
        let train = rings(perClass: 200, seed: 3), test = rings(perClass: 200, seed: 4)
        let g = RandomGenerator(seed: 5)
        let model = Sequential(
            Linear(inputSize: 2, outputSize: 32, generator: g), ReLU(),
            Linear(inputSize: 32, outputSize: 32, generator: g), ReLU(),
            Linear(inputSize: 32, outputSize: 3, generator: g))
        let before = accuracy(model, points: test.points, labels: test.labels)
        trainClassifier(
            model, SGD(model.parameters(), learningRate: 0.05, momentum: 0.9),
            points: train.points, labels: train.labels, epochs: 60, batchSize: 32, seed: 6)
        let trained = accuracy(model, points: test.points, labels: test.labels)
        #expect(before < 0.6)
        #expect(trained >= 0.95, "test accuracy \(trained)")
    }

    @Test func classifierWithBatchNormAndDropoutSeparatesRingsWithAdam() {
        let train = rings(perClass: 200, seed: 7), test = rings(perClass: 200, seed: 8)
        let g = RandomGenerator(seed: 9)
        let model = Sequential(
            Linear(inputSize: 2, outputSize: 32, generator: g), BatchNorm1d(featureCount: 32), ReLU(),
            Dropout(probability: 0.1, generator: g),
            Linear(inputSize: 32, outputSize: 32, generator: g), ReLU(),
            Linear(inputSize: 32, outputSize: 3, generator: g))
        trainClassifier(
            model, Adam(model.parameters(), learningRate: 0.01),
            points: train.points, labels: train.labels, epochs: 60, batchSize: 32, seed: 10)
        let trained = accuracy(model, points: test.points, labels: test.labels)
        #expect(trained >= 0.95, "test accuracy \(trained)")
    }
}
