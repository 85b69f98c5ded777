import Foundation
import NervaData
import NervaNN
import NervaTensor
import NervaVision

/// FID, Inception-Score-style score and mode coverage of a generator, measured with a Fashion-MNIST
/// classifier against the test set; and the real-data floor (training images against test images)
/// that gives FID a scale. Used by `nerva gan evaluate`, `nerva gan train --classifier` and the tour.
public struct GANEvaluationRun {
    /// The classifier's measurements.
    public let evaluator: GANEvaluator
    /// The Gaussian fit of the test images' features.
    public let reference: GaussianStatistics
    /// Generated images per measurement.
    public let sampleCount: Int
    /// The most images one measurement generates: all of them are held in memory (FID is
    /// usually measured on 10,000 to 50,000).
    public static let maximumSamples = 100_000
    /// Generated images per measurement when a run names no number.
    public static let defaultSampleCount = 2000

    /// Loads the classifier (a checkpoint of `nerva classify`) and fits the test set.
    ///
    /// - Throws: `ConfigurationError` for a sample count outside 2…`maximumSamples`, or what
    ///   `ImageClassification.loadClassifier(from:)` throws.
    public init(classifier url: URL, dataset: FashionMNIST, sampleCount: Int) throws {
        try ConfigurationError.require(
            (2...Self.maximumSamples).contains(sampleCount), "evaluation samples",
            sampleCount,
            allowed: "in 2…\(Self.maximumSamples) (the images are held in memory)")
        evaluator = GANEvaluator(classifier: try ImageClassification.loadClassifier(from: url))
        reference = evaluator.statistics(dataset.test.images)
        self.sampleCount = sampleCount
    }

    /// Measures `sampleCount` samples of `generator` (labels uniform over the classes when it is
    /// conditional), drawn with `seed`.
    public func evaluate(
        _ generator: any GANGenerator, latentDistribution: LatentDistribution = .uniform,
        seed: UInt64
    ) -> GANEvaluationResult {
        evaluator.evaluate(
            Self.generate(generator, count: sampleCount, latentDistribution: latentDistribution, seed: seed),
            reference: reference)
    }

    /// `count` images `[count, 1, 28, 28]` in `[0, 1]` from `generator` in evaluation mode.
    public static func generate(
        _ generator: any GANGenerator, count: Int, latentDistribution: LatentDistribution,
        seed: UInt64, label: Int? = nil
    ) -> Tensor {
        var parts: [Tensor] = []
        generate(generator, count: count, latentDistribution: latentDistribution, seed: seed, label: label) {
            images, _ in parts.append(images)
        }
        return Tensor.concatenated(parts)
    }

    /// The same images as ``generate(_:count:latentDistribution:seed:label:)``, handed to `body`
    /// in batches of at most 500 with the index of each batch's first image, so that only one
    /// batch is held at a time. Image `i`'s latent vector does not depend on `count`.
    public static func generate(
        _ generator: any GANGenerator, count: Int, latentDistribution: LatentDistribution,
        seed: UInt64, label: Int? = nil, each body: (_ images: Tensor, _ firstIndex: Int) throws -> Void
    ) rethrows {
        let rng = RandomGenerator(seed: seed)
        let wasTraining = generator.isTraining
        generator.eval()
        defer { generator.train(wasTraining) }
        var made = 0
        while made < count {
            let n = min(500, count - made)
            let images = withoutGradients {
                let z = latentDistribution.sample(count: n, size: generator.latentSize, generator: rng)
                let labels = generator.classCount.map { classes in (0..<n).map { label ?? (made + $0) % classes } }
                return toPixelRange(generator.generate(latentDistribution.standardized(z), labels: labels))
            }
            try body(images, made)
            made += n
        }
    }

    /// FID between `count` training images and the test images: the best a generator can hope for.
    public func realDataFloor(_ dataset: FashionMNIST, count: Int, seed: UInt64) -> Double {
        let indices = RandomGenerator(seed: seed).sample(min(count, dataset.train.count), from: dataset.train.count)
        return frechetDistance(evaluator.statistics(dataset.train.subset(indices).images), reference)
    }

    /// The measurements as metric fields.
    public func record(_ result: GANEvaluationResult) -> [(String, any MetricValue)] {
        [
            ("fid", result.frechetDistance), ("inception_score", result.inceptionScore),
            ("classes_covered", result.coveredClasses), ("kl_from_uniform", result.klFromUniform),
            ("class_histogram", result.classHistogram.map(String.init).joined(separator: " "))
        ]
    }

    /// `name` as a file-name part: lower case, runs of other characters as one hyphen.
    public static func fileName(_ name: String) -> String {
        name.lowercased().split { !($0.isLetter || $0.isNumber) }.joined(separator: "-")
    }

    /// Adds the class histogram as a bar chart and the numbers as a table to the report.
    public func report(_ result: GANEvaluationResult, floor: Double?, name: String, folder: RunFolder) throws {
        let chart = BarChart(
            title: "Classes of generated samples (\(name))", xLabel: "class the classifier assigns",
            yLabel: "samples", labels: FashionMNIST.classNames, values: result.classHistogram.map(Double.init))
        folder.addFigure(
            title: "Mode coverage (\(name))",
            files: try Figure.write(svg: chart.svg(), to: folder.file("class-histogram-\(Self.fileName(name)).svg")),
            caption:
                "\(result.coveredClasses) of \(result.classHistogram.count) classes covered; KL from uniform \(String(format: "%.4f", result.klFromUniform)) (0 is perfectly balanced, log 10 = 2.30 is one class)."
        )
        var rows = [
            ["FID (classifier features, vs test set)", String(format: "%.3f", result.frechetDistance)],
            ["Inception-Score-style score (1 to 10)", String(format: "%.3f", result.inceptionScore)],
            ["classes covered", "\(result.coveredClasses)"],
            ["KL from uniform", String(format: "%.4f", result.klFromUniform)]
        ]
        if let floor {
            rows.insert(["real-data floor: FID of training vs test images", String(format: "%.3f", floor)], at: 1)
        }
        folder.addTable(title: "Evaluation (\(name), \(sampleCount) samples)", header: ["measure", "value"], rows: rows)
    }
}
