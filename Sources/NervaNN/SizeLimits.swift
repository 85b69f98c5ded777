import Foundation

/// Bounds on sizes read from a file or a setting before anything is allocated from them.
public enum SizeLimits {
    /// The most values of `bytesPerValue` bytes each that may be allocated for one model: half
    /// of the machine's physical memory.
    public static func memoryBudget(bytesPerValue: Int = 4) -> Int {
        let half = ProcessInfo.processInfo.physicalMemory / 2
        return Int(min(half / UInt64(max(1, bytesPerValue)), UInt64(Int.max)))
    }

    /// Throws unless every size is positive and each product of neighbouring sizes (the weights
    /// of a layer between them) fits in `parameterBudget` values, so sizes read from metadata
    /// cannot ask for more memory than the file that describes them holds.
    ///
    /// - Parameters:
    ///   - sizes: layer widths as read (input and output sizes may be included).
    ///   - field: the metadata key, for the message.
    ///   - parameterBudget: the most values the described network may hold (e.g. the file's own
    ///     tensor sizes).
    public static func checkLayers(_ sizes: [Int], field: String, parameterBudget: Int) throws {
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else {
            throw ConfigurationError(
                field: field, value: sizes.map(String.init).joined(separator: ","),
                allowed: "a non-empty list of positive sizes")
        }
        for (a, b) in zip(sizes, sizes.dropFirst()) + sizes.map({ ($0, 1) }) {
            let (product, overflow) = a.multipliedReportingOverflow(by: b)
            if overflow || product > parameterBudget {
                throw ConfigurationError(
                    field: field, value: sizes.map(String.init).joined(separator: ","),
                    allowed: "sizes whose layers fit in the \(parameterBudget) values the file holds")
            }
        }
    }
}
