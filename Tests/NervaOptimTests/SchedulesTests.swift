import Foundation
import NervaOptim
import NervaTensor
import NervaTestSupport
import Testing

/// Expects a schedule's rates at `steps` to match `formula` (computed in double precision).
private func expectRates(
    _ schedule: some LearningRateSchedule, at steps: [Int], _ formula: (Int) -> Double,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    expectClose(
        steps.map(schedule.learningRate(at:)), steps.map { Float(formula($0)) },
        relativeTolerance: 1e-6, absoluteTolerance: 1e-9, sourceLocation: sourceLocation)
}

@Suite struct SchedulesTests {
    @Test func stepScheduleByHand() {
        let schedule = StepSchedule(initial: 0.1, stepSize: 3, gamma: 0.5)
        expectClose(
            (0..<10).map(schedule.learningRate(at:)),
            [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125], relativeTolerance: 1e-6)
    }

    @Test func stepScheduleMatchesStepLR() {
        // StepLR: base_lr · γ^⌊epoch / step_size⌋.
        let schedule = StepSchedule(initial: 0.3, stepSize: 7)
        expectRates(schedule, at: [0, 6, 7, 13, 14, 20, 21, 50]) { 0.3 * Foundation.pow(0.1, Double($0 / 7)) }
        #expect(schedule.gamma == 0.1)
    }

    @Test func linearScheduleByHand() {
        // Warm-up from 1/4 to 1 of 0.2 over 4 steps, constant after.
        let schedule = LinearSchedule(initial: 0.2, startFactor: 0.25, endFactor: 1, totalSteps: 4)
        expectClose(
            [0, 1, 2, 3, 4, 5, 100].map(schedule.learningRate(at:)),
            [0.05, 0.0875, 0.125, 0.1625, 0.2, 0.2, 0.2], relativeTolerance: 1e-6)
    }

    @Test func linearScheduleMatchesLinearLR() {
        // LinearLR: base_lr · (start + (end − start) · min(total_iters, epoch) / total_iters).
        let defaults = LinearSchedule(initial: 0.05)
        #expect(defaults.totalSteps == 5 && defaults.endFactor == 1)
        expectRates(defaults, at: [0, 1, 2, 3, 4, 5, 6, 40]) {
            0.05 * (1.0 / 3 + (1 - 1.0 / 3) * Double(min($0, 5)) / 5)
        }
        // Decay rather than warm-up.
        let decay = LinearSchedule(initial: 1, startFactor: 1, endFactor: 0.1, totalSteps: 9)
        expectRates(decay, at: [0, 1, 4, 8, 9, 10]) { 1 + (0.1 - 1) * Double(min($0, 9)) / 9 }
    }

    @Test func cosineScheduleByHand() {
        let schedule = CosineSchedule(initial: 0.1, minimum: 0.001, period: 10)
        // Start, middle, end of the period; past it the cosine continues back up.
        expectClose(
            [0, 5, 10, 15, 20].map(schedule.learningRate(at:)), [0.1, 0.0505, 0.001, 0.0505, 0.1],
            relativeTolerance: 1e-5, absoluteTolerance: 1e-7)
    }

    @Test func cosineScheduleMatchesCosineAnnealingLR() {
        // CosineAnnealingLR (closed form): η_min + (η_max − η_min) · (1 + cos(π · T_cur / T_max)) / 2.
        let schedule = CosineSchedule(initial: 0.5, minimum: 0.02, period: 12)
        expectRates(schedule, at: [0, 1, 2, 3, 5, 7, 11, 12, 13, 18]) {
            0.02 + (0.5 - 0.02) * (1 + Foundation.cos(Double.pi * Double($0) / 12)) / 2
        }
        let toZero = CosineSchedule(initial: 2, period: 4)
        expectRates(toZero, at: [0, 1, 2, 3]) { 2 * (1 + Foundation.cos(Double.pi * Double($0) / 4)) / 2 }
        #expect(toZero.minimum == 0)
    }

    @Test func schedulesDriveAnOptimiser() {
        let p = Tensor([0]).requiringGradient()
        let optimizer = SGD([p], learningRate: 0)
        let schedule = StepSchedule(initial: 1, stepSize: 2, gamma: 0.5)
        for step in 0..<4 {
            optimizer.learningRate = schedule.learningRate(at: step)
            p.gradient = Tensor([1])
            optimizer.step()
        }
        // 1 + 1 + 0.5 + 0.5.
        #expect(p.scalar == -3)
    }
}
