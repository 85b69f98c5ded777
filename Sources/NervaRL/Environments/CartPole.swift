import Foundation

/// Gymnasium's CartPole-v1 (Barto, Sutton & Anderson 1983): push a cart left or right to keep a
/// pole upright. Observation `[x, ẋ, θ, θ̇]` (Float32); actions 0 (push left) and 1 (push right);
/// reward 1 per step including the last; terminates when `|x| > 2.4` or `|θ| > 12°`. Wrap it in
/// `TimeLimit(…, maxEpisodeSteps: 500)` for v1 (`EnvironmentRegistry` does).
///
/// The state is kept in Float64 and advanced with explicit Euler steps of 0.02 s, with
/// Gymnasium's constants and order of operations.
public struct CartPole: Environment {
    public static let gravity = 9.8
    public static let cartMass = 1.0
    public static let poleMass = 0.1
    public static let totalMass = poleMass + cartMass
    /// Half the pole's length.
    public static let halfLength = 0.5
    public static let poleMassLength = poleMass * halfLength
    public static let forceMagnitude = 10.0
    /// Seconds between state updates.
    public static let tau = 0.02
    /// 12° in radians.
    public static let angleThreshold = 12 * 2 * Double.pi / 360
    public static let positionThreshold = 2.4

    /// The Float64 state `[x, ẋ, θ, θ̇]`.
    public private(set) var state: SIMD4<Double> = .zero
    private var stepsBeyondTerminated: Int?
    private var random = NumPyGenerator(seedOrEntropy: nil)

    public init() {}

    public var observationSpace: Space {
        let high: [Float] = [Float(Self.positionThreshold * 2), .infinity, Float(Self.angleThreshold * 2), .infinity]
        return .box(low: high.map { -$0 }, high: high)
    }
    public var actionSpace: Space { .discrete(2) }

    /// Starts an episode with each state component uniform in `[−0.05, 0.05)`.
    public mutating func reset(seed: UInt64?) -> [Float] {
        if let seed { random = NumPyGenerator(seed: seed) }
        return reset(to: SIMD4((0..<4).map { _ in random.uniform(low: -0.05, high: 0.05) }))
    }

    /// Starts an episode in the given state (replays a state Gymnasium drew).
    public mutating func reset(to state: SIMD4<Double>) -> [Float] {
        self.state = state
        stepsBeyondTerminated = nil
        return observation
    }

    /// The state as Float32, what the agent sees.
    public var observation: [Float] { [Float(state[0]), Float(state[1]), Float(state[2]), Float(state[3])] }

    public mutating func step(_ action: Int) -> Step<[Float]> {
        precondition(action == 0 || action == 1, "CartPole: action \(action) is outside Discrete(2).")
        var (x, xDot, theta, thetaDot) = (state[0], state[1], state[2], state[3])
        let force = action == 1 ? Self.forceMagnitude : -Self.forceMagnitude
        let cosTheta = cos(theta), sinTheta = sin(theta)
        let temp = (force + Self.poleMassLength * (thetaDot * thetaDot) * sinTheta) / Self.totalMass
        let thetaAcc =
            (Self.gravity * sinTheta - cosTheta * temp)
            / (Self.halfLength * (4.0 / 3.0 - Self.poleMass * (cosTheta * cosTheta) / Self.totalMass))
        let xAcc = temp - Self.poleMassLength * thetaAcc * cosTheta / Self.totalMass
        x = x + Self.tau * xDot
        xDot = xDot + Self.tau * xAcc
        theta = theta + Self.tau * thetaDot
        thetaDot = thetaDot + Self.tau * thetaAcc
        state = SIMD4(x, xDot, theta, thetaDot)

        let terminated =
            x < -Self.positionThreshold || x > Self.positionThreshold
            || theta < -Self.angleThreshold || theta > Self.angleThreshold
        var reward = 1.0
        if terminated {
            // Gymnasium gives 1 on the terminating step and 0 if stepped again afterwards.
            if let beyond = stepsBeyondTerminated {
                reward = 0
                stepsBeyondTerminated = beyond + 1
            } else {
                stepsBeyondTerminated = 0
            }
        }
        return Step(observation: observation, reward: reward, isTerminated: terminated)
    }
}
