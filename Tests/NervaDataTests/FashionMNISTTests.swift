import Foundation
import NervaData
import NervaTensor
import Testing

/// Whether Debian's dataset-fashion-mnist package is installed.
let hasFashionMNIST = FileManager.default.fileExists(atPath: FashionMNIST.defaultDirectory.path)

/// The full data set, loaded once for all tests that need it.
let fullFashionMNIST = Result { try FashionMNIST() }

@Suite struct FashionMNISTTests {
    // MARK: - The installed data set

    @Test(.enabled(if: hasFashionMNIST, "needs `sudo apt-get install dataset-fashion-mnist`"))
    func loadsBothPartsWithTheirShapes() throws {
        let data = try fullFashionMNIST.get()
        #expect(data.train.images.shape == [60000, 1, 28, 28])
        #expect(data.test.images.shape == [10000, 1, 28, 28])
        #expect(data.train.count == 60000 && data.test.count == 10000)
        // The published sets are balanced.
        #expect(data.train.classCounts(classCount: 10) == Array(repeating: 6000, count: 10))
        #expect(data.test.classCounts(classCount: 10) == Array(repeating: 1000, count: 10))
    }

    @Test(.enabled(if: hasFashionMNIST, "needs `sudo apt-get install dataset-fashion-mnist`"))
    func knownValuesOfTheRealFiles() throws {
        let data = try fullFashionMNIST.get()
        // Checked with Python's gzip module on the Debian files.
        #expect(Array(data.train.labels.prefix(10)) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        #expect(Array(data.test.labels.prefix(10)) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
        #expect(FashionMNIST.classNames[data.train.labels[0]] == "Ankle boot")
        // The first training image's bytes sum to 76247.
        let first = data.train.images.withUnsafeBufferPointer { Array($0.prefix(784)) }
        #expect(abs(first.reduce(0, +) - 76247 / 255) < 1e-2)
    }

    @Test(.enabled(if: hasFashionMNIST, "needs `sudo apt-get install dataset-fashion-mnist`"))
    func pixelsAreScaledToTheUnitInterval() throws {
        let data = try fullFashionMNIST.get()
        for part in [data.train, data.test] {
            #expect(part.images.min().scalar == 0 && part.images.max().scalar == 1)
            let onGrid = part.images.withUnsafeBufferPointer { pixels in
                pixels.prefix(50_000).allSatisfy { abs(($0 * 255).rounded() - $0 * 255) < 1e-3 }
            }
            #expect(onGrid, "pixels are bytes / 255")
            #expect(part.labels.allSatisfy { (0..<10).contains($0) })
        }
    }

    @Test(.enabled(if: hasFashionMNIST, "needs `sudo apt-get install dataset-fashion-mnist`"))
    func limitReadsTheLeadingExamples() throws {
        let small = try FashionMNIST(limit: 100)
        #expect(small.train.images.shape == [100, 1, 28, 28])
        #expect(small.test.images.shape == [100, 1, 28, 28])
        let full = try fullFashionMNIST.get()
        #expect(small.train.labels == Array(full.train.labels.prefix(100)))
        #expect(small.test.images.scalars == full.test.prefix(100).images.scalars)
    }

    // MARK: - Missing or malformed files

    @Test func missingDirectorySaysWhatToDo() throws {
        let directory = URL(fileURLWithPath: "/nonexistent-nerva-data/fashion")
        let error = #expect(throws: DataError.self) { try FashionMNIST(directory: directory) }
        #expect(
            error?.description == """
                Fashion-MNIST not found in /nonexistent-nerva-data/fashion: install it with \
                `sudo apt-get install dataset-fashion-mnist` or pass --data DIR
                """)
    }

    @Test func missingFileIsNamed() throws {
        let directory = try DataTestDirectory()
        defer { directory.remove() }
        try writeSplit("train", in: directory, images: 2, labels: [1, 2])
        let error = #expect(throws: DataError.self) { try FashionMNIST(directory: directory.url) }
        #expect(
            error?.description == """
                Fashion-MNIST not found in \(directory.url.path) (no t10k-images-idx3-ubyte.gz): install it with \
                `sudo apt-get install dataset-fashion-mnist` or pass --data DIR
                """)
    }

    @Test func readsUncompressedFiles() throws {
        let directory = try DataTestDirectory()
        defer { directory.remove() }
        try writeSplit("train", in: directory, images: 3, labels: [0, 9, 4])
        try writeSplit("t10k", in: directory, images: 2, labels: [7, 7])
        let data = try FashionMNIST(directory: directory.url)
        #expect(data.train.images.shape == [3, 1, 28, 28])
        #expect(data.train.labels == [0, 9, 4])
        #expect(data.test.labels == [7, 7])
        // Image n is filled with byte 100·n.
        #expect(abs(data.train.images.scalars[2 * 784 + 5] - Float(200) / 255) < 1e-6)
    }

    @Test func rejectsInconsistentFiles() throws {
        let directory = try DataTestDirectory()
        defer { directory.remove() }
        try writeSplit("t10k", in: directory, images: 2, labels: [7, 7])

        try writeSplit("train", in: directory, images: 2, labels: [1, 2, 3])
        let images = directory.file("train-images-idx3-ubyte").path,
            labels = directory.file("train-labels-idx1-ubyte").path
        #expect(throws: DataError.countMismatch(images: images, imageCount: 2, labels: labels, labelCount: 3)) {
            try FashionMNIST(directory: directory.url)
        }
        try writeSplit("train", in: directory, images: 2, labels: [1, 10])
        #expect(throws: DataError.invalidLabel(file: labels, index: 1, label: 10, classCount: 10)) {
            try FashionMNIST(directory: directory.url)
        }
        try directory.write(
            idxBytes(type: 0x08, shape: [1, 27, 27], payload: Array(repeating: 0, count: 729)),
            to: "train-images-idx3-ubyte")
        #expect(throws: DataError.unexpectedShape(file: images, shape: [1, 27, 27], expected: "u8 [N, 28, 28]")) {
            try FashionMNIST(directory: directory.url)
        }
    }

    /// Writes plain `<prefix>-images-idx3-ubyte` (image n filled with byte 100·n) and labels.
    private func writeSplit(_ prefix: String, in directory: DataTestDirectory, images: Int, labels: [Int]) throws {
        let pixels = (0..<images).flatMap { Array(repeating: UInt8(100 * $0 % 256), count: 784) }
        try directory.write(
            idxBytes(type: 0x08, shape: [images, 28, 28], payload: pixels), to: "\(prefix)-images-idx3-ubyte")
        try directory.write(
            idxBytes(type: 0x08, shape: [labels.count], payload: labels.map { UInt8($0) }),
            to: "\(prefix)-labels-idx1-ubyte")
    }
}
