/// Returns of a policy over several episodes.
public struct EvaluationResult: Sendable {
    /// The return of each episode.
    public var returns: [Double]
    /// The length of each episode.
    public var lengths: [Int]

    /// The mean return.
    public var meanReturn: Double { returns.reduce(0, +) / Double(Swift.max(returns.count, 1)) }
    /// The standard deviation of the returns.
    public var standardDeviation: Double {
        let mean = meanReturn
        return (returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(Swift.max(returns.count, 1))).squareRoot()
    }
    /// The fraction of episodes with a positive return (success rate on FrozenLake).
    public var successRate: Double { Double(returns.filter { $0 > 0 }.count) / Double(Swift.max(returns.count, 1)) }
}

/// Runs `episodes` episodes with `policy`, seeding the environment once with `seed`, and returns
/// their returns. Use a time-limited environment: a policy that never ends an episode never returns.
public func evaluate<E: Environment>(_ policy: (E.Observation) -> E.Action, on environment: inout E, episodes: Int,
                                     seed: UInt64) -> EvaluationResult {
    var result = EvaluationResult(returns: [], lengths: [])
    for episode in 0..<episodes {
        var observation = environment.reset(seed: episode == 0 ? seed : nil)
        var total = 0.0, length = 0
        while true {
            let step = environment.step(policy(observation))
            total += step.reward
            length += 1
            if step.isDone { break }
            observation = step.observation
        }
        result.returns.append(total)
        result.lengths.append(length)
    }
    return result
}
