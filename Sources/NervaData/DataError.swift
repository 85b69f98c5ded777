// NervaData: datasets and batching (IDX, Fashion-MNIST), pictures (PNG, image grids, SVG charts),
// and what a run leaves behind (progress, metrics, the HTML report).

import Foundation

/// A data file that cannot be read, is malformed, or cannot be written; every case names the file
/// (or folder) and says what is wrong with it.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read.
    case unreadable(file: String, problem: String)
    /// The file could not be written.
    case unwritable(file: String, problem: String)
    /// A gzip or zlib stream that zlib rejects, or that ends early.
    case invalidCompression(file: String, problem: String)
    /// An IDX file that does not start with two zero bytes.
    case invalidMagic(file: String, bytes: [UInt8])
    /// An IDX type code other than 0x08, 0x09, 0x0B, 0x0C, 0x0D and 0x0E.
    case unknownDataType(file: String, code: UInt8)
    /// An IDX file that declares no dimensions.
    case zeroRank(file: String)
    /// An IDX file too short to hold its magic number and the dimensions it declares.
    case truncatedHeader(file: String, byteCount: Int, headerSize: Int)
    /// An IDX payload whose size is not what the dimensions need; `expectedBytes` is `nil` when
    /// the product of the dimensions overflows.
    case payloadSizeMismatch(file: String, shape: [Int], dataType: IDXDataType, expectedBytes: Int?, actualBytes: Int)
    /// A data set file whose shape is not the one the data set has.
    case unexpectedShape(file: String, shape: [Int], expected: String)
    /// A label outside the data set's classes.
    case invalidLabel(file: String, index: Int, label: Int, classCount: Int)
    /// An image file and a label file that disagree on the number of examples.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// A data set whose folder, or one of whose files, is missing; `hint` says how to get it.
    case datasetNotFound(name: String, directory: String, missingFile: String?, hint: String)

    /// A sentence naming the file and the problem.
    public var description: String {
        switch self {
        case let .unreadable(file, problem): return "\(file): cannot read the file: \(problem)"
        case let .unwritable(file, problem): return "\(file): cannot write the file: \(problem)"
        case let .invalidCompression(file, problem): return "\(file): cannot decompress: \(problem)"
        case let .invalidMagic(file, bytes):
            let hex = bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
            return "\(file): not an IDX file: it starts with \(hex), not 00 00 <type> <rank>"
        case let .unknownDataType(file, code):
            return "\(file): unknown IDX data type 0x\(String(format: "%02X", code)) "
                + "(expected 08 u8, 09 i8, 0B i16, 0C i32, 0D f32 or 0E f64)"
        case let .zeroRank(file): return "\(file): the IDX header declares zero dimensions"
        case let .truncatedHeader(file, count, size):
            return "\(file): truncated: the IDX header needs \(size) bytes but the file has \(count)"
        case let .payloadSizeMismatch(file, shape, type, expected, actual):
            guard let expected else {
                return "\(file): the IDX dimensions \(shape) overflow the size of a \(type) payload"
            }
            let verdict =
                actual < expected
                ? "truncated: \(expected - actual) bytes are missing"
                : "\(actual - expected) bytes more than the dimensions describe"
            return "\(file): the IDX dimensions \(shape) of \(type) need \(expected) payload bytes "
                + "but the file has \(actual) (\(verdict))"
        case let .unexpectedShape(file, shape, expected):
            return "\(file): shape \(shape), expected \(expected)"
        case let .invalidLabel(file, index, label, classCount):
            return "\(file): label \(label) at index \(index) is outside 0..<\(classCount)"
        case let .countMismatch(images, imageCount, labels, labelCount):
            return "\(images) holds \(imageCount) images but \(labels) holds \(labelCount) labels"
        case let .datasetNotFound(name, directory, missingFile, hint):
            let missing = missingFile.map { " (no \($0))" } ?? ""
            return "\(name) not found in \(directory)\(missing): \(hint)"
        }
    }
}

extension DataError {
    /// A short reason for a Foundation file error: "no such file", "permission denied", or the
    /// system's message.
    static func reason(_ error: Error) -> String {
        if let cocoa = error as? CocoaError {
            switch cocoa.code {
            case .fileReadNoSuchFile, .fileNoSuchFile: return "no such file"
            case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
            default: break
            }
        }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }
}
