// A module of one's own trained with Adam, a cosine learning-rate schedule and gradient clipping,
// then saved as a safetensors checkpoint and loaded into a fresh copy.
import Foundation
import NervaNN
import NervaOptim
import NervaTensor

// snippet.module
/// Two hidden layers and a classification head; `parameters()` finds the three `Linear` layers
/// by reflection, named after the properties (`hidden.weight`, `head.bias`, …).
final class PointClassifier: Module, Layer {
    let hidden: Linear
    let hidden2: Linear
    let head: Linear

    init(classCount: Int, generator: RandomGenerator) {
        hidden = Linear(inputSize: 2, outputSize: 32, generator: generator)
        hidden2 = Linear(inputSize: 32, outputSize: 32, generator: generator)
        head = Linear(inputSize: 32, outputSize: classCount, generator: generator)
    }

    /// Class logits `[N, classCount]` for points `[N, 2]`.
    func callAsFunction(_ points: Tensor) -> Tensor {
        head(hidden2(hidden(points).relu()).relu())
    }
}
// snippet.end

// snippet.hide
/// `count` points on each of `classCount` interleaved spiral arms, with a little noise.
func spirals(count: Int, classCount: Int, generator: RandomGenerator) -> (points: Tensor, labels: [Int]) {
    var coordinates: [Float] = [], labels: [Int] = []
    for arm in 0..<classCount {
        for index in 0..<count {
            let radius = Float(index) / Float(count)
            let angle = Float(arm) * 2 * Float.pi / Float(classCount) + radius * 4 + generator.normal() * 0.15
            coordinates += [radius * cos(angle), radius * sin(angle)]
            labels.append(arm)
        }
    }
    return (Tensor(coordinates, shape: [count * classCount, 2]), labels)
}
// snippet.show

// snippet.train
let generator = RandomGenerator(seed: 1)
let (points, labels) = spirals(count: 100, classCount: 3, generator: generator)
let model = PointClassifier(classCount: 3, generator: generator)
let optimizer = Adam(model.parameters(), learningRate: 0.02)
let schedule = CosineSchedule(initial: 0.02, minimum: 0.001, period: 400)

for step in 0..<400 {
    optimizer.learningRate = schedule.learningRate(at: step)
    optimizer.zeroGradients()
    let loss = crossEntropy(logits: model(points), labels: labels)
    loss.backward()
    clipGradientNorm(model.parameters(), maxNorm: 5)
    optimizer.step()
    if step % 100 == 0 { print("step \(step): loss \(loss.scalar)") }
}
// snippet.end

// snippet.evaluate
model.eval()
func accuracy(_ classifier: PointClassifier) -> Double {
    let predicted = withoutGradients { classifier(points).argmax(alongAxis: 1).scalars.map { Int($0) } }
    return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
}
print("training accuracy:", accuracy(model))
// snippet.end

// snippet.checkpoint
let file = FileManager.default.temporaryDirectory.appendingPathComponent("point-classifier.safetensors")
try model.save(to: file) // PyTorch's names and layouts
let restored = PointClassifier(classCount: 3, generator: RandomGenerator(seed: 99))
try restored.load(from: file)
restored.eval()
print("restored accuracy:", accuracy(restored))
// snippet.end

// snippet.hide
try? FileManager.default.removeItem(at: file)
precondition(accuracy(model) > 0.9 && accuracy(restored) == accuracy(model), "the classifier did not learn the spirals")
