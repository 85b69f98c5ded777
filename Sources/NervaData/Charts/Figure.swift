import Foundation

/// Writes charts to disk: the SVG, and beside it a PNG rendered by `rsvg-convert` (Debian:
/// `librsvg2-bin`) when that is installed.
///
/// ```swift
/// let files = try Figure.write(svg: chart.svg(), to: folder.appendingPathComponent("loss.svg"))
/// // [loss.svg, loss.png] — or just [loss.svg] without rsvg-convert
/// ```
public enum Figure {
    /// The `rsvg-convert` executable found on `PATH`, if any.
    public static var rasterizer: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("rsvg-convert")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Writes `svg` to `url` (atomically) and, when `rsvg-convert` is available, a PNG of it with
    /// the same name and the extension `png`.
    ///
    /// A missing or failing `rsvg-convert` is not an error: the SVG alone is written.
    ///
    /// - Returns: the files written, the SVG first.
    /// - Throws: `DataError.unwritable` when the SVG cannot be written.
    @discardableResult
    public static func write(svg: String, to url: URL) throws -> [URL] {
        do { try Data(svg.utf8).write(to: url, options: .atomic) } catch {
            throw DataError.unwritable(file: url.path, problem: DataError.reason(error))
        }
        guard let rasterizer else { return [url] }
        let png = url.deletingPathExtension().appendingPathExtension("png")
        return render(url, to: png, with: rasterizer) ? [url, png] : [url]
    }

    /// Runs `rsvg-convert` (at twice the SVG's size, for sharp text), writing to a temporary file
    /// renamed into place on success.
    private static func render(_ svg: URL, to png: URL, with rasterizer: URL) -> Bool {
        let temporary = png.deletingLastPathComponent()
            .appendingPathComponent(".\(png.lastPathComponent).\(UUID().uuidString).tmp")
        let process = Process()
        process.executableURL = rasterizer
        process.arguments = ["--zoom", "2", "--format", "png", "--output", temporary.path, svg.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return false
        }
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            return false
        }
        do {
            _ = try? FileManager.default.removeItem(at: png)
            try FileManager.default.moveItem(at: temporary, to: png)
            return true
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            return false
        }
    }
}
