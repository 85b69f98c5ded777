import ArgumentParser
import Foundation
import NervaData
import NervaNN
import NervaRL

/// `nerva rl`: reinforcement learning on Gymnasium-compatible built-in environments.
struct RLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl",
        abstract: "Reinforcement learning: tabular Q-learning/SARSA, value iteration, Deep Q-Learning.",
        discussion: """
            Environments: \((EnvironmentRegistry.tabularIDs + EnvironmentRegistry.controlIDs).joined(separator: ", ")), \
            made as gymnasium.make makes them (same dynamics, rewards and time limits); any other Gymnasium \
            environment through `nerva rl train --gymnasium ENV_ID`.
            """,
        subcommands: [RLTrainCommand.self, RLEvaluateCommand.self, RLPlanCommand.self, RLPlayCommand.self]
    )
}

/// The learning algorithms `nerva rl train` offers.
enum RLAlgorithm: String, ExpressibleByArgument, CaseIterable {
    case qLearning = "q-learning"
    case sarsa
    case expectedSarsa = "expected-sarsa"
    case dqn

    var tabular: TabularAlgorithm? { TabularAlgorithm(rawValue: rawValue) }
}
