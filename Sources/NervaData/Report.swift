import Foundation

/// A section of a run's report, in the order it was added to the `RunFolder`.
enum ReportSection: Sendable {
    case figure(title: String, files: [URL], caption: String?)
    case table(title: String, header: [String], rows: [[String]])
    case text(title: String, text: String)

    var title: String {
        switch self {
        case let .figure(title, _, _), let .table(title, _, _), let .text(title, _): return title
        }
    }
}

/// The HTML report of a run: one self-contained page (inline CSS, no scripts, nothing fetched
/// from elsewhere) that links the files of the folder it lives in.
struct ReportPage {
    var command: String
    var folder: URL
    var settings: [(String, String)]
    var sections: [ReportSection]
    /// Paths relative to the folder, and sizes in bytes.
    var files: [(path: String, size: Int)]
    var metricCount: Int
    var date: Date

    func html() -> String {
        let title = command.hasPrefix("nerva") ? command : "nerva \(command)"
        var body = """
            <header>
            <p class="kicker">Nerva run report</p>
            <h1>\(escape(title))</h1>
            <p class="meta">\(meta())</p>
            </header>

            """
        if sections.count >= 2 { body += contents() }
        body += settingsSection()
        for (index, section) in sections.enumerated() {
            body += "<section id=\"section-\(index + 1)\">\n<h2>\(escape(section.title))</h2>\n"
            switch section {
            case let .figure(_, files, caption): body += figure(files: files, caption: caption, title: section.title)
            case let .table(_, header, rows): body += table(header: header, rows: rows)
            case let .text(_, text): body += paragraphs(text)
            }
            body += "</section>\n"
        }
        body += filesSection()
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) — \(escape(folder.lastPathComponent))</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            <main>
            \(body)<footer>Written by Nerva on \(escape(Self.timestamp(date))).</footer>
            </main>
            </body>
            </html>

