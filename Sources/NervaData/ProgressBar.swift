import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Shows how far a long loop has come: steps done, rate, time left, and the latest values.
///
/// ```swift
/// let progress = ProgressBar(label: "train", total: epochs * batches, samplesPerStep: batchSize)
/// for step in 1...epochs * batches {
///     ...
///     progress.update(step: step, values: [("epoch", Double(epoch)), ("loss", Double(loss))])
/// }
/// progress.finish()
/// ```
/// On a terminal one line is redrawn in place (at most ten times a second):
///
///     train  1200/4690  26% │█████▏              │ 2345 samples/s  ETA 1m 29s  epoch 3  loss 0.4321
///
/// When standard output is a file or a pipe, a plain line (without the bar) is printed every
/// few seconds instead, and `finish()` prints the last one with the total time, so logs stay short.
public final class ProgressBar {
    /// What is being done, such as `train` or `gan`.
    public let label: String
    /// The number of steps the loop will take.
    public let total: Int
    /// Samples processed per step (the batch size); the rate is in samples/s when set, in
    /// steps/s otherwise.
    public let samplesPerStep: Int?

    private let isTerminal: Bool
    private let plainInterval: Double
    private let clock: () -> Double
    private let write: (String) -> Void
    private let columns: () -> Int?
    private let start: Double
    private var lastOutput: Double
    private var hasDrawn = false
    private var step = 0
    private var values: [(String, Double)] = []
    private var finished = false

    /// A progress bar printed to standard output, redrawn in place when it is a terminal.
    ///
    /// - Parameters:
    ///   - label: What is being done, shown first.
    ///   - total: The number of steps the loop will take.
    ///   - samplesPerStep: Samples per step (the batch size), for a rate in samples/s.
    ///   - plainInterval: Seconds between lines when standard output is not a terminal.
    public convenience init(label: String, total: Int, samplesPerStep: Int? = nil, plainInterval: Double = 5) {
        let terminal = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        self.init(
            label: label, total: total, samplesPerStep: samplesPerStep, plainInterval: plainInterval,
            isTerminal: terminal, columns: Self.terminalColumns,
            clock: { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 },
            write: { text in
                print(text, terminator: "")
                fflush(nil)
            })
    }

    /// A progress bar reading the time in seconds from `clock` and sending its output to `write`;
    /// `columns` is the terminal's width (lines are cut to fit), `nil` when unknown.
    init(
        label: String, total: Int, samplesPerStep: Int? = nil, plainInterval: Double = 5, isTerminal: Bool,
        columns: @escaping () -> Int? = { nil }, clock: @escaping () -> Double, write: @escaping (String) -> Void
    ) {
        precondition(total >= 0, "A progress needs a non-negative number of steps, not \(total)")
        precondition(samplesPerStep.map { $0 > 0 } ?? true, "Samples per step must be positive")
        self.label = label
        self.total = total
        self.samplesPerStep = samplesPerStep
        self.plainInterval = plainInterval
        self.isTerminal = isTerminal
        self.columns = columns
        self.clock = clock
        self.write = write
        start = clock()
        lastOutput = start
    }

    /// Records that `step` steps (of `total`) are done, with the latest `values` (such as epoch
    /// and loss), and shows them if it is time to.
    public func update(step: Int, values: [(String, Double)] = []) {
        guard !finished else { return }
        self.step = min(max(step, 0), total)
        self.values = values
        let now = clock()
        if isTerminal {
            guard !hasDrawn || now - lastOutput >= 0.1 || self.step == total else { return }
            draw(line(now: now, done: false, bar: true))
        } else {
            guard now - lastOutput >= plainInterval, self.step < total else { return }
            write(line(now: now, done: false, bar: false) + "\n")
        }
        hasDrawn = true
        lastOutput = now
    }

    /// Prints the final line, with the total time, and ends the progress; later calls do nothing.
    public func finish() {
        guard !finished else { return }
        finished = true
        let now = clock()
        if isTerminal {
            draw(line(now: now, done: true, bar: true))
            write("\n")
        } else {
            write(line(now: now, done: true, bar: false) + "\n")
        }
    }

