import ArgumentParser
import Foundation
import NervaBenchmarks
import NervaData
import NervaTensor

/// `nerva bench <suite>`: measures the hot paths and prints one line per measurement
/// (JSON lines with `--json`, the format of DESIGN.md).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput of the engine's hot paths.",
        discussion:
            "Prints one line per measurement; with --json, one JSON object per line: {\"suite\",\"name\",\"params\",\"value\",\"unit\"}."
    )

    @Argument(help: "The suite to run: \(BenchmarkSuite.allCases.map(\.rawValue).joined(separator: ", ")).")
    var suite: BenchmarkSuite

    @Flag(help: "Print JSON lines instead of text.")
    var json = false

    @Flag(help: "Shorter measurements (under 20 s), less precise.")
    var quick = false

    @Option(help: "Run only the measurements whose name contains this text (e.g. mlp_train).")
    var only: String?

    @Flag(
        help:
            "Also run each workload in PyTorch (the .venv of scripts/install-dependencies --with-torch), right after Nerva, and print both figures and their ratio."
    )
    var comparePytorch = false

    @Option(
        parsing: .unconditional,
        help:
            "Run the suite this many times (each workload in Nerva, then in PyTorch, every round) and print the medians and the range of the ratios (1 to \(BenchmarkSuite.maximumRounds))."
    )
    var rounds = 1

    @Option(help: "The Fashion-MNIST folder for fmnist_load (default /usr/share/datasets/fashion-mnist).")
    var data: String?

    func validate() throws {
        guard (1...BenchmarkSuite.maximumRounds).contains(rounds) else {
            throw ValidationError("--rounds must be 1 to \(BenchmarkSuite.maximumRounds), not \(rounds).")
        }
    }

    func run() throws {
        let pytorch = comparePytorch ? try PyTorchPeer(threads: ComputeBackend.threadCount) : nil
        let reporter = BenchmarkReporter(
            suite: suite.rawValue, json: json, filter: only, quick: quick, rounds: rounds, pytorch: pytorch)
        let measured = try suite.run(
            reporter: reporter, dataDirectory: data.map { URL(fileURLWithPath: $0) } ?? FashionMNIST.defaultDirectory)
        guard measured > 0 else {
            throw ValidationError(
                "--only \(only ?? ""): no measurement of the \(suite.rawValue) suite has that in its name.")
        }
    }
}

extension BenchmarkSuite: ExpressibleByArgument {}
