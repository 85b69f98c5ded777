import Foundation
import NervaData
import NervaNN
import NervaTensor
import NervaVision

/// The known remedies for GAN instability measured one at a time against the same baseline,
/// seed and data (`nerva gan remedies`): each run trains from the same seed for the same epochs,
/// and one classifier measures every generator (FID, Inception-Score-style score, classes covered,
/// KL from uniform). Writes a table, an FID chart, each run's last sample grid and each run's own
/// folder (curves, checkpoint) into the report folder.
///
/// ```swift
/// let comparison = try GANRemedyComparison(remedies: [.baseline, .r1], epochs: 1)
/// let outcomes = try comparison.run(on: try FashionMNIST(), classifier: nil, folder: folder)
/// ```
public struct GANRemedyComparison {
    /// The architecture of every run.
    public let architecture: GANArchitecture
    /// The remedies compared, the baseline first.
    public let remedies: [GANRemedy]
    /// Passes over the training set per run.
    public let epochs: Int
    /// The distribution of `z` of every run.
    public let latentDistribution: LatentDistribution
    /// Use only the first N training images.
    public let limit: Int?
    /// Generated images per evaluation.
    public let evaluationSamples: Int
    /// The seed of every run.
    public let seed: UInt64
    /// Receives the progress lines (standard output by default).
    public var output: (String) -> Void = { print($0) }

    /// Epochs the LeNet-5 trains for when no classifier is given.
    public static let classifierEpochs = 2

    /// A comparison of `remedies` (the baseline is put first when missing).
    ///
    /// - Throws: `ConfigurationError` for epochs, a limit or a sample count out of range.
    public init(
        architecture: GANArchitecture = .mlp, remedies: [GANRemedy] = GANRemedy.allCases, epochs: Int = 1,
        latentDistribution: LatentDistribution = .uniform, limit: Int? = nil,
        evaluationSamples: Int = GANEvaluationRun.defaultSampleCount, seed: UInt64 = 0
    ) throws {
        try ConfigurationError.require(
            (1...GANTrainingRun.maximumEpochs).contains(epochs), "epochs", epochs,
            allowed: "in 1…\(GANTrainingRun.maximumEpochs)")
        if let limit { try ConfigurationError.check("limit", limit, atLeast: GANTrainingRun.minimumLimit) }
        try ConfigurationError.require(
            (2...GANEvaluationRun.maximumSamples).contains(evaluationSamples),
            "evaluation samples", evaluationSamples,
            allowed: "in 2…\(GANEvaluationRun.maximumSamples) "
                + "(the images are held in memory)")
        var ordered: [GANRemedy] = [.baseline]
        for remedy in remedies where !ordered.contains(remedy) { ordered.append(remedy) }
        self.architecture = architecture
        self.remedies = ordered
        self.epochs = epochs
        self.latentDistribution = latentDistribution
        self.limit = limit
        self.evaluationSamples = evaluationSamples
        self.seed = seed
    }

