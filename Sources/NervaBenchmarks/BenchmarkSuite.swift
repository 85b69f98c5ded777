import Foundation
import NervaData
import NervaTensor

/// The suites of `nerva bench`, each a set of named measurements.
public enum BenchmarkSuite: String, CaseIterable, Sendable {
    /// GEMM through Nerva, oneDNN and OpenBLAS; element-wise kernels; MLP training (``EngineBenchmarks``).
    case engine
    /// Convolutions, the Fashion-MNIST classifiers, loading Fashion-MNIST (``VisionBenchmarks``).
    case vision
    /// GAN training steps (``GANBenchmarks``).
    case gan
    /// Environment steps and DQN training (``RLBenchmarks``).
    case rl
    /// NeuMF training and scoring, k-NN queries (``RecBenchmarks``).
    case rec
    /// Federated rounds, the wire format, secure aggregation, HTTP (``FedBenchmarks``).
    case fed

    /// Runs the suite's measurements that `reporter` wants, writing one line each (after the
    /// machine's, for text), then the whole process's peak resident memory (`peak_rss`). With
    /// several ``BenchmarkReporter/rounds`` the suite runs that many times and each line gives
    /// the medians of the rounds.
    ///
    /// - Parameters:
    ///   - reporter: Where the measurements go; its ``BenchmarkReporter/quick`` shortens them.
    ///   - dataDirectory: The Fashion-MNIST folder, for the `vision` and `fed` suites.
    /// - Returns: How many measurements ran, `peak_rss` not included (0 when the reporter's
    ///   filter matched none; `peak_rss` is then not written).
    /// - Throws: When the reporter's rounds are not 1 to ``maximumRounds``, a workload's data cannot
    ///   be read or PyTorch's peer fails to start.
    @discardableResult
    public func run(reporter: BenchmarkReporter, dataDirectory: URL = FashionMNIST.defaultDirectory) throws -> Int {
        guard (1...Self.maximumRounds).contains(reporter.rounds) else {
            throw BenchmarkError.invalidRounds(reporter.rounds)
        }
        reporter.header()
        let quick = reporter.quick
        for _ in 0..<reporter.rounds {
            switch self {
            case .engine: EngineBenchmarks(quick: quick, reporter: reporter).run()
            case .gan: GANBenchmarks(quick: quick, reporter: reporter).run()
            case .rec: try RecBenchmarks(quick: quick, reporter: reporter).run()
            case .rl: try RLBenchmarks(quick: quick, reporter: reporter).run()
            case .fed: try FedBenchmarks(quick: quick, reporter: reporter, dataDirectory: dataDirectory).run()
            case .vision: try VisionBenchmarks(quick: quick, reporter: reporter, dataDirectory: dataDirectory).run()
            }
        }
        let count = reporter.count
        guard count > 0 else { return 0 }
        reporter.report("peak_rss", params: [:], value: reporter.processPeakMegabytes, unit: "MB")
        return count
    }
}

extension BenchmarkSuite {
    /// The most rounds a suite runs (``BenchmarkReporter/rounds``).
    public static let maximumRounds = 100
}

/// A benchmark that cannot run as asked.
public enum BenchmarkError: Error, CustomStringConvertible {
    /// The data read has another size or shape than the workload's.
    case unexpectedData(String)
    /// A round count outside 1 to ``BenchmarkSuite/maximumRounds``.
    case invalidRounds(Int)

    /// The reason, for people.
    public var description: String {
        switch self {
        case .unexpectedData(let message): message
        case .invalidRounds(let rounds):
            "rounds must be 1 to \(BenchmarkSuite.maximumRounds) (each suite runs that many times), not \(rounds)."
        }
    }
}
