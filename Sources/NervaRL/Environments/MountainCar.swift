import Foundation

/// Gymnasium's MountainCar-v0 (Moore 1990): an under-powered car in a valley must rock back and
/// forth to reach the flag at position 0.5. Observation `[position, velocity]` (Float32); actions
/// 0 (accelerate left), 1 (none), 2 (right); reward −1 per step; terminates at position ≥ 0.5
/// with velocity ≥ 0. v0 is limited to 200 steps.
public struct MountainCar: Environment {
    public static let minPosition = -1.2
    public static let maxPosition = 0.6
    public static let maxSpeed = 0.07
    public static let goalPosition = 0.5
    public static let force = 0.001
    public static let gravity = 0.0025

    /// The velocity the car needs at the goal (Gymnasium's `goal_velocity`, default 0).
    public let goalVelocity: Double
    /// The Float64 state `[position, velocity]`.
    public private(set) var state: SIMD2<Double> = .zero
    private var random = NumPyGenerator(seedOrEntropy: nil)

    public init(goalVelocity: Double = 0) { self.goalVelocity = goalVelocity }

    public var observationSpace: Space {
        .box(
            low: [Float(Self.minPosition), Float(-Self.maxSpeed)], high: [Float(Self.maxPosition), Float(Self.maxSpeed)]
        )
    }
    public var actionSpace: Space { .discrete(3) }

    /// Starts at a position uniform in `[−0.6, −0.4)` with zero velocity.
    public mutating func reset(seed: UInt64?) -> [Float] {
        if let seed { random = NumPyGenerator(seed: seed) }
        return reset(to: SIMD2(random.uniform(low: -0.6, high: -0.4), 0))
    }

    /// Starts an episode in the given state (replays a state Gymnasium drew).
    public mutating func reset(to state: SIMD2<Double>) -> [Float] {
        self.state = state
        return observation
    }

    /// The state as Float32.
    public var observation: [Float] { [Float(state[0]), Float(state[1])] }

    public mutating func step(_ action: Int) -> Step<[Float]> {
        precondition((0..<3).contains(action), "MountainCar: action \(action) is outside Discrete(3).")
        var (position, velocity) = (state[0], state[1])
        velocity += Double(action - 1) * Self.force + cos(3 * position) * (-Self.gravity)
        velocity = Swift.min(Swift.max(velocity, -Self.maxSpeed), Self.maxSpeed)
        position += velocity
        position = Swift.min(Swift.max(position, Self.minPosition), Self.maxPosition)
        if position == Self.minPosition && velocity < 0 { velocity = 0 }
        state = SIMD2(position, velocity)
        let terminated = position >= Self.goalPosition && velocity >= goalVelocity
        return Step(observation: observation, reward: -1, isTerminated: terminated)
    }
}