    /// Replaces the terminal's current line by `text`, cut to the terminal's width.
    private func draw(_ text: String) {
        var text = text
        if let width = columns(), width > 1, text.count > width - 1 {
            text = String(text.prefix(width - 2)) + "…"
        }
        write("\r" + text + "\u{1B}[K")
    }

    /// `train  1200/4690  26% │█████▏   │ 2345 samples/s  ETA 1m 29s  epoch 3  loss 0.4321`.
    func line(now: Double, done: Bool, bar: Bool) -> String {
        let elapsed = now - start
        let fraction = total > 0 ? Double(step) / Double(total) : 1
        let digits = String(total).count
        let counter = String(repeating: " ", count: max(0, digits - String(step).count)) + "\(step)/\(total)"
        let percent = String(Int((fraction * 100).rounded(.down)))
        var parts = [
            label, counter,
            String(repeating: " ", count: 3 - percent.count) + percent + "%"
                + (bar ? " " + Self.bar(fraction) : "")
        ]
        if elapsed > 0, step > 0 {
            let stepsPerSecond = Double(step) / elapsed
            parts.append(
                samplesPerStep.map { Self.rate(stepsPerSecond * Double($0)) + " samples/s" }
                    ?? Self.rate(stepsPerSecond) + " steps/s")
            parts.append(
                done
                    ? "done in " + Self.duration(elapsed, precise: true)
                    : "ETA " + Self.duration(Double(total - step) / stepsPerSecond, precise: false))
        } else {
            parts.append(done ? "done in " + Self.duration(max(elapsed, 0), precise: true) : "ETA --")
        }
        parts += values.map { "\($0.0) \(Self.value($0.1))" }
        return parts.joined(separator: "  ")
    }

    /// A 20-cell bar drawn with eighth blocks: `│█████▏              │`.
    static func bar(_ fraction: Double, width: Int = 20) -> String {
        let eighths = Int((min(max(fraction, 0), 1) * Double(width * 8)).rounded(.down))
        var cells = String(repeating: "█", count: eighths / 8)
        if eighths % 8 > 0 { cells.append(["▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8 - 1]) }
        return "│" + cells + String(repeating: " ", count: width - cells.count) + "│"
    }

    /// `2345`, `12.3`, `0.42`: three significant digits or the whole number.
    static func rate(_ value: Double) -> String {
        guard value.isFinite else { return "--" }
        if value >= 1e15 { return String(format: "%.3g", value) } // beyond what converts to Int exactly
        return value >= 100 ? String(Int(value.rounded())) : String(format: value >= 10 ? "%.1f" : "%.2f", value)
    }

    /// A value as a person reads it: `3` for a whole number, `0.4321`, `1.235e-05`.
    static func value(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : value > 0 ? "inf" : "-inf" }
        if value == value.rounded(), Swift.abs(value) < 1e9 { return String(Int(value)) }
        return Swift.abs(value) >= 1000 && Swift.abs(value) < 1e9
            ? String(format: "%.1f", value) : String(format: "%.4g", value)
    }

    /// `42s`, `3m 05s`, `2h 07m`; `precise` gives tenths of a second below a minute (`4.2s`),
    /// otherwise seconds are rounded up (a time left never shows as `0s` too early).
    static func duration(_ seconds: Double, precise: Bool) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--" }
        if precise, seconds < 59.95 { return String(format: "%.1fs", seconds) }
        if !precise, seconds.rounded(.up) < 60 { return "\(Int(seconds.rounded(.up)))s" }
        let whole = Int(precise ? seconds.rounded() : seconds.rounded(.up))
        if whole < 3600 { return String(format: "%dm %02ds", whole / 60, whole % 60) }
        return String(format: "%dh %02dm", whole / 3600, whole % 3600 / 60)
    }

    /// The width of the terminal on standard output, or `COLUMNS`, or `nil`.
    private static func terminalColumns() -> Int? {
        var size = winsize()
        #if os(Linux)
            let request = UInt(TIOCGWINSZ)
        #else
            let request = TIOCGWINSZ
        #endif
        if withUnsafeMutablePointer(to: &size, { ioctl(STDOUT_FILENO, request, $0) }) == 0, size.ws_col > 0 {
            return Int(size.ws_col)
        }
        return ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init)
    }
}
