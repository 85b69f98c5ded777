import NervaTensor

/// Images with one class label each: a classification data set held in memory.
///
/// ```swift
/// let data = try FashionMNIST()
/// let (train, validation) = data.train.split(validationFraction: 0.1, generator: RandomGenerator(seed: 1))
/// for (inputs, labels) in train.batches(size: 64, shuffle: true, generator: rng) { … }
/// ```
public struct LabeledImages: Sendable {
    /// How the pixels are held: 8-bit values (a quarter of the memory; Fashion-MNIST as read,
    /// 47 MB instead of 188 MB for its 60,000 training images) or floats.
    enum Pixels: Sendable {
        /// Pixel `i` is `Float(bytes[i]) · scale`.
        case bytes([UInt8], scale: Float)
        case floats(Tensor)
    }

    let pixels: Pixels
    /// The shape of one image, `[channels, height, width]`.
    public let imageShape: [Int]
    /// The class of each image.
    public let labels: [Int]

    /// Pairs images with labels.
    ///
    /// - Precondition: `images.shape[0] == labels.count`.
    public init(images: Tensor, labels: [Int]) {
        precondition(
            images.rank >= 1 && images.shape[0] == labels.count,
            "LabeledImages: \(labels.count) labels for images of shape \(images.shape).")
        pixels = .floats(images)
        imageShape = Array(images.shape.dropFirst())
        self.labels = labels
    }

    /// Pairs 8-bit images with labels: pixel `i` of the data set is `Float(bytes[i]) · scale`
    /// (`scale` 1/255 maps bytes to `[0, 1]`), converted only when a batch is gathered.
    ///
    /// - Precondition: `bytes.count == labels.count · imageShape.reduce(1, *)`.
    public init(bytes: [UInt8], scale: Float, imageShape: [Int], labels: [Int]) {
        precondition(
            bytes.count == labels.count * imageShape.reduce(1, *),
            "LabeledImages: \(bytes.count) bytes for \(labels.count) images of shape \(imageShape).")
        pixels = .bytes(bytes, scale: scale)
        self.imageShape = imageShape
        self.labels = labels
    }

    /// All images as floats, `[count, channels, height, width]` (8-bit pixels are converted on
    /// each call: gather batches with `images(at:)` instead).
    public var images: Tensor { images(at: Array(0..<count)) }

    /// The images at `rows`, in that order (repeats allowed): `[rows.count, channels, height, width]`.
    public func images(at rows: [Int]) -> Tensor {
        switch pixels {
        case .floats(let images):
            return images.gathering(rows: rows)
        case .bytes(let bytes, let scale):
            let size = imageShape.reduce(1, *)
            let out = Tensor.zeros([rows.count] + imageShape)
            out.withUnsafeMutableBufferPointer { destination in
                bytes.withUnsafeBufferPointer { source in
                    for (position, row) in rows.enumerated() {
                        precondition(
                            row >= 0 && row < count, "LabeledImages.images(at:): row \(row) is outside 0..<\(count).")
                        let from = source.baseAddress! + row * size, to = destination.baseAddress! + position * size
                        for i in 0..<size { to[i] = Float(from[i]) * scale }
                    }
                }
            }
            return out
        }
    }

    /// The number of examples.
    public var count: Int { labels.count }

    /// The examples at `indices`, in that order (repeats allowed).
    public func subset(_ indices: [Int]) -> LabeledImages {
        switch pixels {
        case .floats(let images):
            return LabeledImages(images: images.gathering(rows: indices), labels: indices.map { labels[$0] })
        case .bytes(let bytes, let scale):
            let size = imageShape.reduce(1, *)
            var kept = [UInt8]()
            kept.reserveCapacity(indices.count * size)
            for row in indices { kept.append(contentsOf: bytes[(row * size)..<((row + 1) * size)]) }
            return LabeledImages(bytes: kept, scale: scale, imageShape: imageShape, labels: indices.map { labels[$0] })
        }
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
    public func split(validationFraction: Double, generator: RandomGenerator) -> (
        train: LabeledImages, validation: LabeledImages
    ) {
        precondition(
            validationFraction >= 0 && validationFraction <= 1,
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
    public func batches(
        size: Int, shuffle: Bool, dropLast: Bool = false,
        generator: RandomGenerator = .default
    ) -> Batches {
        Batches(
            self,
            indices: BatchIndices(
                exampleCount: count, batchSize: size, shuffle: shuffle,
                dropLast: dropLast, generator: generator))
    }

    /// How many examples each class has, indexed by label (`classCount` entries at least).
    public func classCounts(classCount: Int = 0) -> [Int] {
        var counts = [Int](repeating: 0, count: Swift.max(classCount, (labels.max() ?? -1) + 1))
        for label in labels where label >= 0 { counts[label] += 1 }
        return counts
    }
}
