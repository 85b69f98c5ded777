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
    /// machine's, for text), then the whole process's peak resident memory (`peak_rss`).
    ///
    /// - Parameters:
    ///   - reporter: Where the measurements go; its ``BenchmarkReporter/quick`` shortens them.
    ///   - dataDirectory: The Fashion-MNIST folder, for the `vision` and `fed` suites.
    /// - Returns: How many measurements ran, `peak_rss` not included (0 when the reporter's
    ///   filter matched none; `peak_rss` is then not written).
    /// - Throws: When a workload's data cannot be read or PyTorch's peer fails to start.
    @discardableResult
    public func run(reporter: BenchmarkReporter, dataDirectory: URL = FashionMNIST.defaultDirectory) throws -> Int {
        reporter.header()
        let quick = reporter.quick
        switch self {
        case .engine: EngineBenchmarks(quick: quick, reporter: reporter).run()
        case .gan: GANBenchmarks(quick: quick, reporter: reporter).run()
        case .rec: try RecBenchmarks(quick: quick, reporter: reporter).run()
        case .rl: try RLBenchmarks(quick: quick, reporter: reporter).run()
        case .fed: try FedBenchmarks(quick: quick, reporter: reporter, dataDirectory: dataDirectory).run()
        case .vision: try VisionBenchmarks(quick: quick, reporter: reporter, dataDirectory: dataDirectory).run()
        }
        let count = reporter.count
        guard count > 0 else { return 0 }
        reporter.report("peak_rss", params: [:], value: reporter.processPeakMegabytes, unit: "MB")
        return count
    }
}

/// A benchmark whose input is not what it measures.
public enum BenchmarkError: Error, CustomStringConvertible {
    /// The data read has another size or shape than the workload's.
    case unexpectedData(String)

    /// The reason, for people.
    public var description: String {
        switch self {
        case .unexpectedData(let message): message
        }
    }
}
