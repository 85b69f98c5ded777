import NervaTensor

/// Images with one class label each: a classification data set held in memory.
///
/// ```swift
/// let data = try FashionMNIST()
/// let (train, validation) = data.train.split(validationFraction: 0.1, generator: RandomGenerator(seed: 1))
/// for (inputs, labels) in train.batches(size: 64, shuffle: true, generator: rng) { … }
/// ```
public struct LabeledImages: Sendable {
    /// The images, `[count, channels, height, width]`, values in `[0, 1]`.
    public let images: Tensor
    /// The class of each image.
    public let labels: [Int]

    /// Pairs images with labels.
    ///
    /// - Precondition: `images.shape[0] == labels.count`.
    public init(images: Tensor, labels: [Int]) {
        precondition(images.rank >= 1 && images.shape[0] == labels.count,
                     "LabeledImages: \(labels.count) labels for images of shape \(images.shape).")
        self.images = images
        self.labels = labels
    }

    /// The number of examples.
    public var count: Int { labels.count }

    /// The examples at `indices`, in that order (repeats allowed).
    public func subset(_ indices: [Int]) -> LabeledImages {
        LabeledImages(images: images.gathering(rows: indices), labels: indices.map { labels[$0] })
    }

    /// The first `n` examples (all of them when there are fewer).
    public func prefix(_ n: Int) -> LabeledImages { subset(Array(0..<Swift.min(Swift.max(n, 0), count))) }

    /// A random split into two disjoint parts that together hold every example once; each part
    /// keeps the original order.
    ///
    /// - Parameters:
    ///   - validationFraction: the share of examples in `validation`, in `[0, 1]`, rounded to
    ///     the nearest count.
    ///   - generator: chooses which examples go where.
    public func split(validationFraction: Double, generator: RandomGenerator) -> (train: LabeledImages, validation: LabeledImages) {
        precondition(validationFraction >= 0 && validationFraction <= 1,
                     "split: the validation fraction \(validationFraction) is outside [0, 1].")
        let validationCount = Int((Double(count) * validationFraction).rounded())
        let order = generator.permutation(count)
        let validation = order[..<validationCount].sorted(), train = order[validationCount...].sorted()
        return (subset(train), subset(validation))
    }

    /// The examples in mini-batches for one epoch.
    ///
    /// - Parameters:
    ///   - size: examples per batch; the last batch may be smaller unless `dropLast`.
    ///   - shuffle: draw a new random order from `generator` (once, here); otherwise keep the order.
    ///   - dropLast: leave out a final batch smaller than `size`.
    ///   - generator: the source of the shuffle; call `batches` again for the next epoch's order.
    public func batches(size: Int, shuffle: Bool, dropLast: Bool = false,
                        generator: RandomGenerator = .default) -> Batches {
        Batches(self, indices: BatchIndices(exampleCount: count, batchSize: size, shuffle: shuffle,
                                            dropLast: dropLast, generator: generator))
    }

    /// How many examples each class has, indexed by label (`classCount` entries at least).
    public func classCounts(classCount: Int = 0) -> [Int] {
        var counts = [Int](repeating: 0, count: Swift.max(classCount, (labels.max() ?? -1) + 1))
        for label in labels where label >= 0 { counts[label] += 1 }
        return counts
    }
}
