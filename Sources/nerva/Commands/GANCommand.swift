import ArgumentParser
import Foundation
import NervaData
import NervaGAN

/// `nerva gan`: train, sample from and evaluate generative adversarial networks on Fashion-MNIST.
struct GANCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gan",
        abstract: "Generative adversarial networks on Fashion-MNIST: train, sample, evaluate.",
        subcommands: [GANTrainCommand.self, GANSampleCommand.self, GANEvaluateCommand.self, GANRemediesCommand.self]
    )
}

/// Options shared by the GAN subcommands.
struct GANCommonOptions: ParsableArguments {
    @Option(help: "The Fashion-MNIST folder (default \(FashionMNIST.defaultDirectory.path)).")
    var data: String?

    @Option(help: "Output folder (default ./nerva-out/gan-<subcommand>-<timestamp>).")
    var out: String?

    var dataDirectory: URL { data.map { URL(fileURLWithPath: $0) } ?? FashionMNIST.defaultDirectory }
}

extension GANArchitecture: ExpressibleByArgument {}
extension GANObjective: ExpressibleByArgument {}
extension LatentDistribution: ExpressibleByArgument {}
extension GANOptimizerKind: ExpressibleByArgument {
    public init?(argument: String) { self.init(text: argument) }
    public var defaultValueDescription: String { text }
}

/// Checks that a file given on the command line exists.
func requireFile(_ path: String?, option: String) throws {
    if let path, !FileManager.default.fileExists(atPath: path) {
        throw ValidationError("\(option) \(path): no such file.")
    }
}
