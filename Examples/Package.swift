// swift-tools-version: 6.1
// A program that depends on Nerva by version, as any package would. `scripts/check-consumer`
// builds it against a tagged clone of this checkout (NERVA_URL and NERVA_VERSION set the
// dependency); without them it uses the checkout it sits in.
import Foundation
import PackageDescription

let environment = ProcessInfo.processInfo.environment
let nerva: Package.Dependency = environment["NERVA_URL"].map {
    .package(url: $0, from: Version(stringLiteral: environment["NERVA_VERSION"] ?? "0.1.0"))
} ?? .package(name: "Nerva", path: "../..")

let package = Package(
    name: "LinearRegression",
    platforms: [.macOS(.v15)],
    dependencies: [nerva],
    targets: [
        .executableTarget(
            name: "LinearRegression",
            dependencies: [
                .product(name: "NervaTensor", package: "Nerva"), .product(name: "NervaNN", package: "Nerva"),
                .product(name: "NervaOptim", package: "Nerva"),
            ]
        ),
    ]
)
