import Foundation

/// The exploration rate ε of an ε-greedy policy as a function of time `t` (episodes for the
/// tabular learners, environment steps for DQN).
public enum EpsilonSchedule: Sendable, Equatable, CustomStringConvertible {
    /// ε fixed.
    case constant(Double)
    /// CleanRL's `linear_schedule`: from `start` to `end` over `duration` steps, then `end`:
    /// `max(start + (end − start) · t / duration, end)`.
    case linear(start: Double, end: Double, duration: Int)
    /// `end + (start − end) · exp(−rate · t)`.
    case exponential(start: Double, end: Double, rate: Double)

    /// ε at time `t`.
    public func value(at t: Int) -> Double {
        switch self {
        case let .constant(epsilon): return epsilon
        case let .linear(start, end, duration):
            guard duration > 0 else { return end }
            let slope = (end - start) / Double(duration)
            return Swift.max(slope * Double(t) + start, end)
        case let .exponential(start, end, rate):
            return end + (start - end) * exp(-rate * Double(t))
        }
    }

    public var description: String {
        switch self {
        case let .constant(epsilon): return "constant \(epsilon)"
        case let .linear(start, end, duration): return "linear \(start)→\(end) over \(duration)"
        case let .exponential(start, end, rate): return "exponential \(start)→\(end), rate \(rate)"
        }
    }
}
