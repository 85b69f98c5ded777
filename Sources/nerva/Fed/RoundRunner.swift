import Foundation
import NervaFed

/// Something that runs federated rounds: the in-process simulation, or a server whose
/// participants are reached over HTTP.
protocol RoundRunner {
    /// The current shared parameters.
    var global: ParameterSet { get }
    /// How the participants are reached, for the log.
    var transport: String { get }
    func run(rounds: Int, onRound: (RoundReport) throws -> Void) throws -> [RoundReport]
}

extension FederatedSimulation: RoundRunner {
    var transport: String { "in process, \(concurrency) threads" }
}

extension LoopbackFederation: RoundRunner {
    var transport: String { "over HTTP on 127.0.0.1:\(port), one client each" }
}
