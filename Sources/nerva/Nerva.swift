import ArgumentParser

/// The `nerva` command-line tool.
@main
struct Nerva: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nerva",
        abstract: "Nerva: a deep-learning toolkit in Swift (GANs, reinforcement learning, recommenders, federated learning).",
        subcommands: [TourCommand.self, ClassifyCommand.self, GANCommand.self, RLCommand.self, RecCommand.self, FedCommand.self,
                      BenchCommand.self]
    )
}
