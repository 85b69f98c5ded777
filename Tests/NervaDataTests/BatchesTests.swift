import NervaData
import NervaTensor
import Testing

/// `count` one-pixel "images" whose pixel and label are both the example's index.
func indexedImages(_ count: Int) -> LabeledImages {
    LabeledImages(images: Tensor((0..<count).map(Float.init), shape: [count, 1, 1, 1]), labels: Array(0..<count))
}

@Suite struct BatchesTests {
    // MARK: - Batch indices

    @Test func everyIndexOncePerEpoch() {
        let batches = BatchIndices(exampleCount: 10, batchSize: 3, shuffle: true, generator: RandomGenerator(seed: 1))
        let all = Array(batches)
        #expect(batches.count == 4)
        #expect(all.map(\.count) == [3, 3, 3, 1])
        #expect(all.flatMap { $0 }.sorted() == Array(0..<10))
        #expect(all.flatMap { $0 } != Array(0..<10), "a shuffle of ten leaves them in order with probability 1/10!")
    }

    @Test func seededShuffleIsReproducibleAndChangesPerEpoch() {
        let order = { (seed: UInt64) in
            BatchIndices(exampleCount: 50, batchSize: 8, shuffle: true, generator: RandomGenerator(seed: seed)).order
        }
        #expect(order(7) == order(7))
        #expect(order(7) != order(8))
        let generator = RandomGenerator(seed: 7)
        let first = BatchIndices(exampleCount: 50, batchSize: 8, shuffle: true, generator: generator)
        let second = BatchIndices(exampleCount: 50, batchSize: 8, shuffle: true, generator: generator)
        #expect(first.order == order(7))
        #expect(first.order != second.order)
        #expect(Array(first).map(Array.init) == Array(first).map(Array.init), "iterating twice gives the same batches")
    }

    @Test func withoutShuffleKeepsTheOrder() {
        let batches = BatchIndices(exampleCount: 7, batchSize: 3, shuffle: false)
        #expect(Array(batches).map(Array.init) == [[0, 1, 2], [3, 4, 5], [6]])
    }

    @Test func aBatchSizeAboveTheExamplesIsOneBatch() {
        let batches = BatchIndices(exampleCount: 5, batchSize: Int.max, shuffle: false)
        #expect(Array(batches).map(Array.init) == [[0, 1, 2, 3, 4]])
        #expect(BatchIndices(exampleCount: 5, batchSize: Int.max, shuffle: false, dropLast: true).count == 0)
    }

    @Test func dropLastLeavesOutTheShortBatch() {
        let batches = BatchIndices(
            exampleCount: 10, batchSize: 3, shuffle: true, dropLast: true, generator: RandomGenerator(seed: 2))
        #expect(batches.count == 3)
        let all = Array(batches)
        #expect(all.allSatisfy { $0.count == 3 })
        #expect(Set(all.flatMap { $0 }).count == 9)
        #expect(BatchIndices(exampleCount: 9, batchSize: 3, shuffle: false, dropLast: true).count == 3)
        #expect(BatchIndices(exampleCount: 2, batchSize: 3, shuffle: false, dropLast: true).count == 0)
        #expect(Array(BatchIndices(exampleCount: 2, batchSize: 3, shuffle: false, dropLast: true)).isEmpty)
    }

    @Test func edgeCases() {
        #expect(BatchIndices(exampleCount: 0, batchSize: 4, shuffle: true).count == 0)
        #expect(Array(BatchIndices(exampleCount: 2, batchSize: 100, shuffle: false)).map(Array.init) == [[0, 1]])
        #expect(BatchIndices(exampleCount: 12, batchSize: 4, shuffle: false).count == 3)
    }

    // MARK: - Batches of labelled images

