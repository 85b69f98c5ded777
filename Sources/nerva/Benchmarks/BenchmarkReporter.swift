import Foundation

/// Prints measurements as text for people or JSON lines for machines.
struct BenchmarkReporter {
    let suite: String
    let json: Bool
    /// Only measurements whose name contains this text run (all when `nil`).
    let filter: String?

    /// Whether the measurement `name` should run.
    func wants(_ name: String) -> Bool { filter.map { name.contains($0) } ?? true }

    /// Prints one measurement; `params` values are numbers or strings.
    func report(_ name: String, params: KeyValuePairs<String, Any>, value: Double, unit: String) {
        if json {
            let fields = params.map { key, value in
                let encoded = value is String ? "\"\(value)\"" : "\(value)"
                return "\"\(key)\":\(encoded)"
            }.joined(separator: ",")
            print("{\"suite\":\"\(suite)\",\"name\":\"\(name)\",\"params\":{\(fields)},\"value\":\(rounded(value)),\"unit\":\"\(unit)\"}")
        } else {
            let settings = params.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let label = settings.isEmpty ? name : "\(name) \(settings)"
            print(label.padding(toLength: 36, withPad: " ", startingAt: 0) + " \(rounded(value)) \(unit)")
        }
        fflush(nil)
    }

    private func rounded(_ value: Double) -> Double {
        let magnitude = Swift.abs(value)
        let scale = magnitude >= 1000 ? 1.0 : magnitude >= 10 ? 10.0 : 1000.0
        return (value * scale).rounded() / scale
    }
}

/// Timing helpers for benchmarks.
enum Stopwatch {
    /// Runs `body` repeatedly for about `seconds` after a warm-up and returns the median rate of
    /// `work` units per second over several windows.
    static func rate(seconds: Double, work: Double, windows: Int = 5, _ body: () -> Void) -> Double {
        for _ in 0..<2 { body() }
        let perWindow = seconds / Double(windows)
        var rates: [Double] = []
        for _ in 0..<windows {
            var iterations = 0
            let start = DispatchTime.now().uptimeNanoseconds
            var elapsed = 0.0
            repeat {
                body()
                iterations += 1
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            } while elapsed < perWindow
            rates.append(Double(iterations) * work / elapsed)
        }
        return rates.sorted()[windows / 2]
    }
}

/// The process's resource usage.
enum ResourceUsage {
    /// The peak resident set size so far, in megabytes.
    static var peakResidentMegabytes: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024   // kilobytes on Linux
    }
}
