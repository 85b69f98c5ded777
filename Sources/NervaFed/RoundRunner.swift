import Foundation

/// Something that runs federated rounds: the in-process simulation, or a server whose
/// participants are reached over HTTP.
public protocol RoundRunner {
    /// The current shared parameters.
    var global: ParameterSet { get }
    /// How the participants are reached, for logs.
    var transport: String { get }
    /// Runs `rounds` rounds, calling `onRound` after each; returns their reports.
    func run(rounds: Int, onRound: (RoundReport) throws -> Void) throws -> [RoundReport]
}

extension FederatedSimulation: RoundRunner {
    public var transport: String { "in process, \(concurrency) threads" }
}

extension LoopbackFederation: RoundRunner {
    public var transport: String { "over HTTP on 127.0.0.1:\(port), one client each" }
}