            """
    }

    // MARK: - Parts of the page

    private func meta() -> String {
        var parts = ["<code>\(escape(folder.path))</code>", escape(Self.timestamp(date))]
        if files.contains(where: { $0.path == "metrics.jsonl" }) {
            let records = metricCount == 1 ? "1 metric record" : "\(metricCount) metric records"
            parts.append(metricCount > 0 ? "\(records) in \(link("metrics.jsonl"))" : link("metrics.jsonl"))
        }
        return parts.joined(separator: " · ")
    }

    private func contents() -> String {
        var items = ["<li><a href=\"#settings\">Settings</a></li>"]
        for (index, section) in sections.enumerated() {
            items.append("<li><a href=\"#section-\(index + 1)\">\(escape(section.title))</a></li>")
        }
        items.append("<li><a href=\"#files\">Files</a></li>")
        return "<nav aria-label=\"Contents\"><ol>\n" + items.joined(separator: "\n") + "\n</ol></nav>\n"
    }

    private func settingsSection() -> String {
        var html = "<section id=\"settings\">\n<h2>Settings</h2>\n"
        guard !settings.isEmpty else { return html + "<p class=\"note\">This run has no settings.</p>\n</section>\n" }
        html += "<div class=\"scroll\"><table class=\"settings\">\n<tbody>\n"
        for (name, value) in settings {
            html += "<tr><th scope=\"row\">\(escape(name))</th><td>\(escape(value))</td></tr>\n"
        }
        return html + "</tbody>\n</table></div>\n</section>\n"
    }

    private func figure(files: [URL], caption: String?, title: String) -> String {
        // Files of the same name with different extensions (loss.svg, loss.png) form one panel.
        var groups: [(stem: String, files: [URL])] = []
        for file in files {
            let stem = file.deletingPathExtension().path
            if let index = groups.firstIndex(where: { $0.stem == stem }) {
                groups[index].files.append(file)
            } else {
                groups.append((stem, [file]))
            }
        }
        var html = "<figure>\n<div class=\"panels\">\n"
        for group in groups {
            let shown =
                group.files.first { $0.pathExtension.lowercased() == "svg" }
                ?? group.files.first { Self.imageExtensions.contains($0.pathExtension.lowercased()) }
            var links = group.files
            if let svg = shown, svg.pathExtension.lowercased() == "svg",
                !links.contains(where: { $0.pathExtension.lowercased() == "png" })
            {
                let png = svg.deletingPathExtension().appendingPathExtension("png")
                if FileManager.default.fileExists(atPath: png.path) { links.append(png) }
            }
            html += "<div class=\"panel\">\n"
            if let image = shown {
                let alt = "\(escape(title)): \(escape(image.deletingPathExtension().lastPathComponent))"
                html +=
                    "<a href=\"\(href(image))\"><img src=\"\(href(image))\" alt=\"\(alt)\"\(Self.rasterSize(image))></a>\n"
            }
            html +=
                "<p class=\"links\">"
                + links.map { link(href: href($0), text: $0.lastPathComponent) }.joined(separator: " · ") + "</p>\n"
            html += "</div>\n"
        }
        html += "</div>\n"
        if let caption, !caption.isEmpty { html += "<figcaption>\(escape(caption))</figcaption>\n" }
        return html + "</figure>\n"
    }

    private func table(header: [String], rows: [[String]]) -> String {
        let width = max(header.count, rows.map(\.count).max() ?? 0)
        let numeric = (0..<width).map { column in
            let cells = rows.compactMap { column < $0.count ? $0[column] : nil }.filter { !$0.isEmpty }
            return !cells.isEmpty && cells.allSatisfy(Self.isNumeric)
        }
        func cell(_ tag: String, _ text: String, _ column: Int) -> String {
            "<\(tag)\(numeric[column] ? " class=\"num\"" : "")>\(escape(text))</\(tag)>"
        }
        var html = "<div class=\"scroll\"><table>\n"
        if !header.isEmpty {
            html +=
                "<thead><tr>" + (0..<width).map { cell("th", $0 < header.count ? header[$0] : "", $0) }.joined()
                + "</tr></thead>\n"
        }
        html += "<tbody>\n"
        for row in rows {
            html += "<tr>" + (0..<width).map { cell("td", $0 < row.count ? row[$0] : "", $0) }.joined() + "</tr>\n"
        }
        return html + "</tbody>\n</table></div>\n"
    }

    private func paragraphs(_ text: String) -> String {
        let blocks = text.replacingOccurrences(of: "\r\n", with: "\n")
            .components(separatedBy: "\n\n")
            .map { $0.trimmingCharacters(in: .newlines) }
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        return "<div class=\"text\">\n" + blocks.map { "<p>\(escape($0))</p>\n" }.joined() + "</div>\n"
    }

    private func filesSection() -> String {
        var html = "<section id=\"files\">\n<h2>Files</h2>\n"
        guard !files.isEmpty else {
            return html + "<p class=\"note\">The folder holds no other files.</p>\n</section>\n"
        }
        let total = files.reduce(0) { $0 + $1.size }
        html +=
            "<div class=\"scroll\"><table class=\"files\">\n<thead><tr><th>File</th><th class=\"num\">Size</th></tr></thead>\n<tbody>\n"
        for file in files {
            html += "<tr><td>\(link(file.path))</td><td class=\"num\">\(Self.byteCount(file.size))</td></tr>\n"
        }
        html += "</tbody>\n<tfoot><tr><td>\(files.count) \(files.count == 1 ? "file" : "files")</td>"
        return html + "<td class=\"num\">\(Self.byteCount(total))</td></tr></tfoot>\n</table></div>\n</section>\n"
    }

    // MARK: - Links and escaping

    /// A link to the folder-relative `path`, showing the path.
    private func link(_ path: String) -> String {
        link(href: href(folder.appendingPathComponent(path)), text: path)
    }

    private func link(href: String, text: String) -> String { "<a href=\"\(href)\">\(escape(text))</a>" }

    /// The (escaped) address of `file`: relative when it lies in the folder, absolute otherwise.
    private func href(_ file: URL) -> String {
        let file = file.standardizedFileURL
        let base = folder.standardizedFileURL.path + "/"
        guard file.path.hasPrefix(base) else { return escape(file.absoluteString) }
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(":")
        let relative = String(file.path.dropFirst(base.count))
        return escape(relative.addingPercentEncoding(withAllowedCharacters: allowed) ?? relative)
    }

    /// For a PNG, ` class="raster" style="width: …px"`: its own width, enlarged by a whole factor up to
    /// about 512 pixels so that small image grids stay sharp; empty for other images.
    private static func rasterSize(_ file: URL) -> String {
        guard file.pathExtension.lowercased() == "png",
            let handle = try? FileHandle(forReadingFrom: file)
        else { return "" }
        defer { try? handle.close() }
        // Signature (8 bytes), IHDR length and type (8), then the width as a big-endian UInt32.
        guard let header = try? handle.read(upToCount: 24), header.count == 24,
            header.starts(with: [0x89, 0x50, 0x4E, 0x47])
        else { return " class=\"raster\"" }
        let width = header[16..<20].reduce(0) { $0 << 8 | Int($1) }
        guard width > 0 else { return " class=\"raster\"" }
        return " class=\"raster\" style=\"width: \(width * max(1, min(8, 512 / width)))px\""
    }

    private static let imageExtensions: Set<String> = ["svg", "png", "jpg", "jpeg", "gif", "webp"]

    private static func isNumeric(_ text: String) -> Bool {
        var text = text.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix("%") { text.removeLast() }
        return Double(text.replacingOccurrences(of: ",", with: "")) != nil
    }

    /// `812 B`, `12.4 KB`, `3.1 MB` (powers of 1024).
    static func byteCount(_ bytes: Int) -> String {
        guard bytes >= 1024 else { return "\(bytes) B" }
        var value = Double(bytes) / 1024
        for unit in ["KB", "MB", "GB"] {
            if value < 1024 || unit == "GB" {
                return String(format: value < 10 ? "%.1f %@" : "%.0f %@", value, unit)
            }
            value /= 1024
        }
        return "\(bytes) B"
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    /// The files under `folder` (hidden ones and `index.html` excepted), sorted by path.
    static func listFiles(in folder: URL) -> [(path: String, size: Int)] {
        let base = folder.standardizedFileURL.path + "/"
        guard
            let walker = FileManager.default.enumerator(
                at: folder, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey], options: [.skipsHiddenFiles])
        else { return [] }
        var files: [(path: String, size: Int)] = []
        for case let file as URL in walker {
            guard let values = try? file.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey]),
                values.isRegularFile == true
            else { continue }
            let path = file.standardizedFileURL.path
            let relative = path.hasPrefix(base) ? String(path.dropFirst(base.count)) : file.lastPathComponent
            if relative != "index.html" { files.append((relative, values.fileSize ?? 0)) }
        }
        return files.sorted { $0.path.localizedStandardCompare($1.path) == .orderedAscending }
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references, safe in HTML text
    /// and in quoted attribute values.
    static func escapeHTML(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    private func escape(_ text: String) -> String { Self.escapeHTML(text) }
}
