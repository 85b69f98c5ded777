import ArgumentParser
import NervaTensor

/// The `nerva` command-line tool.
@main
struct Nerva: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nerva",
        abstract:
            "Nerva: a deep-learning toolkit in Swift (GANs, reinforcement learning, recommenders, federated learning).",
        subcommands: [
            TourCommand.self, ClassifyCommand.self, GANCommand.self, RLCommand.self, RecCommand.self, FedCommand.self,
            BenchCommand.self
        ]
    )

    /// Sets the process up (buffers of 4 MB and more go back to the system when freed), then
    /// parses the arguments and runs the command.
    static func main() {
        ComputeBackend.returnLargeBuffersToSystem()
        main(nil)
    }
}
