import NervaTensor

/// How to fill a weight tensor, with PyTorch's fan conventions (`fanIn = shape[1] · receptive
/// field`, `fanOut = shape[0] · receptive field`).
public enum Initialization: Sendable {
    /// `U(−b, b)` with `b = gain · √(3 / fanIn)`, `gain = √(2 / (1 + negativeSlope²))`
    /// (He et al. 2015). PyTorch's `Linear` default is `negativeSlope = √5`, i.e. `b = 1/√fanIn`.
    case kaimingUniform(negativeSlope: Float = 0)
    /// `N(0, σ²)` with `σ = gain / √fanIn`, `gain = √(2 / (1 + negativeSlope²))`.
    case kaimingNormal(negativeSlope: Float = 0)
    /// `U(−b, b)` with `b = gain · √(6 / (fanIn + fanOut))` (Glorot & Bengio 2010).
    case xavierUniform(gain: Float = 1)
    /// `N(0, σ²)` with `σ = gain · √(2 / (fanIn + fanOut))`.
    case xavierNormal(gain: Float = 1)
    /// `N(mean, standardDeviation²)`.
    case normal(mean: Float = 0, standardDeviation: Float = 1)
    /// `U(low, high)`.
    case uniform(low: Float, high: Float)
    /// A constant.
    case constant(Float)

    /// PyTorch's default for `Linear` and convolution weights: `kaimingUniform(negativeSlope: √5)`.
    public static let pytorchDefault = Initialization.kaimingUniform(negativeSlope: Float(5).squareRoot())

    /// `(fanIn, fanOut)` of a weight of this shape.
    public static func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(shape.count >= 2, "Initialization: fans need a weight of rank ≥ 2, got \(shape).")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// A new tensor of `shape` drawn from this distribution.
    public func tensor(_ shape: [Int], generator: RandomGenerator = .default) -> Tensor {
        switch self {
        case .kaimingUniform(let slope):
            let bound = gain(slope) * (3 / Float(Self.fans(of: shape).fanIn)).squareRoot()
            return .uniform(shape, low: -bound, high: bound, generator: generator)
        case .kaimingNormal(let slope):
            return .normal(
                shape, standardDeviation: gain(slope) / Float(Self.fans(of: shape).fanIn).squareRoot(),
                generator: generator)
        case .xavierUniform(let gain):
            let (fanIn, fanOut) = Self.fans(of: shape)
            let bound = gain * (6 / Float(fanIn + fanOut)).squareRoot()
            return .uniform(shape, low: -bound, high: bound, generator: generator)
        case .xavierNormal(let gain):
            let (fanIn, fanOut) = Self.fans(of: shape)
            return .normal(
                shape, standardDeviation: gain * (2 / Float(fanIn + fanOut)).squareRoot(), generator: generator)
        case let .normal(mean, standardDeviation):
            return .normal(shape, mean: mean, standardDeviation: standardDeviation, generator: generator)
        case let .uniform(low, high):
            return .uniform(shape, low: low, high: high, generator: generator)
        case .constant(let value):
            return .full(shape, value: value)
        }
    }

    private func gain(_ negativeSlope: Float) -> Float { (2 / (1 + negativeSlope * negativeSlope)).squareRoot() }
}

extension Tensor {
    /// Refills this parameter in place from `initialization` (PyTorch's `nn.init.*_`).
    public func initialize(_ initialization: Initialization, generator: RandomGenerator = .default) {
        assign(initialization.tensor(shape, generator: generator))
    }
}
