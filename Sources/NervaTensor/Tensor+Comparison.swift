/// Element-wise comparisons producing masks: 1 where the comparison holds, 0 elsewhere.
/// Masks are constants: no gradient flows through a comparison.
extension Tensor {
    public static func .> (lhs: Tensor, rhs: Tensor) -> Tensor { Elementwise.zip(lhs, rhs, ".>") { $0 > $1 ? 1 : 0 } }
    public static func .< (lhs: Tensor, rhs: Tensor) -> Tensor { Elementwise.zip(lhs, rhs, ".<") { $0 < $1 ? 1 : 0 } }
    public static func .>= (lhs: Tensor, rhs: Tensor) -> Tensor { Elementwise.zip(lhs, rhs, ".>=") { $0 >= $1 ? 1 : 0 } }
    public static func .<= (lhs: Tensor, rhs: Tensor) -> Tensor { Elementwise.zip(lhs, rhs, ".<=") { $0 <= $1 ? 1 : 0 } }
    public static func .== (lhs: Tensor, rhs: Tensor) -> Tensor { Elementwise.zip(lhs, rhs, ".==") { $0 == $1 ? 1 : 0 } }
    public static func .!= (lhs: Tensor, rhs: Tensor) -> Tensor { Elementwise.zip(lhs, rhs, ".!=") { $0 != $1 ? 1 : 0 } }

    public static func .> (lhs: Tensor, rhs: Float) -> Tensor { Elementwise.map(lhs) { $0 > rhs ? 1 : 0 } }
    public static func .< (lhs: Tensor, rhs: Float) -> Tensor { Elementwise.map(lhs) { $0 < rhs ? 1 : 0 } }
    public static func .>= (lhs: Tensor, rhs: Float) -> Tensor { Elementwise.map(lhs) { $0 >= rhs ? 1 : 0 } }
    public static func .<= (lhs: Tensor, rhs: Float) -> Tensor { Elementwise.map(lhs) { $0 <= rhs ? 1 : 0 } }
    public static func .== (lhs: Tensor, rhs: Float) -> Tensor { Elementwise.map(lhs) { $0 == rhs ? 1 : 0 } }
    public static func .!= (lhs: Tensor, rhs: Float) -> Tensor { Elementwise.map(lhs) { $0 != rhs ? 1 : 0 } }

    /// Elements of `self` where `mask` is non-zero, of `other` elsewhere (broadcasting all three).
    /// Gradients flow to the chosen side only.
    public func replacing(with other: Tensor, where mask: Tensor) -> Tensor {
        let keep = 1 - (mask .!= 0)
        return self * keep + other * (1 - keep)
    }
}
