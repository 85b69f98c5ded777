// Tensors, broadcasting and reverse-mode autodiff: the primitives every other target builds on.
import NervaTensor

// snippet.create
let generator = RandomGenerator(seed: 42)
let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]) // row-major, Float32
let w = Tensor.normal([3, 2], standardDeviation: 0.1, generator: generator).requiringGradient()
let b = Tensor.zeros([2]).requiringGradient()
// snippet.end

// snippet.forward
let y = x.matmul(w) + b // [2, 2]; `b` broadcasts over rows
let loss = (y.relu() - 1).squared().mean() // a scalar
// snippet.end

// snippet.backward
loss.backward() // fills `w.gradient` and `b.gradient`
print("loss", loss.scalar, "∂loss/∂w", w.gradient!.shape, "∂loss/∂b", b.gradient!.scalars)

// `gradients(of:wrt:)` returns gradients without touching `.gradient`; with `createGraph: true`
// they are tensors of the graph themselves and can be differentiated again.
let t = Tensor([0.5, -1, 2]).requiringGradient()
let cube = t.pow(3).sum()
let firstDerivative = gradients(of: cube, wrt: [t], createGraph: true)[0] // 3t²
let secondDerivative = gradients(of: firstDerivative.sum(), wrt: [t])[0] // 6t
print("d/dt t³ =", firstDerivative.scalars, "d²/dt² t³ =", secondDerivative.scalars)
// snippet.end

// snippet.noGradients
let prediction = withoutGradients { x.matmul(w) + b } // no graph is recorded
print("prediction requires a gradient:", prediction.requiresGradient)
// snippet.end

// snippet.hide
precondition(secondDerivative.scalars == [3, -6, 12], "second derivative of t³ should be 6t")
precondition(!prediction.requiresGradient)
