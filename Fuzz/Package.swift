// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for every reader of outside bytes, in a package of their own so that the
// fuzzer's compiler flags never reach Nerva's build or its consumers. Build and run with
// `scripts/fuzz` (it passes `-sanitize=fuzzer`, which instruments Nerva's modules too).
let package = Package(
    name: "NervaFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Nerva", path: ".."),
        // For the SHA-256 ids of Flower's objects (Nerva uses the same package).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3")
    ],
    targets: [
        // Declares libFuzzer's `LLVMFuzzerRunDriver`, so that one binary serves every target.
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "nerva-fuzz",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "NervaNN", package: "Nerva"),
                .product(name: "NervaData", package: "Nerva"),
                .product(name: "NervaVision", package: "Nerva"),
                .product(name: "NervaGAN", package: "Nerva"),
                .product(name: "NervaRL", package: "Nerva"),
                .product(name: "NervaRec", package: "Nerva"),
                .product(name: "NervaFed", package: "Nerva"),
                .product(name: "Crypto", package: "swift-crypto")
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
