import NervaTensor

/// `max(x, 0)`.
public final class ReLU: Module, Layer {
    public override init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.relu() }
}

/// `x` for positive inputs, `negativeSlope · x` otherwise.
public final class LeakyReLU: Module, Layer {
    public let negativeSlope: Float
    public init(negativeSlope: Float = 0.01) { self.negativeSlope = negativeSlope }
    public func callAsFunction(_ input: Tensor) -> Tensor { input.leakyReLU(negativeSlope: negativeSlope) }
    public override var settingsDescription: String { "negativeSlope: \(negativeSlope)" }
}

/// `1 / (1 + e⁻ˣ)`.
public final class Sigmoid: Module, Layer {
    public override init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.sigmoid() }
}

/// The hyperbolic tangent.
public final class Tanh: Module, Layer {
    public override init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.tanh() }
}

/// `exp(x) / Σ exp(x)` along `axis`.
public final class Softmax: Module, Layer {
    public let axis: Int
    public init(axis: Int = -1) { self.axis = axis }
    public func callAsFunction(_ input: Tensor) -> Tensor { input.softmax(alongAxis: axis) }
    public override var settingsDescription: String { "axis: \(axis)" }
}

/// Flattens every axis after the first: `[N, …]` → `[N, product]`.
public final class Flatten: Module, Layer {
    public override init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.reshaped([input.shape.first ?? 1, -1]) }
}
