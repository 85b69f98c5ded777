import ArgumentParser
import Foundation
import NervaNN
import NervaRL

/// Reading the checkpoints `nerva rl train` writes.
enum RLCheckpoints {
    /// The Q-table in `path` (a safetensors file with `q_table` `[states, actions]`) for `model`.
    static func qTable(_ path: String, model: TransitionModel) throws -> QTable {
        try QTable.load(from: URL(fileURLWithPath: path), stateCount: model.stateCount, actionCount: model.actionCount)
    }

    /// The Q-network in `path`, with the layer sizes and head recorded in its metadata.
    static func qNetwork(_ path: String, observationSize: Int, actionCount: Int) throws -> QNetwork {
        try QNetwork.load(from: URL(fileURLWithPath: path), observationSize: observationSize, actionCount: actionCount)
    }
}

/// `nerva rl evaluate`: the greedy policy of a checkpoint over N episodes.
struct RLEvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate the greedy policy of a Q-table or Q-network checkpoint over several episodes."
    )

    @Option(help: "The environment id the checkpoint was trained on.")
    var env: String

    @Option(help: "The checkpoint (q-table-*.safetensors or q-network-*.safetensors from `nerva rl train`).")
    var checkpoint: String

    @Option(parsing: .unconditional, help: "Episodes to run.")
    var episodes: Int = 100

    @Option(parsing: .unconditional, help: "Random seed of the environment.")
    var seed: UInt64 = 0

    func validate() throws {
        guard EnvironmentRegistry.spec(for: env) != nil else {
            let known = EnvironmentRegistry.allIDs.joined(separator: ", ")
            throw ValidationError("--env \(env) is unknown; choose one of \(known).")
        }
        guard episodes > 0 else { throw ValidationError("--episodes must be positive, got \(episodes).") }
        guard FileManager.default.fileExists(atPath: checkpoint) else {
            throw ValidationError("--checkpoint \(checkpoint) does not exist.")
        }
    }

    func run() throws {
        let result: EvaluationResult
        let success = EnvironmentRegistry.spec(for: env)?.success
        if EnvironmentRegistry.tabularIDs.contains(env) {
            var environment = try EnvironmentRegistry.tabular(env)
            let policy = try RLCheckpoints.qTable(checkpoint, model: environment.base.model).greedyPolicy
            result = evaluate(
                { policy.action(for: $0) }, on: &environment, episodes: episodes, seed: seed,
                success: success)
        } else {
            var environment = try EnvironmentRegistry.control(env)
            let network = try RLCheckpoints.qNetwork(
                checkpoint, observationSize: environment.observationSpace.flatSize,
                actionCount: environment.actionSpace.count)
            result = evaluate(network.greedyAction, on: &environment, episodes: episodes, seed: seed, success: success)
        }
        let rate = result.successRate.map { String(format: " (success rate %.3f)", $0) } ?? ""
        print(
            String(
                format: "%@: greedy mean return %.4f ± %.4f over %d episodes", env, result.meanReturn,
                result.standardDeviation, episodes) + rate)
    }
}
