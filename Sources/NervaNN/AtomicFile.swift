import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed file-system call, naming the path and the operating system's reason.
public enum FileError: Error, CustomStringConvertible, Equatable {
    /// The temporary file next to the destination could not be created.
    case cannotCreate(path: String, code: Int32)
    /// Writing the bytes, or closing the file after writing them, failed.
    case cannotWrite(path: String, code: Int32)
    /// Flushing a file or directory to stable storage failed.
    case cannotSync(path: String, code: Int32)
    /// Moving the finished temporary file over the destination failed.
    case cannotRename(from: String, to: String, code: Int32)

    /// The `errno` value the failing call reported.
    public var code: Int32 {
        switch self {
        case let .cannotCreate(_, code), let .cannotWrite(_, code), let .cannotSync(_, code),
            let .cannotRename(_, _, code):
            return code
        }
    }

    /// A sentence such as `cannot create /models/.a.tmp-1f: Permission denied (errno 13)`.
    public var description: String {
        let reason = "\(String(cString: strerror(code))) (errno \(code))"
        switch self {
        case let .cannotCreate(path, _): return "cannot create \(path): \(reason)"
        case let .cannotWrite(path, _): return "cannot write \(path): \(reason)"
        case let .cannotSync(path, _): return "cannot flush \(path) to disk: \(reason)"
        case let .cannotRename(from, to, _): return "cannot rename \(from) to \(to): \(reason)"
        }
    }
}

/// Crash-safe file replacement: readers see either the old file or the complete new one.
public enum AtomicFile {
    /// Writes `bytes` to `url` atomically.
    ///
    /// The bytes go to a uniquely named temporary file in the destination's directory, which is
    /// flushed with `fsync`, renamed over the destination (POSIX `rename`, atomic within a file
    /// system) and followed by an `fsync` of the directory so that the rename itself is durable.
    /// On failure before the rename the temporary file is removed and any previous file at `url`
    /// is left untouched. The new file gets mode `0644` as masked by the process's umask.
    ///
    /// - Throws: `FileError` naming the path and the `errno` text. A `.cannotSync` of the
    ///   directory is the only error thrown after the new content has already replaced the old.
    public static func write<Bytes: Collection>(_ bytes: Bytes, to url: URL) throws
    where Bytes.Element == UInt8 {
        let destination = url.path
        let directory = url.deletingLastPathComponent().path
        let (descriptor, temporary) = try createTemporary(in: directory, for: url.lastPathComponent)
        var isOpen = true
        do {
            let written: Void? = try bytes.withContiguousStorageIfAvailable {
                try writeAll(descriptor, UnsafeRawBufferPointer($0), path: temporary)
            }
            if written == nil {
                try Array(bytes).withUnsafeBytes { try writeAll(descriptor, $0, path: temporary) }
            }
            guard fsync(descriptor) == 0 else { throw FileError.cannotSync(path: temporary, code: errno) }
            isOpen = false
            guard close(descriptor) == 0 else { throw FileError.cannotWrite(path: temporary, code: errno) }
            guard rename(temporary, destination) == 0 else {
                throw FileError.cannotRename(from: temporary, to: destination, code: errno)
            }
        } catch {
            if isOpen { _ = close(descriptor) }
            _ = unlink(temporary)
            throw error
        }
        try syncDirectory(directory)
    }

    /// Removes the temporary files (`.<name>.tmp-<hex>`) that writes into `directory` left
    /// behind when the process was killed before renaming them; call it before resuming work
    /// in a folder no other process is writing to.
    ///
    /// - Returns: the removed files.
    @discardableResult
    public static func removeLeftovers(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter(isTemporaryName).compactMap { name in
            let url = directory.appendingPathComponent(name)
            return unlink(url.path) == 0 ? url : nil
        }
    }

    /// Whether `name` has the shape of `createTemporary`'s names: `.<name>.tmp-<hex digits>`.
    static func isTemporaryName(_ name: String) -> Bool {
        guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards),
            marker.lowerBound > name.index(after: name.startIndex)
        else { return false }
        let suffix = name[marker.upperBound...]
        return !suffix.isEmpty && suffix.allSatisfy(\.isHexDigit)
    }

    /// Opens a new, exclusively created file `.<name>.tmp-<random>` in `directory`.
    private static func createTemporary(in directory: String, for name: String) throws -> (Int32, String) {
        var attempt = 0
        while true {
            let suffix = String(UInt64.random(in: .min ... .max), radix: 16)
            let path = (directory.isEmpty ? "." : directory) + "/.\(name).tmp-\(suffix)"
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if descriptor >= 0 { return (descriptor, path) }
            let code = errno
            attempt += 1
            if code == EINTR || (code == EEXIST && attempt < 16) { continue }
            throw FileError.cannotCreate(path: path, code: code)
        }
    }

    /// Makes a completed rename in `directory` durable. File systems that cannot sync
    /// directories (`EINVAL`, `ENOTSUP`) are tolerated.
    private static func syncDirectory(_ directory: String) throws {
        let path = directory.isEmpty ? "." : directory
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError.cannotSync(path: path, code: errno) }
        defer { _ = close(descriptor) }
        if fsync(descriptor) != 0 {
            let code = errno
            guard code == EINVAL || code == ENOTSUP else { throw FileError.cannotSync(path: path, code: code) }
        }
    }
}

/// Writes every byte of `buffer`, retrying partial writes and interruptions.
private func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
    guard var next = buffer.baseAddress else { return }
    var remaining = buffer.count
    while remaining > 0 {
        let count = write(descriptor, next, Swift.min(remaining, 1 << 30))
        if count < 0 {
            if errno == EINTR { continue }
            throw FileError.cannotWrite(path: path, code: errno)
        }
        next += count
        remaining -= count
    }
}
