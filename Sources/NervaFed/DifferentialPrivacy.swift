import Foundation
import NervaNN
import NervaTensor

/// Client-level differential privacy for federated averaging (DP-FedAvg, McMahan et al. 2018,
/// "Learning Differentially Private Recurrent Language Models", https://arxiv.org/abs/1710.06963).
///
/// Each participant's update `Δᵢ = xᵢ − x` is clipped to norm `S` (`Δᵢ · min(1, S/‖Δᵢ‖)`); the
/// server averages the `m` clipped updates with equal weights and adds Gaussian noise of
/// standard deviation `σ = z·S/m` to every coordinate, where `z` is the noise multiplier. One
/// participant changes the mean by at most `S/m`, so each round is the Gaussian mechanism with
/// noise `z` times its sensitivity.
///
/// What it protects against: anyone who sees the global models (other participants, the
/// public) inferring whether a given participant took part, up to `(ε, δ)`. What it does not:
/// a server that sees individual updates before noising (combine with secure aggregation and
/// noise added by participants for that), nor the cost in accuracy of large `z`.
public struct DifferentialPrivacy: Sendable, Equatable {
    /// `S`: the largest norm of a participant's update.
    public var clippingNorm: Double
    /// `z`: the noise standard deviation in units of the sensitivity `S/m`.
    public var noiseMultiplier: Double

    /// Throws `ConfigurationError` unless `S` is finite and positive and `z` finite and non-negative.
    public static func validate(clippingNorm: Double, noiseMultiplier: Double) throws {
        try ConfigurationError.check("clipping norm", clippingNorm, positive: true)
        try ConfigurationError.check("noise multiplier", noiseMultiplier, positive: false)
    }

    public init(clippingNorm: Double, noiseMultiplier: Double) {
        precondition(
            clippingNorm > 0 && noiseMultiplier >= 0, "DifferentialPrivacy: S must be positive and z non-negative.")
        self.clippingNorm = clippingNorm
        self.noiseMultiplier = noiseMultiplier
    }

    /// `Δ · min(1, S/‖Δ‖)`; returns the norm before clipping.
    @discardableResult
    public func clip(_ delta: inout [Float]) -> Double {
        let norm = delta.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        if norm > clippingNorm {
            let factor = Float(clippingNorm / norm)
            for i in delta.indices { delta[i] *= factor }
        }
        return norm
    }

    /// The standard deviation of the noise added to the mean of `participants` clipped updates: `z·S/m`.
    public func noiseStandardDeviation(participants: Int) -> Double {
        noiseMultiplier * clippingNorm / Double(max(participants, 1))
    }

    /// The noised mean of the clipped `deltas`.
    public func privateMean(of deltas: [[Float]], generator: RandomGenerator) -> [Float] {
        precondition(!deltas.isEmpty, "DifferentialPrivacy: no updates to average.")
        let clipped = deltas.map { delta -> [Float] in
            var copy = delta
            clip(&copy)
            return copy
        }
        var mean = Aggregation.mean.combine(clipped, weights: Array(repeating: 1, count: clipped.count))
        addNoise(to: &mean, participants: deltas.count, generator: generator)
        return mean
    }

    /// Adds `N(0, (z·S/m)²)` to each coordinate of the mean of `participants` (= m) clipped updates.
    public func addNoise(to mean: inout [Float], participants: Int, generator: RandomGenerator) {
        let deviation = Float(noiseStandardDeviation(participants: participants))
        guard deviation > 0 else { return }
        mean.withUnsafeMutableBufferPointer { m in
            let noise = UnsafeMutableBufferPointer<Float>.allocate(capacity: m.count)
            defer { noise.deallocate() }
            generator.fillNormal(noise, standardDeviation: deviation)
            for i in m.indices { m[i] += noise[i] }
        }
    }

    /// `ε` after `rounds` rounds at the given `δ`, by Rényi differential privacy (Mironov 2017):
    /// the Gaussian mechanism has RDP `α/(2z²)` at order `α`, rounds add up, and
    /// `ε = min_α [rounds·α/(2z²) + log(1/δ)/(α − 1)]`. This ignores the amplification that
    /// sampling a fraction `C < 1` of participants brings, so it is an upper bound then.
    public func epsilon(rounds: Int, delta: Double) -> Double {
        precondition(delta > 0 && delta < 1, "DifferentialPrivacy.epsilon: δ must be in (0, 1).")
        guard noiseMultiplier > 0 else { return .infinity }
        let orders = stride(from: 1.25, through: 512, by: 0.25)
        return orders.map { alpha in
            Double(rounds) * alpha / (2 * noiseMultiplier * noiseMultiplier) + log(1 / delta) / (alpha - 1)
        }.min()!
    }
}

extension DifferentialPrivacy {
    /// `ε` for people: three significant digits, or "∞ (no noise, no guarantee)" for clipping without noise.
    public static func epsilonText(_ epsilon: Double) -> String {
        epsilon.isFinite ? String(format: "%.3g", epsilon) : "∞ (no noise, no guarantee)"
    }
}