    /// The remedies named in `text`, comma-separated, the baseline first.
    ///
    /// - Throws: `GANRemedyError.unknown` naming an unknown remedy.
    public static func remedies(named text: String) throws -> [GANRemedy] {
        var chosen: [GANRemedy] = [.baseline]
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let remedy = GANRemedy(rawValue: name) else { throw GANRemedyError.unknown(name) }
            if !chosen.contains(remedy) { chosen.append(remedy) }
        }
        return chosen
    }

    /// The settings as a report shows them; `classifier` names the classifier's file, if given.
    public func settingsTable(classifier: String?) -> [(String, String)] {
        [
            ("model", architecture.rawValue), ("latent", latentDistribution.rawValue), ("epochs per run", "\(epochs)"),
            ("remedies", remedies.map(\.rawValue).joined(separator: ", ")), ("limit", limit.map(String.init) ?? "all"),
            ("classifier", classifier ?? "LeNet-5 trained for \(Self.classifierEpochs) epochs"), ("seed", "\(seed)")
        ]
    }

    /// One run's measurements.
    public struct Outcome {
        /// The remedy of the run.
        public let remedy: GANRemedy
        /// The classifier's measurements of its generator.
        public let result: GANEvaluationResult
        /// Whether the run stopped on a value that was not finite.
        public let diverged: Bool
        /// Generator steps taken.
        public let generatorSteps: Int
        /// Training time.
        public let seconds: Double
        /// The run's last sample grid, copied into the report folder.
        public let grid: URL?
    }

    /// Trains and measures every remedy; a run that cannot start (too few images for its batch) is
    /// skipped with a note and the others go on. Without `classifier`, a LeNet-5 is trained first
    /// and saved in `folder`.
    public func run(on dataset: FashionMNIST, classifier: URL?, folder: RunFolder) throws -> [Outcome] {
        let classifierFile = try classifier ?? trainClassifier(on: dataset, folder: folder)
        let evaluation = try GANEvaluationRun(
            classifier: classifierFile, dataset: dataset,
            sampleCount: evaluationSamples)
        let floor = evaluation.realDataFloor(dataset, count: evaluationSamples, seed: seed)
        output(
            String(
                format: "real-data floor (FID of %d training images vs the test set): %.3f",
                evaluationSamples, floor))
        var outcomes: [Outcome] = []
        for (index, remedy) in remedies.enumerated() {
            output("[\(index + 1)/\(remedies.count)] \(remedy.rawValue): \(remedy.summary)")
            do {
                outcomes.append(try train(remedy, dataset: dataset, evaluation: evaluation, folder: folder))
            } catch let error as GANRunError { // e.g. a batch larger than the limit: the other runs go on
                output("  skipped: \(error)")
                folder.addText(title: "Skipped: \(remedy.rawValue)", text: "\(error)")
            }
        }
        try report(outcomes, floor: floor, folder: folder)
        return outcomes
    }

    private func train(
        _ remedy: GANRemedy, dataset: FashionMNIST, evaluation: GANEvaluationRun,
        folder: RunFolder
    ) throws -> Outcome {
        var configuration = GANTrainingConfiguration(model: GANModelConfiguration(architecture: architecture))
        configuration.latentDistribution = latentDistribution
        configuration.seed = seed
        remedy.apply(to: &configuration)
        let runFolder = try RunFolder(
            command: "gan-train", out: folder.file(remedy.rawValue).path,
            settings: configuration.settingsTable)
        let trainer = GANTrainer(configuration)
        let started = Date()
        var run = try GANTrainingRun(trainer: trainer, epochs: epochs, limit: limit)
        run.output = output
        let summary = try run.run(on: dataset, folder: runFolder)
        let seconds = Date().timeIntervalSince(started)
        let result = evaluation.evaluate(trainer.samplingGenerator, latentDistribution: latentDistribution, seed: 1_000)
        try evaluation.report(result, floor: nil, name: remedy.rawValue, folder: runFolder)
        try runFolder.writeReport()
        var grid: URL?
        if let last = summary.lastSampleGrid, FileManager.default.fileExists(atPath: last.path) {
            let copy = folder.file("samples-\(remedy.rawValue).png")
            try? FileManager.default.removeItem(at: copy)
            try FileManager.default.copyItem(at: last, to: copy)
            grid = copy
        }
        folder.log(
            MetricRecord(
                [
                    ("part", "gan-remedies"), ("remedy", remedy.rawValue), ("seconds", seconds),
                    ("diverged", summary.diverged ? 1 : 0)
                ] + evaluation.record(result)))
        output(
            String(
                format: "  FID %.2f  IS %.2f  classes %d  KL %.3f  %.0f s%@", result.frechetDistance,
                result.inceptionScore, result.coveredClasses, result.klFromUniform, seconds,
                summary.diverged ? "  DIVERGED" : ""))
        return Outcome(
            remedy: remedy, result: result, diverged: summary.diverged, generatorSteps: summary.steps,
            seconds: seconds, grid: grid)
    }

    /// The comparison table, the FID chart and the grids.
    private func report(_ outcomes: [Outcome], floor: Double, folder report: RunFolder) throws {
        let baseline = outcomes.first?.result.frechetDistance
        let rows = outcomes.map { outcome -> [String] in
            let r = outcome.result
            let change = baseline.map { String(format: "%+.0f %%", 100 * (r.frechetDistance / $0 - 1)) } ?? ""
            return [
                outcome.remedy.rawValue, outcome.remedy.summary, String(format: "%.2f", r.frechetDistance), change,
                String(format: "%.2f", r.inceptionScore), "\(r.coveredClasses)",
                String(format: "%.3f", r.klFromUniform), outcome.diverged ? "yes" : "no",
                "\(outcome.generatorSteps)", String(format: "%.0f", outcome.seconds)
            ]
        }
        report.addText(
            title: "How to read this",
            text: """
                Each row trains the same \(architecture.rawValue) GAN from the same seed for \(epochs) epoch(s), changing \
                one thing. FID is measured on the classifier's penultimate features against the test set (lower is \
                better); the real-data floor, training images against test images, is \(String(format: "%.3f", floor)). \
                Classes covered and the KL divergence of the class histogram from uniform measure mode collapse \
                (10 classes and KL 0 are perfect; one class is KL 2.30). Equal epochs are not equal generator steps: \
                larger batches and extra discriminator steps make fewer G steps per epoch (column "G steps"). One seed \
                and a short run: differences of a few per cent are noise; rank changes across seeds are common.
                """)
        report.addTable(
            title: "Remedies against the baseline",
            header: [
                "remedy", "change", "FID", "vs baseline", "IS", "classes", "KL", "diverged", "G steps",
                "seconds"
            ],
            rows: rows)
        let chart = BarChart(
            title: "FID by remedy (lower is better; floor \(String(format: "%.2f", floor)))",
            xLabel: "remedy", yLabel: "FID", labels: outcomes.map(\.remedy.rawValue),
            values: outcomes.map(\.result.frechetDistance))
        report.addFigure(
            title: "FID", files: try Figure.write(svg: chart.svg(), to: report.file("remedies-fid.svg")),
            caption: "One bar per run; the first is the baseline.")
        report.addFigure(
            title: "Last sample grids", files: outcomes.compactMap(\.grid),
            caption: "The same fixed latent batch for every run; file names give the remedy.")
        try report.writeReport()
    }

    /// Trains LeNet-5 and saves it as the folder's `classifier-cnn.safetensors`.
    private func trainClassifier(on dataset: FashionMNIST, folder: RunFolder) throws -> URL {
        output("training a LeNet-5 classifier for FID (\(Self.classifierEpochs) epochs)")
        let training = ImageClassification(
            architecture: .cnn, learningRate: ClassificationConfiguration().learningRate,
            generator: RandomGenerator(seed: seed))
        let results = try training.train(
            dataset.train, validation: dataset.test, epochs: Self.classifierEpochs,
            batchSize: ClassificationConfiguration().batchSize)
        output(String(format: "  classifier test accuracy %.4f", results.last?.validationAccuracy ?? 0))
        let url = folder.file("classifier-cnn.safetensors")
        try training.model.save(to: url, metadata: ["architecture": "cnn", "dataset": "fashion-mnist"])
        return url
    }
}

/// A remedy name that Nerva does not know.
public enum GANRemedyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No remedy has this name.
    case unknown(String)

    public var description: String {
        switch self {
        case let .unknown(name):
            "unknown remedy \"\(name)\"; choose from \(GANRemedy.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }
}