    @Test func batchesPairImagesWithTheirLabels() {
        let data = indexedImages(23)
        let batches = data.batches(size: 5, shuffle: true, generator: RandomGenerator(seed: 3))
        #expect(batches.count == 5)
        var seen: [Int] = []
        for (inputs, labels) in batches {
            #expect(inputs.shape == [labels.count, 1, 1, 1])
            #expect(inputs.scalars == labels.map(Float.init), "each image travels with its own label")
            seen += labels
        }
        #expect(seen.sorted() == Array(0..<23))
        #expect(batches.map(\.labels) == batches.map(\.labels), "the order is fixed when the batches are made")
        let dropped = data.batches(size: 5, shuffle: false, dropLast: true)
        #expect(dropped.map(\.labels.count) == [5, 5, 5, 5])
    }

    @Test func subsetAndPrefix() {
        let data = indexedImages(10)
        let picked = data.subset([4, 1, 1])
        #expect(picked.labels == [4, 1, 1])
        #expect(picked.images.scalars == [4, 1, 1])
        #expect(data.prefix(3).labels == [0, 1, 2])
        #expect(data.prefix(30).count == 10)
    }

    // MARK: - Train/validation split

    @Test func splitIsDisjointCompleteAndSeeded() {
        let data = indexedImages(100)
        let (train, validation) = data.split(validationFraction: 0.2, generator: RandomGenerator(seed: 4))
        #expect(train.count == 80 && validation.count == 20)
        #expect(Set(train.labels).isDisjoint(with: validation.labels))
        #expect((train.labels + validation.labels).sorted() == Array(0..<100))
        #expect(train.images.scalars == train.labels.map(Float.init))
        #expect(train.labels == train.labels.sorted(), "each part keeps the original order")
        let again = data.split(validationFraction: 0.2, generator: RandomGenerator(seed: 4))
        #expect(again.validation.labels == validation.labels)
        let other = data.split(validationFraction: 0.2, generator: RandomGenerator(seed: 5))
        #expect(other.validation.labels != validation.labels)
    }

    @Test func splitRoundsAndHandlesTheExtremes() {
        let data = indexedImages(10)
        #expect(data.split(validationFraction: 0.25, generator: RandomGenerator(seed: 1)).validation.count == 3)
        #expect(data.split(validationFraction: 0, generator: RandomGenerator(seed: 1)).train.count == 10)
        #expect(data.split(validationFraction: 1, generator: RandomGenerator(seed: 1)).validation.count == 10)
    }

    @Test func classCounts() {
        let data = LabeledImages(images: Tensor.zeros([5, 1, 2, 2]), labels: [0, 2, 2, 1, 2])
        #expect(data.classCounts() == [1, 1, 3])
        #expect(data.classCounts(classCount: 5) == [1, 1, 3, 0, 0])
    }

    // MARK: - 8-bit storage

    @Test func bytePixelsGatherAsTheirScaledFloats() {
        let bytes: [UInt8] = (0..<12).map { UInt8($0 * 20) }
        let data = LabeledImages(bytes: bytes, scale: 1 / 255, imageShape: [1, 2, 2], labels: [7, 8, 9])
        let floats = LabeledImages(
            images: Tensor(bytes.map { Float($0) * (1 / 255 as Float) }, shape: [3, 1, 2, 2]),
            labels: [7, 8, 9])
        #expect(data.imageShape == [1, 2, 2] && data.count == 3)
        #expect(data.images(at: [2, 0]).shape == [2, 1, 2, 2])
        #expect(data.images(at: [2, 0]).scalars == floats.images(at: [2, 0]).scalars)
        #expect(data.images.scalars == floats.images.scalars)
        let picked = data.subset([1, 1])
        #expect(picked.labels == [8, 8])
        #expect(picked.images.scalars == Array(floats.images.scalars[4..<8] + floats.images.scalars[4..<8]))
        let batch = data.batches(size: 2, shuffle: false).map { $0 }
        #expect(batch[0].inputs.scalars == floats.images(at: [0, 1]).scalars && batch[1].labels == [9])
    }
}
