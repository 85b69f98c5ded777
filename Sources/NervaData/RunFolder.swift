import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The folder a run of `nerva` leaves behind: metrics as JSON lines, figures, checkpoints, and an
/// HTML report (`index.html`) that shows the settings and links everything.
///
/// ```swift
/// let folder = try RunFolder(command: "gan train", out: out, settings: [("epochs", "\(epochs)")])
/// folder.log(["epoch": epoch, "loss": loss])               // one line of metrics.jsonl
/// try svg.write(to: folder.file("loss.svg"), atomically: true, encoding: .utf8)
/// folder.addFigure(title: "Loss", files: [folder.file("loss.svg")], caption: nil)
/// try folder.writeReport()                                 // index.html
/// ```
/// Sections appear in the report in the order they are added. All methods may be called from
/// any thread.
public final class RunFolder: Sendable {
    /// The folder, as an absolute file URL.
    public let url: URL
    /// The command that made the run, such as `tour` or `gan train`.
    public let command: String
    /// The settings of the run, shown as a table at the top of the report.
    public let settings: [(String, String)]

    private struct State: ~Copyable {
        var metrics: Int32 = -1 // descriptor of metrics.jsonl, opened on the first `log`
        var metricCount = 0
        var sections: [ReportSection] = []
        var warned = false
    }
    private let state = Mutex(State())
    private let keepsEarlierMetrics: Bool

    /// Creates the output folder of a run.
    ///
    /// - Parameters:
    ///   - command: The command, such as `tour`; it names the default folder.
    ///   - out: The folder the user chose with `--out`, created with its parents if missing and
    ///     reused if present. When `nil`, a new folder `./nerva-out/<command>-<yyyyMMdd-HHmmss>`
    ///     (local time; `-2`, `-3`, … appended if that name is taken).
    ///   - settings: Name and value of each setting, in the order the report shows them.
    ///   - continuing: `true` when the run resumes an earlier one in the same folder: new metrics
    ///     are appended to its `metrics.jsonl` instead of replacing it.
    /// - Throws: `RunFolderError` naming the folder when it cannot be created or written, or
    ///   when a file is in the way; the message tells the user to choose another with `--out`.
    public convenience init(
        command: String, out: String?, settings: [(String, String)] = [],
        continuing: Bool = false
    ) throws {
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        try self.init(
            command: command, out: out, settings: settings, baseDirectory: here, date: Date(),
            continuing: continuing)
    }

    /// Creates the folder, resolving relative paths against `baseDirectory` and naming the
    /// default folder after `date`.
    init(
        command: String, out: String?, settings: [(String, String)], baseDirectory: URL, date: Date,
        continuing: Bool = false
    ) throws {
        self.command = command
        self.settings = settings
        keepsEarlierMetrics = continuing
        if let out {
            let path = out.hasPrefix("/") ? out : baseDirectory.appendingPathComponent(out).path
            let folder = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
            try Self.makeDirectories(folder.path, folder: folder.path)
            guard access(folder.path, W_OK | X_OK) == 0 else {
                throw RunFolderError.cannotCreate(folder: folder.path, problem: Self.reason(errno))
            }
            url = folder
        } else {
            let parent = baseDirectory.appendingPathComponent("nerva-out").standardizedFileURL
            let name = Self.defaultName(command: command, date: date)
            url = try Self.makeUnique(in: parent, name: name)
        }
    }

    deinit {
        state.withLock { if $0.metrics >= 0 { _ = close($0.metrics) } }
    }

    /// The URL of `name` in the folder (`name` may contain `/`; missing subfolders are created).
    public func file(_ name: String) -> URL {
        let file = url.appendingPathComponent(name)
        let parent = file.deletingLastPathComponent()
        if parent.path != url.path {
            try? FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        }
        return file
    }

    /// Appends `record` as one line of JSON to `metrics.jsonl`.
    ///
    /// Each line goes straight to the operating system, so a crash of the process loses no line
    /// already logged. Unless the folder was opened with `continuing: true`, the first call
    /// replaces any `metrics.jsonl` left in the folder by an earlier run. A failure to write is reported once on standard error and does not stop the
    /// run.
    public func log(_ record: MetricRecord) {
        let line = Array((record.json + "\n").utf8)
        let path = url.appendingPathComponent("metrics.jsonl").path
        state.withLock { state in
            if state.metrics < 0 {
                let replace = keepsEarlierMetrics ? 0 : O_TRUNC
                state.metrics = open(path, O_WRONLY | O_CREAT | replace | O_APPEND | O_CLOEXEC, 0o644)
            }
            var code: Int32 = 0
            if state.metrics < 0 {
                code = errno
            } else if !line.withUnsafeBytes({ Self.writeAll(state.metrics, $0) }) {
                code = errno
            } else {
                state.metricCount += 1
                return
            }
            if !state.warned {
                state.warned = true
                FileHandle.standardError.write(Data("warning: cannot write \(path): \(Self.reason(code))\n".utf8))
            }
        }
    }

    /// Adds a figure to the report: the images in `files` (an SVG is shown in preference to a
    /// PNG of the same name, which is linked) and an optional caption.
    public func addFigure(title: String, files: [URL], caption: String?) {
        state.withLock { $0.sections.append(.figure(title: title, files: files, caption: caption)) }
    }

