/// Returns of a policy over several episodes.
public struct EvaluationResult: Sendable {
    /// The return of each episode.
    public var returns: [Double]
    /// The length of each episode.
    public var lengths: [Int]
    /// Whether each episode succeeded, when the environment defines success (`SuccessCriterion`).
    public var successes: [Bool]?

    /// The results of episodes with these returns and lengths (and successes, where defined).
    public init(returns: [Double], lengths: [Int], successes: [Bool]? = nil) {
        self.returns = returns
        self.lengths = lengths
        self.successes = successes
    }

    /// The mean return.
    public var meanReturn: Double { returns.reduce(0, +) / Double(Swift.max(returns.count, 1)) }
    /// The standard deviation of the returns.
    public var standardDeviation: Double {
        let mean = meanReturn
        return (returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(Swift.max(returns.count, 1))).squareRoot()
    }
    /// The fraction of successful episodes, `nil` where the environment defines no success.
    public var successRate: Double? {
        successes.map { Double($0.filter { $0 }.count) / Double(Swift.max($0.count, 1)) }
    }
}

/// Runs `episodes` episodes with `policy`, seeding the environment once with `seed` (`nil`
/// continues its random stream), and returns
/// their returns (and successes under `success`, when given: see `EnvironmentSpec.success`). Use a
/// time-limited environment: a policy that never ends an episode never returns.
public func evaluate<E: Environment>(
    _ policy: (E.Observation) -> E.Action, on environment: inout E, episodes: Int,
    seed: UInt64?, success: SuccessCriterion? = nil
) -> EvaluationResult {
    var result = EvaluationResult(returns: [], lengths: [], successes: success.map { _ in [] })
    for episode in 0..<episodes {
        var observation = environment.reset(seed: episode == 0 ? seed : nil)
        var total = 0.0, length = 0
        while true {
            let step = environment.step(policy(observation))
            total += step.reward
            length += 1
            if step.isDone {
                if let success { result.successes?.append(success.isSuccess(step)) }
                break
            }
            observation = step.observation
        }
        result.returns.append(total)
        result.lengths.append(length)
    }
    return result
}
