import CNervaKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Element-wise functions and their derivatives. A pullback that needs the op's own output
/// captures it `unowned`: the output owns the pullback, and only a live output is ever pulled back.
extension Tensor {
    /// `eˣ`, element-wise.
    public func exp() -> Tensor {
        let out = Vectorized.unary(self, nerva_exp)
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("exp", [self]) { [unowned out] g in [g * out] }
    }

    /// The natural logarithm, element-wise.
    public func log() -> Tensor {
        let out = Elementwise.map(self) { logf($0) }
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("log", [self]) { g in [g / self] }
    }

    /// `log(1 + x)`, accurate for small `x`.
    public func log1p() -> Tensor {
        let out = Elementwise.map(self) { log1pf($0) }
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("log1p", [self]) { g in [g / (self + 1)] }
    }

    /// `√x`, element-wise.
    public func sqrt() -> Tensor {
        let out = Elementwise.map(self) { $0.squareRoot() }
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("sqrt", [self]) { [unowned out] g in [g * 0.5 / out] }
    }

    /// `x²`, element-wise.
    public func squared() -> Tensor {
        let out = Elementwise.map(self) { $0 * $0 }
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("square", [self]) { g in [g * self * 2] }
    }

    /// `|x|`, element-wise; the derivative at 0 is taken as 0.
    public func abs() -> Tensor {
        let out = Elementwise.map(self) { Swift.abs($0) }
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("abs", [self]) { g in [g * self.sign()] }
    }

    /// −1, 0 or 1 by the sign of each element (not differentiable: a constant).
    public func sign() -> Tensor {
        Elementwise.map(self) { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
    }

    /// `xᵖ` for a constant exponent.
    public func pow(_ exponent: Float) -> Tensor {
        let out = Elementwise.map(self) { powf($0, exponent) }
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("powScalar", [self]) { g in [g * exponent * self.pow(exponent - 1)] }
    }

    /// `selfᵉˣᵖᵒⁿᵉⁿᵗ` with broadcasting; the exponent's gradient is `out · log(self)`.
    public func pow(_ exponent: Tensor) -> Tensor {
        let out = Elementwise.zip(self, exponent, "pow") { powf($0, $1) }
        guard Tensor.recordsGradient(self, exponent) else { return out }
        return out.record("pow", [self, exponent]) { [unowned out] g in
            [
                self.requiresGradient ? g * exponent * self.pow(exponent - 1) : nil,
                exponent.requiresGradient ? g * out * self.log() : nil
            ]
        }
    }

    /// Each element limited to `[minimum, maximum]`; the gradient passes where `x` is inside.
    public func clamped(min minimum: Float = -.infinity, max maximum: Float = .infinity) -> Tensor {
        precondition(minimum <= maximum, "clamped: min \(minimum) is greater than max \(maximum).")
        let out = Elementwise.map(self) { Swift.min(Swift.max($0, minimum), maximum) }
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("clamp", [self]) { g in
            [g * Elementwise.map(self) { $0 >= minimum && $0 <= maximum ? 1 : 0 }]
        }
    }

    // MARK: - Activations

    /// `max(x, 0)`.
    public func relu() -> Tensor {
        let out = Vectorized.unary(self, nerva_relu)
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("relu", [self]) { g in
            guard !GradientRecording.isEnabled else { return [g * (self .> 0)] }
            return [Vectorized.binary(g, self, nerva_relu_backward)]
        }
    }

    /// `x` where positive, `negativeSlope · x` elsewhere.
    public func leakyReLU(negativeSlope: Float = 0.01) -> Tensor {
        let out = Vectorized.unary(self) { nerva_leaky_relu($0, negativeSlope, $1, $2) }
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("leakyReLU", [self]) { g in
            guard !GradientRecording.isEnabled else {
                return [g * Elementwise.map(self) { $0 > 0 ? 1 : negativeSlope }]
            }
            return [Vectorized.binary(g, self) { nerva_leaky_relu_backward($0, $1, negativeSlope, $2, $3) }]
        }
    }

    /// `1 / (1 + e⁻ˣ)`, computed without overflow.
    public func sigmoid() -> Tensor {
        let out = Vectorized.unary(self, nerva_sigmoid)
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("sigmoid", [self]) { [unowned out] g in
            guard !GradientRecording.isEnabled else { return [g * out * (1 - out)] }
            return [Vectorized.binary(g, out, nerva_sigmoid_backward)]
        }
    }

    /// The hyperbolic tangent.
    public func tanh() -> Tensor {
        let out = Vectorized.unary(self, nerva_tanh)
        guard Tensor.recordsGradient(self) else { return out }
        return out.record("tanh", [self]) { [unowned out] g in
            guard !GradientRecording.isEnabled else { return [g * (1 - out.squared())] }
            return [Vectorized.binary(g, out, nerva_tanh_backward)]
        }
    }

    /// `log(1 + eˣ)`, stable for large |x|.
    public func softplus() -> Tensor {
        relu() + (-abs()).exp().log1p()
    }
}

// MARK: - Binary functions

/// The element-wise maximum; where both are equal the gradient is split evenly (as in PyTorch).
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
    let out = Elementwise.zip(a, b, "maximum") { Swift.max($0, $1) }
    guard Tensor.recordsGradient(a, b) else { return out }
    return out.record("maximum", [a, b]) { g in
        let share = Elementwise.zip(a, b, "maximum") { $0 > $1 ? 1 : ($0 == $1 ? 0.5 : 0) }
        return [a.requiresGradient ? g * share : nil, b.requiresGradient ? g * (1 - share) : nil]
    }
}

/// The element-wise minimum; where both are equal the gradient is split evenly.
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
    -maximum(-a, -b)
}
