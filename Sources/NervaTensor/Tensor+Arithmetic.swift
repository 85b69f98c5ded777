import CNervaKernels

/// Broadcasting arithmetic: `+ - * /` between tensors and with scalars, and negation.
/// Pullbacks return gradients in the broadcast shape; the engine sums them back to each input.
extension Tensor {
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        let out = Elementwise.zip(lhs, rhs, "+", kernel: nerva_add) { $0 + $1 }
        guard recordsGradient(lhs, rhs) else { return out }
        return out.record("add", [lhs, rhs]) { g in [g, g] }
    }

    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        let out = Elementwise.zip(lhs, rhs, "-", kernel: nerva_subtract) { $0 - $1 }
        guard recordsGradient(lhs, rhs) else { return out }
        return out.record("subtract", [lhs, rhs]) { g in [g, rhs.requiresGradient ? -g : nil] }
    }

    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        let out = Elementwise.zip(lhs, rhs, "*", kernel: nerva_multiply) { $0 * $1 }
        guard recordsGradient(lhs, rhs) else { return out }
        return out.record("multiply", [lhs, rhs]) { g in
            [lhs.requiresGradient ? g * rhs : nil, rhs.requiresGradient ? g * lhs : nil]
        }
    }

    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
        let out = Elementwise.zip(lhs, rhs, "/", kernel: nerva_divide) { $0 / $1 }
        guard recordsGradient(lhs, rhs) else { return out }
        return out.record("divide", [lhs, rhs]) { g in
            [lhs.requiresGradient ? g / rhs : nil, rhs.requiresGradient ? -g * lhs / (rhs * rhs) : nil]
        }
    }

    public static prefix func - (x: Tensor) -> Tensor {
        let out = Vectorized.scaleShift(x, scale: -1, shift: -0.0)
        guard recordsGradient(x) else { return out }
        return out.record("negate", [x]) { g in [-g] }
    }

    // MARK: - With scalars

    public static func + (lhs: Tensor, rhs: Float) -> Tensor {
        let out = Vectorized.scaleShift(lhs, scale: 1, shift: rhs)
        guard recordsGradient(lhs) else { return out }
        return out.record("addScalar", [lhs]) { g in [g] }
    }

    public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs + lhs }

    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs + (-rhs) }

    public static func - (lhs: Float, rhs: Tensor) -> Tensor {
        let out = Vectorized.scaleShift(rhs, scale: -1, shift: lhs)
        guard recordsGradient(rhs) else { return out }
        return out.record("subtractFromScalar", [rhs]) { g in [-g] }
    }

    public static func * (lhs: Tensor, rhs: Float) -> Tensor {
        let out = Vectorized.scaleShift(lhs, scale: rhs, shift: -0.0)
        guard recordsGradient(lhs) else { return out }
        return out.record("multiplyScalar", [lhs]) { g in [g * rhs] }
    }

    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs * lhs }

    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs * (1 / rhs) }

    public static func / (lhs: Float, rhs: Tensor) -> Tensor {
        let out = Elementwise.map(rhs) { lhs / $0 }
        guard recordsGradient(rhs) else { return out }
        return out.record("divideScalar", [rhs]) { [unowned out] g in [-g * out / rhs] }
    }

    public static func += (lhs: inout Tensor, rhs: Tensor) { lhs = lhs + rhs }
    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs - rhs }
    public static func *= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs * rhs }
    public static func /= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs / rhs }
}
