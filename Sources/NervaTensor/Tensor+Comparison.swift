/// Element-wise comparisons producing masks: 1 where the comparison holds, 0 elsewhere.
/// Masks are constants: no gradient flows through a comparison.
extension Tensor {
    public static func .> (lhs: Tensor, rhs: Tensor) -> Tensor { Elementwise.zip(lhs, rhs, ".>") { $0 > $1 ? 1 : 0 } }
    public static func .< (lhs: Tensor, rhs: Tensor) -> Tensor { Elementwise.zip(lhs, rhs, ".<") { $0 < $1 ? 1 : 0 } }
    public static func .>= (lhs: Tensor, rhs: Tensor) -> Tensor {
        Elementwise.zip(lhs, rhs, ".>=") { $0 >= $1 ? 1 : 0 }
    }
    public static func .<= (lhs: Tensor, rhs: Tensor) -> Tensor {
        Elementwise.zip(lhs, rhs, ".<=") { $0 <= $1 ? 1 : 0 }
    }
    public static func .== (lhs: Tensor, rhs: Tensor) -> Tensor {
        Elementwise.zip(lhs, rhs, ".==") { $0 == $1 ? 1 : 0 }
    }
    public static func .!= (lhs: Tensor, rhs: Tensor) -> Tensor {
        Elementwise.zip(lhs, rhs, ".!=") { $0 != $1 ? 1 : 0 }
    }

    public static func .> (lhs: Tensor, rhs: Float) -> Tensor { Elementwise.map(lhs) { $0 > rhs ? 1 : 0 } }
    public static func .< (lhs: Tensor, rhs: Float) -> Tensor { Elementwise.map(lhs) { $0 < rhs ? 1 : 0 } }
    public static func .>= (lhs: Tensor, rhs: Float) -> Tensor { Elementwise.map(lhs) { $0 >= rhs ? 1 : 0 } }
    public static func .<= (lhs: Tensor, rhs: Float) -> Tensor { Elementwise.map(lhs) { $0 <= rhs ? 1 : 0 } }
    public static func .== (lhs: Tensor, rhs: Float) -> Tensor { Elementwise.map(lhs) { $0 == rhs ? 1 : 0 } }
    public static func .!= (lhs: Tensor, rhs: Float) -> Tensor { Elementwise.map(lhs) { $0 != rhs ? 1 : 0 } }

    /// This tensor with its elements replaced by `other`'s where `mask` is non-zero (all three
    /// broadcast together). Gradients flow to the side each element came from; replacing with
    /// ±∞ (masking scores) gives no NaN.
    public func replacing(with other: Tensor, where mask: Tensor) -> Tensor {
        let shape = Shape.broadcast(Shape.broadcast(self.shape, other.shape, "replacing"), mask.shape, "replacing")
        let (x, y, m) = withoutGradients { (expanded(to: shape), other.expanded(to: shape), mask.expanded(to: shape)) }
        let out = Elementwise.zip3(x, y, m) { $2 != 0 ? $1 : $0 }
        guard Tensor.recordsGradient(self, other) else { return out }
        return out.record("replacing", [self, other]) { g in
            let replaced = m .!= 0
            return [self.requiresGradient ? g * (1 - replaced) : nil, other.requiresGradient ? g * replaced : nil]
        }
    }
}
