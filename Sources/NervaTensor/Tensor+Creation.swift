/// Factory functions: constants, ranges and random tensors.
extension Tensor {
    /// A tensor of the given shape filled with `value`.
    public static func full(_ shape: [Int], value: Float) -> Tensor {
        precondition(shape.allSatisfy { $0 >= 0 }, "full: negative dimension in \(shape).")
        return Tensor(shape: shape, storage: TensorStorage(repeating: value, count: Shape.count(shape)))
    }

    /// Zeros of the given shape.
    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, value: 0) }

    /// Ones of the given shape.
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, value: 1) }

    /// Zeros of this tensor's shape.
    public func zerosLike() -> Tensor { Tensor.zeros(shape) }

    /// `[start, start + step, …]` up to but excluding `end`, as a 1-D tensor.
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange: step must not be zero.")
        let count = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        let out = Tensor(uninitializedShape: [count])
        for i in 0..<count { out.storage.base[i] = start + Float(i) * step }
        return out
    }

    /// The `n × n` identity matrix.
    public static func identity(_ n: Int) -> Tensor {
        let out = zeros([n, n])
        for i in 0..<n { out.storage.base[i * n + i] = 1 }
        return out
    }

    /// Samples from `Uniform[low, high)`.
    public static func uniform(
        _ shape: [Int], low: Float = 0, high: Float = 1,
        generator: RandomGenerator = .default
    ) -> Tensor {
        precondition(low <= high, "uniform: low \(low) is greater than high \(high).")
        let out = Tensor(uninitializedShape: shape)
        generator.fillUniform(out.storage.buffer, low: low, high: high)
        return out
    }

    /// Samples from `Normal(mean, standardDeviation²)`.
    public static func normal(
        _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
        generator: RandomGenerator = .default
    ) -> Tensor {
        precondition(standardDeviation >= 0, "normal: standard deviation \(standardDeviation) is negative.")
        let out = Tensor(uninitializedShape: shape)
        generator.fillNormal(out.storage.buffer, mean: mean, standardDeviation: standardDeviation)
        return out
    }

    /// 1 with probability `probability`, 0 otherwise, element-wise.
    public static func bernoulli(
        _ shape: [Int], probability: Float,
        generator: RandomGenerator = .default
    ) -> Tensor {
        precondition(probability >= 0 && probability <= 1, "bernoulli: probability \(probability) is outside [0, 1].")
        let out = uniform(shape, generator: generator)
        let p = out.storage.base
        for i in 0..<out.scalarCount { p[i] = p[i] < probability ? 1 : 0 }
        return out
    }
}
