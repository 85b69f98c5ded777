import Foundation

/// How the server turns the aggregated update into the next global model.
///
/// With `Δ = aggregate − global` (parameters) or `Δ = −aggregate` (gradients):
/// - `average`: `x ← x + η·Δ` (FedAvg with `η = 1`; FedSGD: `x ← x − η·ḡ`).
/// - `momentum`: `v ← β·v + Δ; x ← x + η·v` (FedAvgM, Hsu et al. 2019, https://arxiv.org/abs/1909.06335).
/// - `adam`, `yogi`, `adagrad`: the adaptive server optimisers of Reddi et al. 2021
///   (https://arxiv.org/abs/2003.00295, Algorithm 2, as Flower implements them, without bias
///   correction): `m ← β₁·m + (1 − β₁)·Δ`, then
///   `v ← v + Δ²` (Adagrad), `v ← β₂·v + (1 − β₂)·Δ²` (Adam) or
///   `v ← v − (1 − β₂)·Δ²·sign(v − Δ²)` (Yogi), and `x ← x + η·m / (√v + τ)`.
public enum ServerOptimizer: Sendable, Equatable, CustomStringConvertible {
    case average(learningRate: Float = 1)
    case momentum(learningRate: Float = 1, momentum: Float = 0.9)
    case adam(learningRate: Float = 0.01, beta1: Float = 0.9, beta2: Float = 0.99, tau: Float = 1e-3)
    case yogi(learningRate: Float = 0.01, beta1: Float = 0.9, beta2: Float = 0.99, tau: Float = 1e-3)
    case adagrad(learningRate: Float = 0.1, tau: Float = 1e-3)

    public var description: String {
        switch self {
        case let .average(lr): "average (η = \(lr))"
        case let .momentum(lr, beta): "server momentum (η = \(lr), β = \(beta))"
        case let .adam(lr, b1, b2, tau): "server Adam (η = \(lr), β₁ = \(b1), β₂ = \(b2), τ = \(tau))"
        case let .yogi(lr, b1, b2, tau): "server Yogi (η = \(lr), β₁ = \(b1), β₂ = \(b2), τ = \(tau))"
        case let .adagrad(lr, tau): "server Adagrad (η = \(lr), τ = \(tau))"
        }
    }
}

/// The state of a `ServerOptimizer` across rounds (`m`, `v`).
struct ServerOptimizerState {
    var firstMoment: [Float] = []
    var secondMoment: [Float] = []

    /// Applies `delta` to `global` and returns the new values.
    mutating func apply(_ optimizer: ServerOptimizer, global: [Float], delta: [Float]) -> [Float] {
        let n = global.count
        var x = global
        switch optimizer {
        case let .average(lr):
            for i in 0..<n { x[i] += lr * delta[i] }
        case let .momentum(lr, beta):
            if firstMoment.count != n { firstMoment = [Float](repeating: 0, count: n) }
            for i in 0..<n {
                firstMoment[i] = beta * firstMoment[i] + delta[i]
                x[i] += lr * firstMoment[i]
            }
        case let .adam(lr, beta1, beta2, tau), let .yogi(lr, beta1, beta2, tau):
            let isYogi = if case .yogi = optimizer { true } else { false }
            prepare(n, secondMomentStart: isYogi ? tau * tau : 0)
            for i in 0..<n {
                let d = delta[i], d2 = d * d
                firstMoment[i] = beta1 * firstMoment[i] + (1 - beta1) * d
                if isYogi {
                    let v = secondMoment[i]
                    secondMoment[i] = v - (1 - beta2) * d2 * (v - d2 > 0 ? 1 : v - d2 < 0 ? -1 : 0)
                } else {
                    secondMoment[i] = beta2 * secondMoment[i] + (1 - beta2) * d2
                }
                x[i] += lr * firstMoment[i] / (secondMoment[i].squareRoot() + tau)
            }
        case let .adagrad(lr, tau):
            prepare(n, secondMomentStart: tau * tau)
            for i in 0..<n {
                let d = delta[i]
                firstMoment[i] = d // β₁ = 0, as in Reddi et al.'s FedAdagrad
                secondMoment[i] += d * d
                x[i] += lr * d / (secondMoment[i].squareRoot() + tau)
            }
        }
        return x
    }

    /// The moments by name, for checkpoints (empty for a stateless optimiser or before round 1).
    var tensors: [String: [Float]] {
        var named: [String: [Float]] = [:]
        if !firstMoment.isEmpty { named["first_moment"] = firstMoment }
        if !secondMoment.isEmpty { named["second_moment"] = secondMoment }
        return named
    }

    /// Restores moments saved by `tensors`.
    init(tensors: [String: [Float]]) {
        firstMoment = tensors["first_moment"] ?? []
        secondMoment = tensors["second_moment"] ?? []
    }

    init() {}

    private mutating func prepare(_ n: Int, secondMomentStart: Float) {
        if firstMoment.count != n { firstMoment = [Float](repeating: 0, count: n) }
        if secondMoment.count != n { secondMoment = [Float](repeating: secondMomentStart, count: n) }
    }
}
