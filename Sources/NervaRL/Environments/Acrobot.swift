import Foundation

/// Gymnasium's Acrobot-v1 (Sutton 1996; RLPy's dynamics, "book" variant): two links hang from a
/// pivot; torque on the middle joint must swing the tip above the bar. Observation
/// `[cos θ₁, sin θ₁, cos θ₂, sin θ₂, θ̇₁, θ̇₂]` (Float32); actions 0, 1, 2 apply torque −1, 0, +1;
/// reward −1 per step, 0 on the terminating step; terminates when `−cos θ₁ − cos(θ₁+θ₂) > 1`.
/// One step integrates 0.2 s with one classical Runge–Kutta (RK4) step. v1 is limited to 500 steps.
public struct Acrobot: Environment {
    public static let timeStep = 0.2
    public static let linkLength1 = 1.0
    public static let linkMass1 = 1.0
    public static let linkMass2 = 1.0
    public static let linkCenterOfMass1 = 0.5
    public static let linkCenterOfMass2 = 0.5
    public static let linkMomentOfInertia = 1.0
    public static let maxVelocity1 = 4 * Double.pi
    public static let maxVelocity2 = 9 * Double.pi
    public static let torques = [-1.0, 0.0, 1.0]

    /// The Float64 state `[θ₁, θ₂, θ̇₁, θ̇₂]`.
    public private(set) var state: SIMD4<Double> = .zero
    private var random = NumPyGenerator(seedOrEntropy: nil)

    public init() {}

    public var observationSpace: Space {
        let high: [Float] = [1, 1, 1, 1, Float(Self.maxVelocity1), Float(Self.maxVelocity2)]
        return .box(low: high.map { -$0 }, high: high)
    }
    public var actionSpace: Space { .discrete(3) }

    /// Starts with each state component uniform in `[−0.1, 0.1)`, rounded to Float32 as Gymnasium does.
    public mutating func reset(seed: UInt64?) -> [Float] {
        if let seed { random = NumPyGenerator(seed: seed) }
        return reset(to: SIMD4((0..<4).map { _ in Double(Float(random.uniform(low: -0.1, high: 0.1))) }))
    }

    /// Starts an episode in the given state (replays a state Gymnasium drew).
    public mutating func reset(to state: SIMD4<Double>) -> [Float] {
        self.state = state
        return observation
    }

    /// The observation of the current state.
    public var observation: [Float] {
        [
            Float(cos(state[0])), Float(sin(state[0])), Float(cos(state[1])), Float(sin(state[1])),
            Float(state[2]), Float(state[3])
        ]
    }

    public mutating func step(_ action: Int) -> Step<[Float]> {
        precondition((0..<3).contains(action), "Acrobot: action \(action) is outside Discrete(3).")
        let torque = Self.torques[action]
        var next = Self.rungeKutta(state, torque: torque, dt: Self.timeStep)
        next[0] = Self.wrap(next[0], -Double.pi, Double.pi)
        next[1] = Self.wrap(next[1], -Double.pi, Double.pi)
        next[2] = Swift.min(Swift.max(next[2], -Self.maxVelocity1), Self.maxVelocity1)
        next[3] = Swift.min(Swift.max(next[3], -Self.maxVelocity2), Self.maxVelocity2)
        state = next
        let terminated = -cos(state[0]) - cos(state[1] + state[0]) > 1.0
        return Step(observation: observation, reward: terminated ? 0 : -1, isTerminated: terminated)
    }

    /// One RK4 step of length `dt`, in Gymnasium's order of operations.
    static func rungeKutta(_ y0: SIMD4<Double>, torque: Double, dt: Double) -> SIMD4<Double> {
        let halfStep = dt / 2.0
        let k1 = derivatives(y0, torque: torque)
        let k2 = derivatives(y0 + halfStep * k1, torque: torque)
        let k3 = derivatives(y0 + halfStep * k2, torque: torque)
        let k4 = derivatives(y0 + dt * k3, torque: torque)
        return y0 + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    }

    /// The time derivative of the state under `torque` (Gymnasium's `_dsdt`, book dynamics). Every
    /// `x**2` of Gymnasium is libm's `pow(x, 2)`, which is not always the correctly rounded `x * x`
    /// (glibc's pow errs by up to 0.52 ulp): squaring with `libmSquare` keeps long episodes
    /// bit-identical.
    static func derivatives(_ s: SIMD4<Double>, torque a: Double) -> SIMD4<Double> {
        let m1 = linkMass1, m2 = linkMass2, l1 = linkLength1, lc1 = linkCenterOfMass1, lc2 = linkCenterOfMass2
        let i1 = linkMomentOfInertia, i2 = linkMomentOfInertia, g = 9.8
        let (theta1, theta2, dtheta1, dtheta2) = (s[0], s[1], s[2], s[3])
        let d1 = m1 * libmSquare(lc1) + m2 * (libmSquare(l1) + libmSquare(lc2) + 2 * l1 * lc2 * cos(theta2)) + i1 + i2
        let d2 = m2 * (libmSquare(lc2) + l1 * lc2 * cos(theta2)) + i2
        let phi2 = m2 * lc2 * g * cos(theta1 + theta2 - Double.pi / 2.0)
        let phi1 =
            -m2 * l1 * lc2 * libmSquare(dtheta2) * sin(theta2)
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * cos(theta1 - Double.pi / 2)
            + phi2
        let ddtheta2 =
            (a + d2 / d1 * phi1 - m2 * l1 * lc2 * libmSquare(dtheta1) * sin(theta2) - phi2)
            / (m2 * libmSquare(lc2) + i2 - libmSquare(d2) / d1)
        let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return SIMD4(dtheta1, dtheta2, ddtheta1, ddtheta2)
    }

    /// libm's `pow(x, 2)`, called for real: the optimizer would otherwise rewrite `pow(x, 2)` as
    /// `x * x`, which differs from glibc's result in the last bit for some `x` (e.g. 1.7413141417484144).
    @_optimize(none)
    static func libmSquare(_ x: Double) -> Double { pow(x, 2) }

    /// Wraps `x` into `[low, high]` by whole turns, as Gymnasium's `wrap`.
    static func wrap(_ x: Double, _ low: Double, _ high: Double) -> Double {
        let span = high - low
        var x = x
        while x > high { x -= span }
        while x < low { x += span }
        return x
    }
}
