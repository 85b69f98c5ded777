import Foundation
import Testing

@testable import NervaRec

/// Weighted ALS's conjugate-gradient half-step against the exact (Cholesky) solve.
@Suite struct ConjugateGradientHalfStepTests {
    /// 12 rows over 30 columns with 8 factors; rows 0…10 have entries, row 11 has none.
    func smallProblem() -> (rows: UserItemMatrix, fixed: [Float], settings: WeightedALS.Settings) {
        let rng = RandomGenerator(seed: 5)
        var users: [Int32] = []
        var items: [Int32] = []
        var values: [Float] = []
        for user in 0..<11 {
            for item in 0..<30 where rng.uniform() < 0.3 {
                users.append(Int32(user))
                items.append(Int32(item))
                values.append(1 + Float(rng.integer(below: 4)))
            }
        }
        let rows = UserItemMatrix(userCount: 12, itemCount: 30, users: users, items: items, values: values)
        var settings = WeightedALS.Settings()
        settings.factors = 8
        settings.alpha = 2
        return (rows, (0..<(30 * 8)).map { _ in rng.normal() * 0.5 }, settings)
    }

    func solved(_ solver: WeightedALS.Solver, start: [Float]) -> [Float] {
        let (rows, fixed, base) = smallProblem()
        var settings = base
        settings.solver = solver
        var target = start
        WeightedALS.solve(rows: rows, fixed: fixed, into: &target, factors: settings.factors, settings: settings)
        return target
    }

    @Test func enoughStepsReachTheExactSolution() {
        let start = [Float](repeating: 0, count: 12 * 8)
        let exact = solved(.exact, start: start)
        // CG on an 8×8 system is exact after 8 steps in exact arithmetic; 12 leave float rounding only.
        let iterative = solved(.conjugateGradient(steps: 12), start: start)
        let scale = exact.map(abs).max()!
        #expect(scale > 0.01)
        for (a, b) in zip(iterative, exact) { #expect(abs(a - b) <= 1e-3 * scale, "\(a) vs \(b)") }
    }

    @Test func threeWarmStartedStepsGetClose() {
        let exact = solved(.exact, start: [Float](repeating: 0, count: 12 * 8))
        // Warm start near the solution, as in later ALS iterations: three steps shrink the error.
        let rng = RandomGenerator(seed: 9)
        let start = exact.map { $0 + rng.normal() * 0.05 }
        let iterative = solved(.conjugateGradient(steps: 3), start: start)
        func distance(_ a: [Float]) -> Float { zip(a, exact).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() }
        #expect(distance(iterative) < 0.5 * distance(start), "\(distance(iterative)) vs \(distance(start))")
    }

    @Test func conjugateGradientKeepsTheHitRateOfTheExactSolve() {
        let data = SyntheticInteractions(users: 150, items: 240, meanInteractions: 35, seed: 8).dataset
        let split = SplitRule.leaveOneOut.split(data)
        let evaluation = SampledRankingEvaluation(split: split, seed: 2)
        var exact = WeightedALS.Settings()
        var iterative = exact
        exact.iterations = 8
        exact.factors = 16
        exact.solver = .exact
        iterative.iterations = 8
        iterative.factors = 16
        #expect(iterative.solver == .conjugateGradient(steps: 3))
        let exactRate = evaluation.evaluate(WeightedALS(train: split.train, settings: exact)).hitRate
        let iterativeRate = evaluation.evaluate(WeightedALS(train: split.train, settings: iterative)).hitRate
        #expect(exactRate > 0.3)
        #expect(abs(iterativeRate - exactRate) <= 0.04, "CG \(iterativeRate) vs exact \(exactRate)")
    }

    @Test func zeroStepsAreRejected() {
        var settings = WeightedALS.Settings()
        settings.solver = .conjugateGradient(steps: 0)
        #expect(throws: ConfigurationError.self) { try settings.validate() }
    }
}
