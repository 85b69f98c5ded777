import Foundation

/// A temporary folder holding a tiny Fashion-MNIST in the published IDX format (uncompressed):
/// noisy images in which class `k` lights rows `3k…3k+2`, so a classifier learns it in seconds.
public struct TinyFashionMNIST: Sendable {
    /// The folder, to pass where Fashion-MNIST's folder goes.
    public let url: URL

    /// Writes the four IDX files into a new temporary folder.
    /// - Parameters:
    ///   - trainCount: The training images.
    ///   - testCount: The test images.
    ///   - seed: The seed of the labels and the noise.
    public init(trainCount: Int = 240, testCount: Int = 60, seed: UInt64 = 1) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("nerva-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var state = seed
        func next() -> UInt64 { // SplitMix64: test data independent of Nerva's generator
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        for (prefix, count) in [("train", trainCount), ("t10k", testCount)] {
            let labels = (0..<count).map { _ in UInt8(next() % 10) }
            let pixels = labels.flatMap { label in
                (0..<784).map { i in i / 28 / 3 == Int(label) ? UInt8(255) : UInt8(next() % 60) }
            }
            try Data(Self.idx(shape: [count, 28, 28], payload: pixels))
                .write(to: url.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
            try Data(Self.idx(shape: [count], payload: labels))
                .write(to: url.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
        }
    }

    /// Deletes the folder.
    public func remove() { try? FileManager.default.removeItem(at: url) }

    /// An IDX file of unsigned bytes.
    private static func idx(shape: [Int], payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
        for dimension in shape { bytes += withUnsafeBytes(of: UInt32(dimension).bigEndian, Array.init) }
        return bytes + payload
    }
}
