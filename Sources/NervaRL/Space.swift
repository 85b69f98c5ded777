/// The set of valid observations or actions of an environment, as Gymnasium's `spaces`.
///
/// ```swift
/// CartPole().observationSpace   // box(low: [-4.8, -inf, -0.418, -inf], high: [...]), shape [4]
/// CartPole().actionSpace        // discrete(2): actions 0 and 1
/// ```
public enum Space: Equatable, Sendable, CustomStringConvertible {
    /// The integers `0..<count`.
    case discrete(Int)
    /// Float32 vectors with `low[i] ≤ x[i] ≤ high[i]` (bounds may be infinite).
    case box(low: [Float], high: [Float])

    /// The number of elements of a discrete space; traps on a box.
    public var count: Int {
        guard case let .discrete(count) = self else { preconditionFailure("\(self) is not a discrete space.") }
        return count
    }

    /// The shape of one element: `[]` for a discrete space, `[n]` for a box of n components.
    public var shape: [Int] {
        switch self {
        case .discrete: return []
        case let .box(low, _): return [low.count]
        }
    }

    /// The length of the vector a network sees: 1 for a discrete space, n for a box.
    public var flatSize: Int { shape.first ?? 1 }

    /// Whether `value` is an element of this discrete space.
    public func contains(_ value: Int) -> Bool {
        guard case let .discrete(count) = self else { return false }
        return (0..<count).contains(value)
    }

    /// Whether `value` is an element of this box.
    public func contains(_ value: [Float]) -> Bool {
        guard case let .box(low, high) = self, value.count == low.count else { return false }
        return value.indices.allSatisfy { low[$0] <= value[$0] && value[$0] <= high[$0] }
    }

    /// A uniformly random element of a discrete space.
    public func sample(using generator: RandomGenerator) -> Int { generator.integer(below: count) }

    public var description: String {
        switch self {
        case let .discrete(count): return "Discrete(\(count))"
        case let .box(low, _): return "Box(shape: [\(low.count)])"
        }
    }
}
