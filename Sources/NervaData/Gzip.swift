import CZlib
import Foundation

/// Decompression of gzip (RFC 1952) and zlib (RFC 1950) streams through zlib.
///
/// ```swift
/// let raw = try Gzip.decompress(Data(contentsOf: url), source: url.path)
/// ```
public enum Gzip {
    /// Whether `bytes` start with the gzip magic number `1f 8b`.
    public static func isCompressed(_ bytes: Data) -> Bool {
        bytes.count >= 2 && bytes[bytes.startIndex] == 0x1F && bytes[bytes.startIndex + 1] == 0x8B
    }

    /// Inflates a gzip or zlib stream (detected from its header); concatenated gzip members are
    /// joined, as `gunzip` does.
    ///
    /// - Parameters:
    ///   - compressed: the stream.
    ///   - source: the file name used in errors.
    ///   - limit: stop once this many bytes are out; the rest of the stream is then neither
    ///     inflated nor checked. `nil` inflates everything.
    /// - Throws: `DataError.invalidCompression` for a corrupt, truncated or trailing-garbage stream.
    public static func decompress(_ compressed: Data, source: String = "<memory>", limit: Int? = nil) throws -> Data {
        try compressed.withUnsafeBytes { input in
            try decompress(input, source: source, limit: limit)
        }
    }

    static func decompress(_ input: UnsafeRawBufferPointer, source: String, limit: Int?) throws -> Data {
        // Gzip records the uncompressed size modulo 2³² in its last four bytes: a good first guess.
        var capacity = Swift.max(input.count * 4, 1 << 16)
        if input.count >= 18 && input[0] == 0x1F && input[1] == 0x8B {
            let recorded = (0..<4).reduce(0) { $0 | Int(input[input.count - 4 + $1]) << (8 * $1) }
            capacity = recorded + 64 // slack, so that the trailer is checked without growing
        }
        if let limit { capacity = Swift.min(capacity, Swift.max(limit, 1)) }
        var output = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        var produced = 0
        var succeeded = false
        defer { if !succeeded { output.deallocate() } }

        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.invalidCompression(file: source, problem: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        guard let inputBase = input.baseAddress, input.count > 0 else {
            throw DataError.invalidCompression(file: source, problem: "the stream is empty")
        }
        var consumed = 0

        while true {
            if let limit, produced >= limit { break }
            if produced == capacity {
                // Grow geometrically; a fresh buffer (not realloc) keeps the unsafe code simple.
                let grown = capacity * 2
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
                bigger.copyMemory(from: output, byteCount: produced)
                output.deallocate()
                output = bigger
                capacity = grown
            }
            let inputChunk = Swift.min(input.count - consumed, Int(UInt32.max))
            let outputChunk = Swift.min(capacity - produced, limit.map { $0 - produced } ?? Int.max, Int(UInt32.max))
            stream.next_in = UnsafeMutablePointer(
                mutating: inputBase.advanced(by: consumed)
                    .assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(inputChunk)
            stream.next_out = output.advanced(by: produced).assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(outputChunk)
            let status = inflate(&stream, Z_NO_FLUSH)
            consumed += inputChunk - Int(stream.avail_in)
            produced += outputChunk - Int(stream.avail_out)

            switch status {
            case Z_STREAM_END:
                let rest = input.count - consumed
                if rest == 0 { break }
                if rest >= 2 && input[consumed] == 0x1F && input[consumed + 1] == 0x8B {
                    inflateReset(&stream) // another gzip member follows
                    continue
                }
                throw DataError.invalidCompression(
                    file: source, problem: "\(rest) bytes of trailing data after the compressed stream")
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.avail_out == 0:
                continue // the output buffer is full: grow it and go on
            case Z_BUF_ERROR:
                throw DataError.invalidCompression(
                    file: source, problem: "the stream ends early (truncated after \(consumed) of \(input.count) bytes)"
                )
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw DataError.invalidCompression(file: source, problem: message)
            }
            break
        }
        succeeded = true
        let base = output
        return Data(bytesNoCopy: base, count: produced, deallocator: .custom { pointer, _ in pointer.deallocate() })
    }
}
