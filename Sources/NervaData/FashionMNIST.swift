import Dispatch
import Foundation
import NervaTensor
import Synchronization

/// Zalando's Fashion-MNIST (https://github.com/zalandoresearch/fashion-mnist): 28×28 grey-scale
/// pictures of clothing in ten classes, 60,000 for training and 10,000 for testing.
///
/// Reads the original IDX files, as installed by Debian's `dataset-fashion-mnist` package in
/// `/usr/share/datasets/fashion-mnist` (`train-images-idx3-ubyte.gz`, …), gzip'd or not.
///
/// ```swift
/// let data = try FashionMNIST()             // or FashionMNIST(directory: url, limit: 1000)
/// data.train.images.shape                   // [60000, 1, 28, 28], values in [0, 1]
/// FashionMNIST.classNames[data.train.labels[0]]   // "Ankle boot"
/// ```
public struct FashionMNIST: Sendable {
    /// Where Debian's `dataset-fashion-mnist` package installs the files.
    public static let defaultDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
    /// The name of each class, indexed by label.
    public static let classNames = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"
    ]
    /// The height and width of every image.
    public static let imageSize = 28
    /// What to do when the files are missing.
    public static let installHint = "install it with `sudo apt-get install dataset-fashion-mnist` or pass --data DIR"

    /// The training set: 60,000 images `[N, 1, 28, 28]` in `[0, 1]` and their labels.
    public let train: LabeledImages
    /// The test set: 10,000 images `[N, 1, 28, 28]` in `[0, 1]` and their labels.
    public let test: LabeledImages

    /// One of the two published parts.
    public enum Split: String, Sendable, CaseIterable {
        case train, test
        /// The file name prefix: `train` or `t10k`.
        var filePrefix: String { self == .train ? "train" : "t10k" }
    }

    /// Loads both parts (in parallel).
    ///
    /// - Parameters:
    ///   - directory: the folder holding the four IDX files, gzip'd or not.
    ///   - limit: keep only the first `limit` examples of each part (faster for smoke tests).
    /// - Throws: `DataError.datasetNotFound` with instructions when the folder or a file is
    ///   missing; other `DataError`s for malformed files.
    public init(directory: URL = defaultDirectory, limit: Int? = nil) throws {
        let results = Mutex<[Split: Result<LabeledImages, any Error>]>([:])
        let splits = Split.allCases
        DispatchQueue.concurrentPerform(iterations: splits.count) { i in
            let result = Result { try FashionMNIST.load(splits[i], directory: directory, limit: limit) }
            results.withLock { $0[splits[i]] = result }
        }
        let loaded = results.withLock { $0 }
        train = try loaded[.train]!.get()
        test = try loaded[.test]!.get()
    }

    /// Loads one part.
    ///
    /// - Throws: as `init(directory:limit:)`.
    public static func load(_ split: Split, directory: URL = defaultDirectory, limit: Int? = nil) throws
        -> LabeledImages
    {
        let imagesURL = try file("\(split.filePrefix)-images-idx3-ubyte", in: directory)
        let labelsURL = try file("\(split.filePrefix)-labels-idx1-ubyte", in: directory)
        let images = try IDXFile.read(from: imagesURL, limit: limit)
        let labelFile = try IDXFile.read(from: labelsURL, limit: limit)
        let size = imageSize
        guard images.dataType == .uint8, images.shape.count == 3, images.shape[1] == size, images.shape[2] == size
        else {
            throw DataError.unexpectedShape(
                file: images.source, shape: images.shape, expected: "u8 [N, \(size), \(size)]")
        }
        guard labelFile.dataType == .uint8, labelFile.shape.count == 1 else {
            throw DataError.unexpectedShape(file: labelFile.source, shape: labelFile.shape, expected: "u8 [N]")
        }
        guard images.shape[0] == labelFile.shape[0] else {
            throw DataError.countMismatch(
                images: images.source, imageCount: images.shape[0],
                labels: labelFile.source, labelCount: labelFile.shape[0])
        }
        let labels = labelFile.integers()
        if let bad = labels.firstIndex(where: { $0 >= classNames.count }) {
            throw DataError.invalidLabel(
                file: labelFile.source, index: bad, label: labels[bad], classCount: classNames.count)
        }
        return LabeledImages(bytes: images.bytes, scale: 1 / 255, imageShape: [1, size, size], labels: labels)
    }

    /// `name.gz` or `name` in `directory`.
    private static func file(_ name: String, in directory: URL) throws -> URL {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError.datasetNotFound(
                name: "Fashion-MNIST", directory: directory.path, missingFile: nil, hint: installHint)
        }
        for candidate in [name + ".gz", name] {
            let url = directory.appendingPathComponent(candidate)
            if manager.fileExists(atPath: url.path) { return url }
        }
        throw DataError.datasetNotFound(
            name: "Fashion-MNIST", directory: directory.path,
            missingFile: name + ".gz", hint: installHint)
    }
}
