import NervaNN
import NervaOptim
import NervaTensor

// Fits y = 3x − 1 plus noise with a one-unit linear layer and Adam, then a module of its own on XOR:
// the public API only, as a package that depends on Nerva sees it.
let generator = RandomGenerator(seed: 7)
let x = Tensor.uniform([256, 1], low: -1, high: 1, generator: generator)
let y = x * 3 - 1 + Tensor.normal([256, 1], generator: generator) * 0.05

let line = Linear(inputSize: 1, outputSize: 1, generator: generator)
let optimizer = Adam(line.parameters(), learningRate: 0.05)
var firstLoss: Float = 0, loss: Float = 0
for step in 0..<300 {
    optimizer.zeroGradients()
    let error = mseLoss(predictions: line(x), targets: y)
    error.backward()
    optimizer.step()
    if step == 0 { firstLoss = error.scalar }
    loss = error.scalar
}
print("linear regression: loss \(firstLoss) → \(loss), weight \(line.weight.scalar), bias \(line.bias!.scalar)")

/// A module of one's own: its layers are found by reflection, so `parameters()` lists them.
final class XORNetwork: Module {
    let hidden: Linear, output: Linear

    init(generator: RandomGenerator) {
        hidden = Linear(inputSize: 2, outputSize: 8, generator: generator)
        output = Linear(inputSize: 8, outputSize: 1, generator: generator)
    }

    /// The logit of "x₁ XOR x₂" for each row of `x` (`[N, 2]`).
    func callAsFunction(_ x: Tensor) -> Tensor { output(hidden(x).tanh()) }
}

let inputs = Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2]), targets = Tensor([0, 1, 1, 0], shape: [4, 1])
let mlp = XORNetwork(generator: generator)
let xorOptimizer = Adam(mlp.parameters(), learningRate: 0.05)
var xorLoss: Float = 0
for _ in 0..<500 {
    xorOptimizer.zeroGradients()
    let error = binaryCrossEntropy(logits: mlp(inputs), targets: targets)
    error.backward()
    xorOptimizer.step()
    xorLoss = error.scalar
}
let predictions = mlp(inputs).sigmoid().scalars.map { $0 > 0.5 ? 1 : 0 }
print("xor: loss \(xorLoss), predictions \(predictions)")
guard loss < 0.01, predictions == [0, 1, 1, 0] else { fatalError("the example did not learn") }
