import CZlib
import Foundation
import NervaTensor

/// A minimal PNG (https://www.w3.org/TR/png/) writer: 8-bit grey-scale or RGB, no interlacing.
///
/// ```swift
/// try PNG.write(ImageGrid.tiled(samples, columns: 8), to: folder.appendingPathComponent("samples.png"))
/// ```
public enum PNG {
    /// The eight bytes every PNG file starts with.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Encodes an 8-bit grey-scale image given row by row, `width * height` bytes.
    public static func encode(grayscale pixels: [UInt8], width: Int, height: Int) -> [UInt8] {
        encode(pixels, width: width, height: height, channels: 1)
    }

    /// Encodes an 8-bit RGB image given row by row, `3 * width * height` bytes (`r, g, b, r, …`).
    public static func encode(rgb pixels: [UInt8], width: Int, height: Int) -> [UInt8] {
        encode(pixels, width: width, height: height, channels: 3)
    }

    /// Encodes an image tensor: `[H, W]` or `[1, H, W]` grey-scale, `[3, H, W]` RGB, values in
    /// `[0, 1]` (clamped; NaN becomes 0) mapped to `0…255`.
    public static func encode(_ image: Tensor) -> [UInt8] {
        let (channels, height, width) = layout(of: image)
        var pixels = [UInt8](repeating: 0, count: channels * height * width)
        image.withUnsafeBufferPointer { values in
            let plane = height * width
            for c in 0..<channels {
                for p in 0..<plane {
                    let value = values[c * plane + p]
                    // `!(value > 0)` also catches NaN.
                    let clamped = !(value > 0) ? 0 : Swift.min(value, 1)
                    pixels[p * channels + c] = UInt8((clamped * 255).rounded())
                }
            }
        }
        return encode(pixels, width: width, height: height, channels: channels)
    }

    /// Writes an image tensor as a PNG file (atomically); see `encode(_:)` for the layout.
    ///
    /// - Throws: `DataError.unwritable` naming the file.
    public static func write(_ image: Tensor, to url: URL) throws {
        let bytes = encode(image)
        do { try Data(bytes).write(to: url, options: .atomic) } catch {
            throw DataError.unwritable(file: url.path, problem: DataError.reason(error))
        }
    }

    // MARK: - Format

    private static func layout(of image: Tensor) -> (channels: Int, height: Int, width: Int) {
        switch image.shape.count {
        case 2: return (1, image.shape[0], image.shape[1])
        case 3 where image.shape[0] == 1 || image.shape[0] == 3: return (image.shape[0], image.shape[1], image.shape[2])
        default: preconditionFailure("PNG: an image must be [H, W], [1, H, W] or [3, H, W], not \(image.shape).")
        }
    }

    private static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int) -> [UInt8] {
        precondition(
            width > 0 && height > 0 && width <= 0x7FFF_FFFF && height <= 0x7FFF_FFFF,
            "PNG: width \(width) and height \(height) must be positive.")
        precondition(
            pixels.count == width * height * channels,
            "PNG: \(pixels.count) bytes do not make a \(width)×\(height) image of \(channels) channel(s).")
        var header: [UInt8] = []
        append(UInt32(width), to: &header)
        append(UInt32(height), to: &header)
        header += [8, channels == 3 ? 2 : 0, 0, 0, 0] // bit depth, colour type, compression, filter, interlace

        // Each scanline starts with its filter type; 0 = None.
        let rowBytes = width * channels
        var scanlines = [UInt8](repeating: 0, count: height * (rowBytes + 1))
        for y in 0..<height {
            scanlines.replaceSubrange(
                y * (rowBytes + 1) + 1..<(y + 1) * (rowBytes + 1),
                with: pixels[y * rowBytes..<(y + 1) * rowBytes])
        }
        var png = signature
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", deflate(scanlines), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    /// zlib-wrapped deflate, as PNG's IDAT requires.
    static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let status = out.withUnsafeMutableBufferPointer { destination in
            bytes.withUnsafeBufferPointer { source in
                compress2(
                    destination.baseAddress, &length, source.baseAddress, uLong(source.count), Z_DEFAULT_COMPRESSION)
            }
        }
        // compressBound guarantees room, and the level is valid: failure would be a zlib bug.
        precondition(status == Z_OK, "PNG: zlib's compress2 failed with status \(status).")
        out.removeSubrange(Int(length)...)
        return out
    }

    /// Length, type, data, and the CRC-32 of type and data.
    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        append(UInt32(data.count), to: &png)
        var crc = crc32(0, typeBytes, uInt(typeBytes.count))
        // crc32 with a null buffer returns its initial value 0, not `crc`: skip empty data.
        if !data.isEmpty { crc = data.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) } }
        png += typeBytes
        png += data
        append(UInt32(crc), to: &png)
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
