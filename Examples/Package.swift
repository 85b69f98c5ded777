// swift-tools-version: 6.1
// Programs that depend on Nerva by version, as any package would, using only its public API.
// `scripts/check-consumer` builds them against a tagged clone of this checkout (NERVA_URL and
// NERVA_VERSION set the dependency) and runs each; without them they use the checkout they sit in.
import Foundation
import PackageDescription

let environment = ProcessInfo.processInfo.environment
let nerva: Package.Dependency =
    environment["NERVA_URL"].map {
        .package(url: $0, from: Version(stringLiteral: environment["NERVA_VERSION"] ?? "0.1.0"))
    } ?? .package(name: "Nerva", path: "..")

func nervaProducts(_ names: String...) -> [Target.Dependency] {
    names.map { .product(name: $0, package: "Nerva") }
}

let package = Package(
    name: "NervaExamples",
    platforms: [.macOS(.v15)],
    dependencies: [nerva],
    targets: [
        // A linear layer fitted by Adam, and a custom `Module` that learns XOR.
        .executableTarget(
            name: "LinearRegression", dependencies: nervaProducts("NervaTensor", "NervaNN", "NervaOptim")),
        // A custom `Environment` (a corridor with a goal) learned by tabular Q-learning.
        .executableTarget(name: "CorridorQLearning", dependencies: nervaProducts("NervaRL")),
        // A custom federated participant with private data, trained by FedAvg in a simulation.
        .executableTarget(
            name: "FederatedRegression", dependencies: nervaProducts("NervaTensor", "NervaNN", "NervaOptim", "NervaFed")
        )
    ]
)
