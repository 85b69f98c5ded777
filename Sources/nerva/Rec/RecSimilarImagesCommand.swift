import ArgumentParser
import Foundation
import NervaData
import NervaNN
import NervaRec
import NervaTensor
import NervaVision

extension NearestNeighborIndex.Metric: ExpressibleByArgument {}

/// `nerva rec similar-images`: content-based "similar garments". Every Fashion-MNIST picture
/// becomes the penultimate-layer vector of a classifier trained by `nerva classify`; the
/// garments nearest to a test picture are found by exact k-NN and drawn beside it.
struct RecSimilarImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar-images",
        abstract: "Find the garments most similar to Fashion-MNIST test pictures (learned embeddings, exact k-NN).",
        discussion: """
            Embeds the pictures with the classifier's penultimate layer (LeNet: 84 values), finds each query's nearest \
            gallery pictures by one matrix product per block of queries, writes a PNG grid (each row: the query, then its \
            neighbours) and measures how often neighbours share the query's class, against raw pixels.
            """)

    @Option(help: "A classifier saved by 'nerva classify' (classifier-cnn.safetensors, -cnn-wide or -mlp).")
    var classifier: String

    @Option(help: "The Fashion-MNIST folder (default \(FashionMNIST.defaultDirectory.path)).")
    var data: String?

    @Option(help: "Test-set pictures to query, comma-separated (default: the first test picture of each class).")
    var query: String?

    @Option(parsing: .unconditional, help: "Neighbours per query.")
    var count = 8

    @Option(help: "Where neighbours come from: train (60,000 pictures) or test (10,000, the query itself left out).")
    var gallery: GallerySplit = .train

    @Option(help: "cosine, dot or euclidean.")
    var metric: NearestNeighborIndex.Metric = .cosine

    @Option(parsing: .unconditional, help: "Test queries for the class-agreement measure (0: skip it).")
    var evaluate = 1000

    @Option(parsing: .unconditional, help: "Use only the first N pictures of each part (quick trials).")
    var limit: Int?

    @Option(help: "Output folder (default ./nerva-out/rec-similar-images-<timestamp>).")
    var out: String?

    enum GallerySplit: String, ExpressibleByArgument, CaseIterable { case train, test }

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be at least 1, got \(count).") }
        if evaluate < 0 { throw ValidationError("--evaluate must not be negative, got \(evaluate).") }
        if let limit, limit < 2 { throw ValidationError("--limit must be at least 2, got \(limit).") }
        if let query, parsedQueries(query) == nil {
            throw ValidationError("--query must be test picture indices (0, 1, …), comma-separated, got '\(query)'.")
        }
    }

    func parsedQueries(_ text: String) -> [Int]? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        return parts.map { $0! }
    }

    func run() throws {
        let model = try Self.loadClassifier(URL(fileURLWithPath: classifier))
        let dataset = try FashionMNIST(
            directory: data.map { URL(fileURLWithPath: $0) } ?? FashionMNIST.defaultDirectory, limit: limit)
        let test = dataset.test, pool = gallery == .train ? dataset.train : dataset.test
        let queries =
            try query.map { text -> [Int] in
                let indices = parsedQueries(text)!
                if let bad = indices.first(where: { $0 >= test.count }) {
                    throw ValidationError("--query \(bad) is out of range: the test set has \(test.count) pictures.")
                }
                return indices
            } ?? (0..<FashionMNIST.classNames.count).compactMap { label in test.labels.firstIndex(of: label) }
        let folder = try RunFolder(
            command: "rec-similar-images", out: out,
            settings: [
                ("classifier", classifier), ("gallery", gallery.rawValue), ("metric", metric.rawValue),
                ("count", "\(count)"), ("queries", queries.map(String.init).joined(separator: ","))
            ])
        var clock = Date()
        let galleryVectors = ImageEmbeddings.features(of: pool.images, classifier: model)
        let testVectors =
            gallery == .test ? galleryVectors : ImageEmbeddings.features(of: test.images, classifier: model)
        let embedSeconds = Date().timeIntervalSince(clock)
        let index = NearestNeighborIndex(galleryVectors, metric: metric)
        print(
            "nerva rec similar-images: \(pool.count) \(gallery.rawValue) pictures embedded in \(galleryVectors.shape[1]) dimensions "
                + String(format: "(%.1f s) → %@", embedSeconds, folder.url.path))

        let queryVectors = Tensor.concatenated(
            queries.map { testVectors.sliced(alongAxis: 0, $0..<($0 + 1)) }, alongAxis: 0)
        clock = Date()
        let neighbors = index.search(queryVectors, k: count, excluding: { gallery == .test ? [queries[$0]] : [] })
        let searchMilliseconds = Date().timeIntervalSince(clock) * 1000
        var rows: [[String]] = []
        var pictures: [Tensor] = []
        for (q, list) in neighbors.enumerated() {
            let label = FashionMNIST.classNames[test.labels[queries[q]]]
            print("test picture \(queries[q]) (\(label)):")
            pictures.append(test.images.sliced(alongAxis: 0, queries[q]..<(queries[q] + 1)))
            for (rank, neighbor) in list.enumerated() {
                let name = FashionMNIST.classNames[pool.labels[neighbor.row]]
                print(
                    String(
                        format: "  %2d. %@ %5d  %@  (%@ %.3f)", rank + 1, gallery.rawValue, neighbor.row, name,
                        metric.rawValue, neighbor.score))
                pictures.append(pool.images.sliced(alongAxis: 0, neighbor.row..<(neighbor.row + 1)))
            }
            let agreeing = list.filter { pool.labels[$0.row] == test.labels[queries[q]] }.count
            rows.append([
                "\(queries[q])", label,
                list.map { FashionMNIST.classNames[pool.labels[$0.row]] }.joined(separator: ", "),
                "\(agreeing)/\(list.count)"
            ])
        }
        print(
            String(
                format: "search: %.2f ms for %d queries over %d pictures", searchMilliseconds, queries.count,
                index.count))
        let grid = Self.framingQueries(
            ImageGrid.tiled(
                Tensor.concatenated(pictures, alongAxis: 0), columns: pictures.count / max(queries.count, 1),
                padding: 3,
                background: 1), rows: queries.count, padding: 3)
        let picture = folder.file("similar-garments.png")
        try PNG.write(grid, to: picture)
        folder.addFigure(
            title: "Similar garments", files: [picture],
            caption:
                "Each row: a test picture (first column, framed in red), then its \(count) nearest \(gallery.rawValue) pictures by "
                + "\(metric.rawValue) similarity of the classifier's penultimate layer, nearest first.")
        folder.addTable(
            title: "Queries and neighbours", header: ["test picture", "class", "neighbours' classes", "same class"],
            rows: rows)
        if evaluate > 0 {
            try measureAgreement(test: test, testVectors: testVectors, pool: pool, index: index, folder: folder)
        }
        try folder.writeReport()
        print("grid: \(picture.path)")
    }

    /// Same-class precision@count of learned embeddings and of raw pixels over `evaluate` test queries.
    func measureAgreement(
        test: LabeledImages, testVectors: Tensor, pool: LabeledImages, index: NearestNeighborIndex,
        folder: RunFolder
    ) throws {
        let n = min(evaluate, test.count)
        let labels = Array(test.labels[0..<n])
        let exclude = gallery == .test
        var clock = Date()
        let learned = ImageEmbeddings.labelPrecision(
            queries: testVectors.sliced(alongAxis: 0, 0..<n), queryLabels: labels, index: index,
            galleryLabels: pool.labels, k: count, excludingSelf: exclude)
        let learnedSeconds = Date().timeIntervalSince(clock)
        clock = Date()
        let pixelIndex = NearestNeighborIndex(ImageEmbeddings.pixels(of: pool.images), metric: metric)
        let pixels = ImageEmbeddings.labelPrecision(
            queries: ImageEmbeddings.pixels(of: test.images.sliced(alongAxis: 0, 0..<n)),
            queryLabels: labels, index: pixelIndex, galleryLabels: pool.labels, k: count,
            excludingSelf: exclude)
        let pixelSeconds = Date().timeIntervalSince(clock)
        folder.log([
            "part": "rec", "model": "similar-images", "queries": n, "k": count, "learned_precision": learned,
            "pixel_precision": pixels, "learned_seconds": learnedSeconds, "pixel_seconds": pixelSeconds
        ])
        folder.addTable(
            title: "Neighbours of the same class (precision@\(count), \(n) test queries)",
            header: ["representation", "dimensions", "precision", "search time"],
            rows: [
                [
                    "classifier penultimate layer", "\(index.dimension)", fmt(learned),
                    String(format: "%.2f s", learnedSeconds)
                ],
                ["raw pixels", "\(pixelIndex.dimension)", fmt(pixels), String(format: "%.2f s", pixelSeconds)]
            ])
        print(
            String(
                format:
                    "same-class precision@%d over %d test queries: learned embeddings %.4f (%.2f s), raw pixels %.4f (%.2f s)",
                count, n, learned, learnedSeconds, pixels, pixelSeconds))
    }

    /// The grey grid `[1, H, W]` of `ImageGrid.tiled` as RGB with a red frame, in the padding,
    /// around the first picture of each row (the query).
    static func framingQueries(_ grid: Tensor, rows: Int, padding: Int) -> Tensor {
        let height = grid.shape[1], width = grid.shape[2], cell = FashionMNIST.imageSize
        var rgb = grid.scalars + grid.scalars + grid.scalars
        for row in 0..<rows {
            let top = padding + row * (cell + padding) - 1, left = padding - 1
            for y in top...(top + cell + 1) {
                for x in left...(left + cell + 1)
                where y == top || y == top + cell + 1 || x == left || x == left + cell + 1 {
                    guard y >= 0, y < height, x >= 0, x < width else { continue }
                    rgb[y * width + x] = 1
                    rgb[height * width + y * width + x] = 0
                    rgb[2 * height * width + y * width + x] = 0
                }
            }
        }
        return Tensor(rgb, shape: [3, height, width])
    }

    /// The classifier in a `nerva classify` checkpoint, its architecture read from the file's metadata.
    static func loadClassifier(_ url: URL) throws -> any FeatureClassifier {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ValidationError(
                "No classifier at \(url.path): train one with 'nerva classify' (it writes classifier-cnn.safetensors).")
        }
        do {
            return try ImageClassification.loadClassifier(from: url)
        } catch let error as ClassifierCheckpointError {
            throw ValidationError("\(error).")
        }
    }
}
