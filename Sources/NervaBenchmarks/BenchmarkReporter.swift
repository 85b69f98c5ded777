import Foundation
import NervaTensor

/// Prints measurements as text for people or JSON lines for machines; with a PyTorch peer, measures
/// the same workload in PyTorch right after Nerva and prints both and their ratio.
///
/// The JSON line format is `{"suite","name","params","value","unit"}` plus the peak resident memory
/// since the previous line (`peak_rss_mb`), PyTorch's figures when compared (`pytorch`, `ratio`,
/// `pytorch_peak_rss_mb`) and the machine (`cpu`, `isa`, `backend`).
public final class BenchmarkReporter {
    /// The suite's name, on every JSON line.
    public let suite: String
    /// Whether lines are JSON objects (else text for people).
    public let json: Bool
    /// Only measurements whose name contains this text run (all when `nil`).
    public let filter: String?
    /// Whether the suites measure for a shorter time, less precisely (also asked of PyTorch).
    public let quick: Bool
    /// How many times the suite runs (each workload in Nerva, then in PyTorch, every round): a line
    /// gives the medians of Nerva's figures, of PyTorch's and of the per-round ratios, the range of
    /// the ratios, and the highest peaks, so a noisy machine moves the figures less.
    public let rounds: Int
    private let pytorch: PyTorchPeer?
    private let write: (String) -> Void
    private let machine: (cpu: String, isa: String, backend: String)
    /// How many measurements were printed.
    public private(set) var count = 0
    /// The highest peak of any measurement so far (the process's peak: resetting the per-measurement
    /// peak also lowers `getrusage`'s).
    private var highestPeakMegabytes = 0.0
    /// The measurements of the rounds so far that the last round has not reported yet.
    private var pending: [String: Samples] = [:]

    /// The process's peak resident memory so far, in megabytes.
    public var processPeakMegabytes: Double {
        Swift.max(
            highestPeakMegabytes, ResourceUsage.peakMegabytesSinceReset() ?? 0, ResourceUsage.peakResidentMegabytes)
    }

    /// A reporter for one suite.
    /// - Parameters:
    ///   - suite: The suite's name (`engine`, `vision`, …), on every JSON line.
    ///   - json: Whether to write JSON lines instead of text.
    ///   - filter: Only measurements whose name contains this text run (all when `nil`).
    ///   - quick: Whether the suites measure for a shorter time, less precisely.
    ///   - rounds: How many times the suite runs (1 to 100, checked by ``BenchmarkSuite/run(reporter:dataDirectory:)``);
    ///     each line gives the medians of the rounds.
    ///   - pytorch: PyTorch measuring each workload right after Nerva (`nil`: Nerva alone).
    ///   - write: Receives each line, without its newline (default: standard output, flushed).
    public init(
        suite: String, json: Bool, filter: String? = nil, quick: Bool, rounds: Int = 1, pytorch: PyTorchPeer? = nil,
        write: @escaping (String) -> Void = BenchmarkReporter.standardOutput
    ) {
        self.suite = suite
        self.json = json
        self.filter = filter
        self.quick = quick
        self.rounds = rounds
        self.pytorch = pytorch
        self.write = write
        machine = (ComputeBackend.cpuModel, ComputeBackend.instructionSet.rawValue, ComputeBackend.library)
    }

    /// Prints `line` on standard output and flushes it (the reporter's default destination).
    /// - Parameter line: One line, without its newline.
    public static func standardOutput(_ line: String) {
        print(line)
        fflush(nil)
    }

    /// Whether the measurement `name` should run.
    /// - Parameter name: A measurement's name, such as `mlp_train`.
    public func wants(_ name: String) -> Bool { filter.map { name.contains($0) } ?? true }

    /// Prints the machine: CPU, kernels' ISA, library, threads (and PyTorch's version when compared).
    public func header() {
        guard !json else { return }
        write(ComputeBackend.summary + (pytorch.map { " · PyTorch \($0.version)" } ?? ""))
    }

