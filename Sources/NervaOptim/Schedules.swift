#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A learning rate as a function of the epoch (or step) count, as PyTorch's `lr_scheduler`s
/// compute it in closed form. Apply it with `optimizer.learningRate = schedule.learningRate(at: epoch)`.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate for `step` (0 for the first).
    func learningRate(at step: Int) -> Float
}

/// `initial · γ^⌊step / stepSize⌋` (PyTorch's `StepLR`).
public struct StepSchedule: LearningRateSchedule {
    public let initial: Float, stepSize: Int, gamma: Float
    public init(initial: Float, stepSize: Int, gamma: Float = 0.1) {
        precondition(stepSize > 0, "StepSchedule: stepSize must be positive, got \(stepSize).")
        self.initial = initial
        self.stepSize = stepSize
        self.gamma = gamma
    }
    public func learningRate(at step: Int) -> Float {
        initial * powf(gamma, Float(step / stepSize))
    }
}

/// Linear change of the factor from `startFactor` to `endFactor` over `totalSteps`, constant after
/// (PyTorch's `LinearLR`; warm-up with `startFactor < 1`).
public struct LinearSchedule: LearningRateSchedule {
    public let initial: Float, startFactor: Float, endFactor: Float, totalSteps: Int
    public init(initial: Float, startFactor: Float = 1.0 / 3, endFactor: Float = 1, totalSteps: Int = 5) {
        precondition(totalSteps > 0, "LinearSchedule: totalSteps must be positive, got \(totalSteps).")
        self.initial = initial
        self.startFactor = startFactor
        self.endFactor = endFactor
        self.totalSteps = totalSteps
    }
    public func learningRate(at step: Int) -> Float {
        let t = Float(min(max(step, 0), totalSteps)) / Float(totalSteps)
        return initial * (startFactor + (endFactor - startFactor) * t)
    }
}

/// `minimum + (initial − minimum) · (1 + cos(π · step / period)) / 2` (PyTorch's `CosineAnnealingLR`,
/// closed form), continuing as a cosine past `period`.
public struct CosineSchedule: LearningRateSchedule {
    public let initial: Float, minimum: Float, period: Int
    public init(initial: Float, minimum: Float = 0, period: Int) {
        precondition(period > 0, "CosineSchedule: period must be positive, got \(period).")
        self.initial = initial
        self.minimum = minimum
        self.period = period
    }
    public func learningRate(at step: Int) -> Float {
        minimum + (initial - minimum) * (1 + cosf(Float.pi * Float(step) / Float(period))) / 2
    }
}