    /// Adds a table to the report; numeric cells are right-aligned.
    public func addTable(title: String, header: [String], rows: [[String]]) {
        state.withLock { $0.sections.append(.table(title: title, header: header, rows: rows)) }
    }

    /// Adds a text to the report; blank lines separate paragraphs, line breaks are kept.
    public func addText(title: String, text: String) {
        state.withLock { $0.sections.append(.text(title: title, text: text)) }
    }

    /// Writes `index.html`: the command, the settings, every section in the order added, and
    /// every file in the folder with its size. The page replaces any earlier one atomically, so
    /// it may be rewritten as the run goes (after each epoch, say).
    public func writeReport() throws {
        let (sections, metricCount) = state.withLock { ($0.sections, $0.metricCount) }
        let page = ReportPage(
            command: command, folder: url, settings: settings, sections: sections,
            files: ReportPage.listFiles(in: url), metricCount: metricCount, date: Date())
        let index = url.appendingPathComponent("index.html")
        do {
            try Data(page.html().utf8).write(to: index, options: .atomic)
        } catch {
            throw RunFolderError.cannotWrite(file: index.path, problem: "\(error.localizedDescription)")
        }
    }

    // MARK: - Creating the folder

    /// `<command>-<yyyyMMdd-HHmmss>`, with characters other than letters, digits, `.`, `_` and
    /// `-` in the command replaced by `-`.
    static func defaultName(command: String, date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let safe = String(command.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" })
        return "\(safe.isEmpty ? "run" : safe)-\(formatter.string(from: date))"
    }

    /// Creates `parent/name`, or `parent/name-2`, `-3`, … if taken.
    private static func makeUnique(in parent: URL, name: String) throws -> URL {
        try makeDirectories(parent.path, folder: parent.appendingPathComponent(name).path)
        for attempt in 1... {
            let candidate = parent.appendingPathComponent(attempt == 1 ? name : "\(name)-\(attempt)", isDirectory: true)
            if mkdir(candidate.path, 0o755) == 0 { return candidate }
            let code = errno
            guard code == EEXIST, attempt < 1000 else {
                throw RunFolderError.cannotCreate(folder: candidate.path, problem: reason(code))
            }
        }
        fatalError("unreachable")
    }

    /// `mkdir -p path`; errors name `folder`, the folder the user asked for.
    private static func makeDirectories(_ path: String, folder: String) throws {
        if mkdir(path, 0o755) == 0 { return }
        let code = errno
        switch code {
        case EEXIST:
            var status = stat()
            guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                throw RunFolderError.notAFolder(folder: folder, file: path)
            }
        case ENOENT:
            let parent = (path as NSString).deletingLastPathComponent
            guard !parent.isEmpty, parent != path else {
                throw RunFolderError.cannotCreate(folder: folder, problem: reason(code))
            }
            try makeDirectories(parent, folder: folder)
            if mkdir(path, 0o755) != 0, errno != EEXIST {
                throw RunFolderError.cannotCreate(folder: folder, problem: reason(errno))
            }
        case ENOTDIR:
            // A file somewhere on the path: name it.
            var ancestor = (path as NSString).deletingLastPathComponent
            while !ancestor.isEmpty, ancestor != "/" {
                var status = stat()
                if stat(ancestor, &status) == 0, status.st_mode & S_IFMT != S_IFDIR {
                    throw RunFolderError.notAFolder(folder: folder, file: ancestor)
                }
                ancestor = (ancestor as NSString).deletingLastPathComponent
            }
            throw RunFolderError.cannotCreate(folder: folder, problem: reason(code))
        default:
            throw RunFolderError.cannotCreate(folder: folder, problem: reason(code))
        }
    }

    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Writes all of `buffer`, retrying partial writes and interruptions.
    private static func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer) -> Bool {
        guard var next = buffer.baseAddress else { return true }
        var remaining = buffer.count
        while remaining > 0 {
            let count = write(descriptor, next, remaining)
            if count < 0 {
                if errno == EINTR { continue }
                return false
            }
            next += count
            remaining -= count
        }
        return true
    }
}

/// An output folder that cannot be created or written.
public enum RunFolderError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The folder could not be created, or is not writable; `problem` is the system's reason.
    case cannotCreate(folder: String, problem: String)
    /// A file is where the folder, or one of its parents (`file`), should be.
    case notAFolder(folder: String, file: String)
    /// A file in the folder could not be written.
    case cannotWrite(file: String, problem: String)

    /// A sentence naming the folder and saying what to do.
    public var description: String {
        let advice = "Choose another folder with --out DIR."
        switch self {
        case let .cannotCreate(folder, problem):
            return "cannot create the output folder \(folder): \(problem). \(advice)"
        case let .notAFolder(folder, file) where folder == file:
            return "the output folder \(folder) is a file, not a folder. \(advice)"
        case let .notAFolder(folder, file):
            return "cannot create the output folder \(folder): \(file) is a file, not a folder. \(advice)"
        case let .cannotWrite(file, problem):
            return "cannot write \(file): \(problem)"
        }
    }

    public var errorDescription: String? { description }
}