    /// Prints one measurement (and PyTorch's, when comparing); `params` values are numbers or
    /// strings. For `s`, `ms` and `MB` lower is better, for the others (rates) higher; the ratio
    /// is always "times better than PyTorch".
    ///
    /// Each line also carries the peak resident memory since the previous line (`peak_rss_mb`), so
    /// the memory of a workload is compared with PyTorch's for the same workload (`pytorch_peak_rss_mb`).
    /// With several ``rounds``, the line is printed when the last round reports it, with the
    /// medians of the rounds (see ``rounds``).
    /// - Parameters:
    ///   - name: The measurement's name.
    ///   - params: Its settings (numbers or strings), in the order they print.
    ///   - value: The figure, in `unit`.
    ///   - unit: `s`, `ms` or `MB` (lower is better), or a rate such as `samples/s` (higher is better).
    public func report(_ name: String, params: KeyValuePairs<String, Any>, value: Double, unit: String) {
        let peak = ResourceUsage.peakMegabytesSinceReset()
        ResourceUsage.resetPeak()
        highestPeakMegabytes = Swift.max(highestPeakMegabytes, peak ?? 0)
        var measured: PyTorchPeer.Measurement?
        if let pytorch {
            do {
                measured = try pytorch.measure(
                    name, params: Dictionary(uniqueKeysWithValues: params.map { ($0.key, $0.value) }), quick: quick)
            } catch { FileHandle.standardError.write(Data("nerva bench: \(error)\n".utf8)) }
        }
        let key = "\(name) " + params.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        var samples = pending.removeValue(forKey: key) ?? Samples()
        samples.append(value: value, reference: measured?.value, lowerIsBetter: ["s", "ms", "MB"].contains(unit))
        samples.peak = [samples.peak, peak].compactMap { $0 }.max()
        samples.theirPeak = [samples.theirPeak, measured?.peakMegabytes].compactMap { $0 }.max()
        // The process's peak is reported once, after every round.
        guard samples.values.count >= rounds || name == "peak_rss" else {
            pending[key] = samples
            return
        }
        count += 1
        write(line(name, params: params, unit: unit, samples))
    }

    /// The figures of one measurement over the rounds so far.
    private struct Samples {
        var values: [Double] = [], references: [Double] = [], ratios: [Double] = []
        var peak: Double?, theirPeak: Double?

        mutating func append(value: Double, reference: Double?, lowerIsBetter: Bool) {
            values.append(value)
            guard let reference else { return }
            references.append(reference)
            ratios.append(lowerIsBetter ? reference / value : value / reference)
        }

        /// The median (the mean of the two middle figures of an even count).
        static func median(_ figures: [Double]) -> Double? {
            guard !figures.isEmpty else { return nil }
            let sorted = figures.sorted(), middle = sorted.count / 2
            return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
        }
    }

    private func line(_ name: String, params: KeyValuePairs<String, Any>, unit: String, _ samples: Samples) -> String {
        let value = Samples.median(samples.values) ?? 0
        let reference = Samples.median(samples.references), ratio = Samples.median(samples.ratios)
        let rounds = samples.values.count
        let ratioRange = samples.ratios.count > 1 ? (samples.ratios.min()!, samples.ratios.max()!) : nil
        let peak = samples.peak, theirPeak = samples.theirPeak
        if json {
            let fields = params.map { key, value in "\"\(key)\":\(encoded(value))" }.joined(separator: ",")
            var line =
                "{\"suite\":\"\(suite)\",\"name\":\"\(name)\",\"params\":{\(fields)},\"value\":\(rounded(value)),\"unit\":\"\(unit)\""
            if let reference, let ratio { line += ",\"pytorch\":\(rounded(reference)),\"ratio\":\(rounded(ratio))" }
            if rounds > 1 {
                line += ",\"rounds\":\(rounds)"
                if let (low, high) = ratioRange {
                    line += ",\"ratio_min\":\(rounded(low)),\"ratio_max\":\(rounded(high))"
                }
            }
            if let peak, unit != "MB" { line += ",\"peak_rss_mb\":\(rounded(peak))" }
            if let theirPeak, unit != "MB" { line += ",\"pytorch_peak_rss_mb\":\(rounded(theirPeak))" }
            line +=
                ",\"cpu\":\(encoded(machine.cpu)),\"isa\":\"\(machine.isa)\",\"backend\":\(encoded(machine.backend))}"
            return line
        }
        let settings = params.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let label = settings.isEmpty ? name : "\(name) \(settings)"
        let width = Swift.max(44, label.count + 1)
        var line = label.padding(toLength: width, withPad: " ", startingAt: 0) + " \(rounded(value)) \(unit)"
        if let reference, let ratio {
            line =
                line.padding(toLength: Swift.max(width + 22, line.count + 1), withPad: " ", startingAt: 0)
                + " PyTorch \(rounded(reference)) \(unit)".padding(toLength: 28, withPad: " ", startingAt: 0)
                + " \(rounded(ratio))× \(ratio >= 1 ? "better" : "worse")"
            if let (low, high) = ratioRange { line += " (\(rounded(low))–\(rounded(high))× in \(rounds) rounds)" }
        } else if rounds > 1 {
            line += " (median of \(rounds) rounds)"
        }
        if let peak, unit != "MB" {
            line += " · peak \(Int(peak.rounded())) MB" + (theirPeak.map { " (PyTorch \(Int($0.rounded())) MB)" } ?? "")
        }
        return line
    }

