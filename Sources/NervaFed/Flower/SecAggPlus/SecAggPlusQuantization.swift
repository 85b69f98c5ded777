/// Flower's SecAgg+ quantisation (`flwr/common/secure_aggregation/quantization.py`): values are
/// clipped to `[−c, c]`, shifted and scaled onto `[0, targetRange]` (`(x + c) · targetRange / 2c`,
/// in Float32 as NumPy does for float32 arrays) and rounded stochastically: up with probability
/// equal to the fractional part, so the rounding is unbiased. Flower draws the rounding from
/// NumPy's unseeded global generator; here it comes from a seeded generator.
public enum SecAggPlusQuantization {
    /// The quantised values.
    public static func quantize<Generator: RandomNumberGenerator>(
        _ values: [Float], clippingRange: Double, targetRange: Int64,
        using generator: inout Generator
    ) -> [Int64] {
        let range = Float(clippingRange)
        let scale = Float(Double(targetRange) / (2 * clippingRange))
        return values.map { value in
            let scaled = (min(max(value, -range), range) + range) * scale
            let ceiling = scaled.rounded(.up)
            let roundsDown = Double.random(in: 0..<1, using: &generator) < Double(ceiling) - Double(scaled)
            return Int64(ceiling) - (roundsDown ? 1 : 0)
        }
    }

    /// Flower's `dequantize`: `q · 2c / targetRange − c`.
    public static func dequantize(_ values: [Int64], clippingRange: Double, targetRange: Int64) -> [Double] {
        values.map { Double($0) * (2 * clippingRange) / Double(targetRange) - clippingRange }
    }
}
