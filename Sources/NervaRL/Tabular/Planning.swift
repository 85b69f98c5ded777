/// The result of planning on a transition model: optimal values and a greedy policy.
public struct PlanningResult: Sendable {
    /// The state values of `policy` (optimal values for value iteration).
    public var values: ValueTable
    /// A greedy policy with respect to `values` (first best action on ties).
    public var policy: TabularPolicy
    /// Sweeps over the states (value iteration) or improvement steps (policy iteration).
    public var iterations: Int
}

/// Dynamic programming on an environment's `TransitionModel` (Sutton & Barto, chapter 4).
///
/// ```swift
/// let model = try FrozenLake.model(map: FrozenLake.map4x4)
/// let optimum = Planning.valueIteration(model, discount: 1)
/// let withinLimit = Planning.evaluate(optimum.policy, on: model, horizon: 100)
/// model.expectedInitialValue(withinLimit.values)   // 0.740: success rate under the 100-step limit
/// ```
public enum Planning {
    /// Value iteration: `V(s) ← max_a Σ p · (r + γ · V(s′))` until the largest change is below
    /// `tolerance`, then the greedy policy.
    ///
    /// With `discount` 1 it converges on episodic tasks whose optimal policy ends episodes
    /// (FrozenLake, Taxi, CliffWalking).
    public static func valueIteration(
        _ model: TransitionModel, discount: Double, tolerance: Double = 1e-12,
        maxIterations: Int = 100_000
    ) -> PlanningResult {
        var values = [Double](repeating: 0, count: model.stateCount)
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            var change = 0.0
            for state in 0..<model.stateCount {
                var best = -Double.infinity
                for action in 0..<model.actionCount {
                    best = Swift.max(
                        best, model.actionValue(state: state, action: action, values: values, discount: discount))
                }
                change = Swift.max(change, Swift.abs(best - values[state]))
                values[state] = best // in place (Gauss–Seidel): converges in fewer sweeps
            }
            if change < tolerance { break }
        }
        return PlanningResult(
            values: ValueTable(values: values),
            policy: greedyPolicy(model, values: values, discount: discount), iterations: iterations)
    }

    /// The optimal expected return within a time limit of `horizon` steps (undiscounted):
    /// `horizon` backups from `V = 0`. The optimal policy under a time limit may depend on the
    /// steps left; this is its value from each state with the full horizon ahead.
    public static func finiteHorizonValues(_ model: TransitionModel, horizon: Int) -> ValueTable {
        var values = [Double](repeating: 0, count: model.stateCount)
        for _ in 0..<horizon {
            values = (0..<model.stateCount).map { state in
                (0..<model.actionCount).map { model.actionValue(state: state, action: $0, values: values, discount: 1) }
                    .max()!
            }
        }
        return ValueTable(values: values)
    }

    /// Policy iteration: evaluate the policy, make it greedy, until it stops changing.
    ///
    /// - Precondition: `discount < 1`, so that every policy, even one that never ends an
    ///   episode, has finite values.
    public static func policyIteration(
        _ model: TransitionModel, discount: Double, tolerance: Double = 1e-12,
        maxIterations: Int = 1_000
    ) -> PlanningResult {
        precondition(discount < 1, "Planning.policyIteration: discount must be below 1, got \(discount).")
        var policy = TabularPolicy(actions: [Int](repeating: 0, count: model.stateCount))
        var values = ValueTable(values: [Double](repeating: 0, count: model.stateCount))
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            values = evaluate(policy, on: model, discount: discount, tolerance: tolerance, initial: values)
            // Keep the current action unless another is strictly better, so the loop ends.
            var improved = policy
            for state in 0..<model.stateCount {
                var best = policy.actions[state]
                var bestValue = model.actionValue(state: state, action: best, values: values.values, discount: discount)
                for action in 0..<model.actionCount {
                    let value = model.actionValue(
                        state: state, action: action, values: values.values, discount: discount)
                    if value > bestValue + 1e-12 {
                        best = action
                        bestValue = value
                    }
                }
                improved.actions[state] = best
            }
            if improved == policy { break }
            policy = improved
        }
        return PlanningResult(values: values, policy: policy, iterations: iterations)
    }

    /// Iterative policy evaluation: `V(s) ← Σ p · (r + γ · V(s′))` under `policy` until converged.
    public static func evaluate(
        _ policy: TabularPolicy, on model: TransitionModel, discount: Double,
        tolerance: Double = 1e-12, maxIterations: Int = 1_000_000, initial: ValueTable? = nil
    ) -> ValueTable {
        var values = initial?.values ?? [Double](repeating: 0, count: model.stateCount)
        for _ in 0..<maxIterations {
            var change = 0.0
            for state in 0..<model.stateCount {
                let value = model.actionValue(
                    state: state, action: policy.actions[state], values: values, discount: discount)
                change = Swift.max(change, Swift.abs(value - values[state]))
                values[state] = value
            }
            if change < tolerance { break }
        }
        return ValueTable(values: values)
    }

    /// The exact expected (undiscounted) return of `policy` from each state when episodes are cut
    /// after `horizon` steps: `horizon` backups from `V = 0`.
    public static func evaluate(_ policy: TabularPolicy, on model: TransitionModel, horizon: Int) -> ValueTable {
        var values = [Double](repeating: 0, count: model.stateCount)
        for _ in 0..<horizon {
            values = (0..<model.stateCount).map {
                model.actionValue(state: $0, action: policy.actions[$0], values: values, discount: 1)
            }
        }
        return ValueTable(values: values)
    }

    /// The greedy policy with respect to `values`: in each state the first action of largest value.
    public static func greedyPolicy(_ model: TransitionModel, values: [Double], discount: Double) -> TabularPolicy {
        TabularPolicy(
            actions: (0..<model.stateCount).map { state in
                var best = 0, bestValue = -Double.infinity
                for action in 0..<model.actionCount {
                    let value = model.actionValue(state: state, action: action, values: values, discount: discount)
                    if value > bestValue + 1e-12 {
                        best = action
                        bestValue = value
                    }
                }
                return best
            })
    }
}