    private func encoded(_ value: Any) -> String {
        guard let text = value as? String else { return "\(value)" }
        let data = try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        return data.flatMap { String(data: $0, encoding: .utf8) }.map { String($0.dropFirst().dropLast()) } ?? "\"\""
    }

    private func rounded(_ value: Double) -> Double {
        let magnitude = Swift.abs(value)
        let scale = magnitude >= 1000 ? 1.0 : magnitude >= 10 ? 10.0 : 1000.0
        return (value * scale).rounded() / scale
    }
}

/// Timing helpers for benchmarks.
public enum Stopwatch {
    /// Runs `body` repeatedly for about `seconds` after a warm-up and returns the median rate of
    /// `work` units per second over several windows.
    /// - Parameters:
    ///   - seconds: About how long to measure, all windows together.
    ///   - work: The units of work one call of `body` does (samples, FLOPs…).
    ///   - windows: How many windows to take the median of.
    ///   - body: The workload.
    public static func rate(seconds: Double, work: Double, windows: Int = 5, _ body: () -> Void) -> Double {
        withoutActuallyEscaping(body) { body in rates(seconds: seconds, work: work, windows: windows, [body])[0] }
    }

    /// The median rates of several bodies doing the same `work`, measured in alternating windows
    /// (a window of each body in turn, `windows` times) so that a machine whose speed drifts
    /// slows them alike: the fair way to compare two implementations of one operation.
    /// - Parameters:
    ///   - seconds: About how long to measure each body, all its windows together.
    ///   - work: The units of work one call of any body does.
    ///   - windows: How many windows of each body to take the median of.
    ///   - bodies: The implementations.
    /// - Returns: Each body's median rate, in the order given.
    public static func rates(seconds: Double, work: Double, windows: Int = 5, _ bodies: [() -> Void]) -> [Double] {
        for body in bodies { for _ in 0..<2 { body() } }
        let perWindow = seconds / Double(windows)
        var rates = Array(repeating: [Double](), count: bodies.count)
        for _ in 0..<windows {
            for (index, body) in bodies.enumerated() {
                var iterations = 0
                let start = DispatchTime.now().uptimeNanoseconds
                var elapsed = 0.0
                repeat {
                    body()
                    iterations += 1
                    elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                } while elapsed < perWindow
                rates[index].append(Double(iterations) * work / elapsed)
            }
        }
        return rates.map { $0.sorted()[windows / 2] }
    }
}

/// The process's resource usage.
public enum ResourceUsage {
    /// The peak resident set size since the last `resetPeak()` (Linux's `VmHWM`), in megabytes;
    /// `nil` where `/proc/self/status` does not say.
    public static func peakMegabytesSinceReset() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kilobytes / 1024
    }

    /// Starts a new peak at the current resident size (Linux's `/proc/self/clear_refs`; a no-op
    /// elsewhere), after handing the memory that allocators keep for reuse back to the system,
    /// so that a workload's peak does not include what the previous one left cached.
    public static func resetPeak() {
        ComputeBackend.releaseCachedMemory()
        let descriptor = open("/proc/self/clear_refs", O_WRONLY)
        guard descriptor >= 0 else { return }
        _ = write(descriptor, "5", 1)
        close(descriptor)
    }

    /// The peak resident set size so far, in megabytes.
    public static var peakResidentMegabytes: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024 // kilobytes on Linux
    }
}
