// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Nerva",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "NervaTensor", targets: ["NervaTensor"]),
        .library(name: "NervaNN", targets: ["NervaNN"]),
        .library(name: "NervaOptim", targets: ["NervaOptim"]),
        .library(name: "NervaData", targets: ["NervaData"]),
        .library(name: "NervaVision", targets: ["NervaVision"]),
        .library(name: "NervaGAN", targets: ["NervaGAN"]),
        .library(name: "NervaRL", targets: ["NervaRL"]),
        .library(name: "NervaRec", targets: ["NervaRec"]),
        .library(name: "NervaFed", targets: ["NervaFed"]),
        .library(name: "NervaBenchmarks", targets: ["NervaBenchmarks"]),
        .library(name: "NervaTour", targets: ["NervaTour"]),
        .executable(name: "nerva", targets: ["nerva"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // `swift package generate-documentation` (DocC catalogs in Sources/*/*.docc, snippets in Snippets/).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0")
    ],
    targets: [
        // The compute backend: oneDNN's products and convolutions, per-ISA element-wise kernels.
        .target(
            name: "CNervaKernels",
            linkerSettings: [
                .linkedLibrary("dnnl", .when(platforms: [.linux])),
                .linkedLibrary("gomp", .when(platforms: [.linux])),
                .linkedFramework("Accelerate", .when(platforms: [.macOS]))
            ]
        ),
        // OpenBLAS, only for the engine benchmarks' comparison with a direct library call.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "NervaTensor",
            dependencies: ["CNervaKernels"]
        ),
        .target(name: "NervaNN", dependencies: ["NervaTensor"]),
        .target(name: "NervaOptim", dependencies: ["NervaTensor", "CNervaKernels"]),
        .target(name: "NervaData", dependencies: ["NervaTensor", "CZlib"]),
        // Image classification (training, resume, checkpoints), shared by the domains below it.
        .target(name: "NervaVision", dependencies: ["NervaNN", "NervaOptim", "NervaData"]),
        // The four domain targets; they never import each other, except NervaFed → NervaRec.
        .target(name: "NervaGAN", dependencies: ["NervaNN", "NervaOptim", "NervaData", "NervaVision"]),
        .target(name: "NervaRL", dependencies: ["NervaNN", "NervaOptim", "NervaData"]),
        .target(name: "NervaRec", dependencies: ["NervaNN", "NervaOptim", "NervaData"]),
        .target(
            name: "NervaFed",
            dependencies: [
                "NervaNN", "NervaOptim", "NervaData", "NervaRec",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl")
            ],
        ),
        // The workloads of `nerva bench` (every domain, and oneDNN and OpenBLAS called directly).
        .target(
            name: "NervaBenchmarks",
            dependencies: [
                "NervaTensor", "NervaNN", "NervaOptim", "NervaData", "NervaVision",
                "NervaGAN", "NervaRL", "NervaRec", "NervaFed",
                "CNervaKernels",
                .target(name: "CBLAS", condition: .when(platforms: [.linux]))
            ]
        ),
        // `nerva tour`: a short run of every part into one report.
        .target(
            name: "NervaTour",
            dependencies: [
                "NervaTensor", "NervaNN", "NervaOptim", "NervaData", "NervaVision", "NervaGAN", "NervaRL", "NervaRec",
                "NervaFed"
            ]
        ),
        .target(name: "NervaTestSupport", dependencies: ["NervaTensor"]),
        .executableTarget(
            name: "nerva",
            dependencies: [
                "NervaTensor", "NervaNN", "NervaOptim", "NervaData", "NervaVision",
                "NervaGAN", "NervaRL", "NervaRec", "NervaFed", "NervaBenchmarks", "NervaTour",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]
        ),
        .testTarget(name: "NervaTensorTests", dependencies: ["NervaTensor", "NervaTestSupport"]),
        .testTarget(name: "NervaNNTests", dependencies: ["NervaNN", "NervaTensor", "NervaTestSupport"]),
        .testTarget(name: "nervaTests", dependencies: ["nerva"]),
        .testTarget(name: "NervaDataTests", dependencies: ["NervaData", "NervaTensor", "NervaTestSupport"]),
        // Domain test targets (one line each).
        .testTarget(name: "NervaRecTests", dependencies: ["NervaRec", "NervaData", "NervaTestSupport"]),
        .testTarget(name: "NervaFedTests", dependencies: ["NervaFed", "NervaData", "NervaTestSupport"]),
        .testTarget(
            name: "NervaRLTests", dependencies: ["NervaRL", "NervaData", "NervaTestSupport"], exclude: ["Fixtures"]
        ),
        .testTarget(name: "NervaVisionTests", dependencies: ["NervaVision", "NervaData", "NervaTestSupport"]),
        .testTarget(name: "NervaBenchmarksTests", dependencies: ["NervaBenchmarks"]),
        .testTarget(name: "NervaTourTests", dependencies: ["NervaTour", "NervaData", "NervaTestSupport"]),
        .testTarget(name: "NervaGANTests", dependencies: ["NervaGAN", "NervaData", "NervaTestSupport"]),
        .testTarget(
            name: "NervaOptimTests",
            dependencies: ["NervaOptim", "NervaNN", "NervaTensor", "NervaTestSupport"]
        )
    ],
    swiftLanguageModes: [.v6]
)
