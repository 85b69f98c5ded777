import Foundation
import NervaRL

/// `nerva bench rl`: environment steps per second with random actions (CartPole-v1, FrozenLake-v1,
/// time limits included) and the wall time of 50,000 DQN steps on CartPole with CleanRL's
/// settings (batch 128, train every 10 steps, learning starts at 10,000), uniform and with
/// prioritised replay; and, where Python has gymnasium, CartPole steps/s through the bridge.
public struct RLBenchmarks {
    /// Whether to measure for a shorter time (under 20 s per suite), less precisely.
    public let quick: Bool
    /// Where the measurements go.
    public let reporter: BenchmarkReporter

    /// A suite that reports to `reporter`.
    /// - Parameters:
    ///   - quick: Whether to measure for a shorter time, less precisely.
    ///   - reporter: Where the measurements go (and which of them run: ``BenchmarkReporter/wants(_:)``).
    public init(quick: Bool, reporter: BenchmarkReporter) {
        self.quick = quick
        self.reporter = reporter
    }

    /// Runs the suite's measurements that the reporter wants, in order.
    public func run() throws {
        if reporter.wants("env_steps") {
            var pole = TimeLimit(CartPole(), maxEpisodeSteps: 500)
            reporter.report("env_steps", params: ["env": "CartPole-v1"], value: stepsPerSecond(&pole), unit: "steps/s")
            var lake = TimeLimit(try FrozenLake.environment(), maxEpisodeSteps: 100)
            reporter.report(
                "env_steps", params: ["env": "FrozenLake-v1"], value: stepsPerSecond(&lake), unit: "steps/s")
        }
        if reporter.wants("dqn_cartpole") {
            let steps = quick ? 20_000 : 50_000
            for prioritized in [false, true] {
                var config = DQNConfig()
                config.totalTimesteps = steps
                config.prioritizedReplay = prioritized ? PrioritizedReplayConfig() : nil
                var env = TimeLimit(CartPole(), maxEpisodeSteps: 500)
                let agent = DQN(observationSize: 4, actionCount: 2, config: config, seed: 0)
                let start = DispatchTime.now().uptimeNanoseconds
                try agent.train(on: &env, seed: 0)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                reporter.report(
                    "dqn_cartpole", params: ["steps": steps, "replay": prioritized ? "prioritized" : "uniform"],
                    value: seconds, unit: "s")
            }
        }
        if reporter.wants("bridge_env_steps"), var env = try? GymnasiumEnvironment("CartPole-v1") {
            reporter.report(
                "bridge_env_steps", params: ["env": "CartPole-v1"], value: stepsPerSecond(&env, seconds: 1, batch: 500),
                unit: "steps/s")
        }
    }

    /// Random-action steps per second, resetting when an episode ends.
    private func stepsPerSecond<E: Environment>(_ env: inout E, seconds: Double? = nil, batch: Int = 100_000) -> Double
    where E.Action == Int {
        let generator = RandomGenerator(seed: 0)
        let actions = env.actionSpace.count
        _ = env.reset(seed: 0)
        var sink = 0.0
        let rate = Stopwatch.rate(seconds: seconds ?? (quick ? 1 : 3), work: Double(batch)) {
            for _ in 0..<batch {
                let step = env.step(generator.integer(below: actions))
                sink += step.reward
                if step.isDone { _ = env.reset() }
            }
        }
        if sink.isNaN { print(sink) }
        return rate
    }
}
