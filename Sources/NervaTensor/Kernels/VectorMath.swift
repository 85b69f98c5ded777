/// Transcendental functions written so that the loop vectoriser turns a loop of them into SIMD
/// code: no libm call, no branch, no checked conversion per element.
enum VectorMath {
    /// `eˣ` (Cephes' `expf`: range reduction by ln 2 and a degree-6 polynomial; within a few ulp of
    /// libm). Overflows to +∞ above 88.72, flushes to 0 below −87.34 (where libm would return
    /// denormals), and propagates NaN.
    @inline(__always)
    static func exp(_ input: Float) -> Float {
        let x = Swift.min(Swift.max(input, -87.336_54), 88.722_83)
        // Round x·log₂e to the nearest integer with the 1.5·2²³ trick: the integer lands in the
        // low mantissa bits, readable without a checked conversion.
        let shifted = x * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let integer = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * r * r + r + 1
        // 2ⁿ in two halves so that each factor stays a normal float for n ∈ [−126, 128].
        let half = integer &>> 1
        let s1 = Float(bitPattern: UInt32(bitPattern: (half &+ 127) &<< 23))
        let s2 = Float(bitPattern: UInt32(bitPattern: (integer &- half &+ 127) &<< 23))
        let value = y * s1 * s2
        // Selects, not branches: the loop stays vectorised.
        return input < -87.336_54 ? 0 : (input > 88.722_83 ? .infinity : (input != input ? input : value))
    }
}
