import ArgumentParser
import Foundation
import NervaData
import NervaGAN
import NervaVision

/// `nerva gan remedies`: the known remedies for GAN instability, measured one at a time against
/// the same baseline, seed and data.
struct GANRemediesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remedies",
        abstract: "Compare remedies for GAN instability: FID, mode coverage and stability of each against one baseline.",
        discussion: """
            Trains the baseline and then each remedy (one change each; the same seed, data and number of \
            epochs) and measures every generator with the same classifier: FID on its features, the \
            Inception-Score-style score, the classes covered and the KL divergence of the class histogram \
            from uniform. Writes a table, an FID chart, each run's last sample grid and each run's own \
            folder (curves, checkpoint) into --out. Remedies: \(GANRemedy.allCases.map(\.rawValue).joined(separator: ", ")).
            Without --classifier, a LeNet-5 is trained for two epochs first (about a minute) and saved in --out.
            """
    )

    @Option(help: "The architecture: mlp, dcgan.") var model: GANArchitecture = .mlp
    @Option(help: "Remedies to compare, comma-separated (default: all; the baseline always runs first).") var remedies: String?
    @Option(parsing: .unconditional, help: "Passes over the training set per run.") var epochs: Int = 1
    @Option(help: "The distribution of z: uniform, normal.") var latent: LatentDistribution = .uniform
    @Option(parsing: .unconditional, help: "Use only the first N training images.") var limit: Int?
    @Option(help: "A Fashion-MNIST classifier checkpoint (nerva classify) for FID and mode coverage.") var classifier: String?
    @Option(parsing: .unconditional, help: "Generated images per evaluation.") var evaluationSamples: Int = GANEvaluationRun.defaultSampleCount
    @Option(parsing: .unconditional, help: "Random seed, the same for every run.") var seed: UInt64 = 0
    @OptionGroup var common: GANCommonOptions

    /// The remedies chosen, the baseline first.
    func chosenRemedies() throws -> [GANRemedy] {
        guard let remedies else { return GANRemedy.allCases }
        var chosen: [GANRemedy] = [.baseline]
        for name in remedies.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let remedy = GANRemedy(rawValue: name) else {
                throw ValidationError("unknown remedy \"\(name)\"; choose from \(GANRemedy.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            if !chosen.contains(remedy) { chosen.append(remedy) }
        }
        return chosen
    }

    func validate() throws {
        guard (1...GANTrainingRun.maximumEpochs).contains(epochs) else {
            throw ValidationError("--epochs must be in 1…\(GANTrainingRun.maximumEpochs), got \(epochs).")
        }
        if let limit, limit < 2 { throw ValidationError("--limit must be at least 2, got \(limit).") }
        guard (2...GANEvaluationRun.maximumSamples).contains(evaluationSamples) else {
            throw ValidationError("--evaluation-samples must be in 2…\(GANEvaluationRun.maximumSamples) (the images are held in memory), got \(evaluationSamples).")
        }
        try requireFile(classifier, option: "--classifier")
        _ = try chosenRemedies()
    }

    func run() throws {
        let chosen = try chosenRemedies()
        let folder = try RunFolder(command: "gan-remedies", out: common.out, settings: [
            ("model", model.rawValue), ("latent", latent.rawValue), ("epochs per run", "\(epochs)"),
            ("remedies", chosen.map(\.rawValue).joined(separator: ", ")), ("limit", limit.map(String.init) ?? "all"),
            ("classifier", classifier ?? "LeNet-5 trained for 2 epochs"), ("seed", "\(seed)")])
        print("nerva gan remedies → \(folder.url.path)")
        let dataset = try FashionMNIST(directory: common.dataDirectory)
        let classifierFile = try classifier.map { URL(fileURLWithPath: $0) } ?? trainClassifier(on: dataset, folder: folder)
        let evaluation = try GANEvaluationRun(classifier: classifierFile, dataset: dataset, sampleCount: evaluationSamples)
        let floor = evaluation.realDataFloor(dataset, count: evaluationSamples, seed: seed)
        print(String(format: "real-data floor (FID of %d training images vs the test set): %.3f", evaluationSamples, floor))

        var outcomes: [Outcome] = []
        for (index, remedy) in chosen.enumerated() {
            print("[\(index + 1)/\(chosen.count)] \(remedy.rawValue): \(remedy.summary)")
            do {
                outcomes.append(try train(remedy, dataset: dataset, evaluation: evaluation, folder: folder))
            } catch let error as GANRunError {   // e.g. a batch larger than --limit: the other runs go on
                print("  skipped: \(error)")
                folder.addText(title: "Skipped: \(remedy.rawValue)", text: "\(error)")
            }
        }
        try report(outcomes, floor: floor, folder: folder)
        let best = outcomes.filter { !$0.diverged }.min { $0.result.frechetDistance < $1.result.frechetDistance }
        print("best FID: \(best.map { "\($0.remedy.rawValue) (\(String(format: "%.2f", $0.result.frechetDistance)))" } ?? "none"); report: \(folder.file("index.html").path)")
    }

    /// One run's measurements.
    struct Outcome {
        let remedy: GANRemedy
        let result: GANEvaluationResult
        let diverged: Bool
        let generatorSteps: Int
        let seconds: Double
        let grid: URL?
    }

    private func train(_ remedy: GANRemedy, dataset: FashionMNIST, evaluation: GANEvaluationRun, folder: RunFolder) throws -> Outcome {
        var configuration = GANTrainingConfiguration(model: GANModelConfiguration(architecture: model))
        configuration.latentDistribution = latent
        configuration.seed = seed
        remedy.apply(to: &configuration)
        let runFolder = try RunFolder(command: "gan-train", out: folder.file(remedy.rawValue).path,
                                      settings: configuration.settingsTable)
        let trainer = GANTrainer(configuration)
        let started = Date()
        let summary = try GANTrainingRun(trainer: trainer, epochs: epochs, limit: limit).run(on: dataset, folder: runFolder)
        let seconds = Date().timeIntervalSince(started)
        let result = evaluation.evaluate(trainer.samplingGenerator, latentDistribution: latent, seed: 1_000)
        try evaluation.report(result, floor: nil, name: remedy.rawValue, folder: runFolder)
        try runFolder.writeReport()
        var grid: URL?
        let last = runFolder.file(String(format: "samples-epoch-%03d.png", summary.epochsCompleted))
        if summary.epochsCompleted > 0, FileManager.default.fileExists(atPath: last.path) {
            let copy = folder.file("samples-\(remedy.rawValue).png")
            try? FileManager.default.removeItem(at: copy)
            try FileManager.default.copyItem(at: last, to: copy)
            grid = copy
        }
        folder.log(MetricRecord([("part", "gan-remedies"), ("remedy", remedy.rawValue), ("seconds", seconds),
                                 ("diverged", summary.diverged ? 1 : 0)] + evaluation.record(result)))
        print(String(format: "  FID %.2f  IS %.2f  classes %d  KL %.3f  %.0f s%@", result.frechetDistance, result.inceptionScore,
                     result.coveredClasses, result.klFromUniform, seconds, summary.diverged ? "  DIVERGED" : ""))
        return Outcome(remedy: remedy, result: result, diverged: summary.diverged, generatorSteps: summary.steps,
                       seconds: seconds, grid: grid)
    }

    /// The comparison table, the FID chart and the grids.
    private func report(_ outcomes: [Outcome], floor: Double, folder report: RunFolder) throws {
        let baseline = outcomes.first?.result.frechetDistance
        let rows = outcomes.map { outcome -> [String] in
            let r = outcome.result
            let change = baseline.map { String(format: "%+.0f %%", 100 * (r.frechetDistance / $0 - 1)) } ?? ""
            return [outcome.remedy.rawValue, outcome.remedy.summary, String(format: "%.2f", r.frechetDistance), change,
                    String(format: "%.2f", r.inceptionScore), "\(r.coveredClasses)", String(format: "%.3f", r.klFromUniform),
                    outcome.diverged ? "yes" : "no", "\(outcome.generatorSteps)", String(format: "%.0f", outcome.seconds)]
        }
        report.addText(title: "How to read this", text: """
            Each row trains the same \(model.rawValue) GAN from the same seed for \(epochs) epoch(s), changing one thing. \
            FID is measured on the classifier's penultimate features against the test set (lower is better); \
            the real-data floor, training images against test images, is \(String(format: "%.3f", floor)). \
            Classes covered and the KL divergence of the class histogram from uniform measure mode collapse \
            (10 classes and KL 0 are perfect; one class is KL 2.30). Equal epochs are not equal generator steps: \
            larger batches and extra discriminator steps make fewer G steps per epoch (column "G steps"). One seed and a short run: differences of a few \
            per cent are noise; rank changes across seeds are common.
            """)
        report.addTable(title: "Remedies against the baseline", header: ["remedy", "change", "FID", "vs baseline", "IS",
                                                                         "classes", "KL", "diverged", "G steps", "seconds"], rows: rows)
        let chart = BarChart(title: "FID by remedy (lower is better; floor \(String(format: "%.2f", floor)))", xLabel: "remedy",
                             yLabel: "FID", labels: outcomes.map(\.remedy.rawValue), values: outcomes.map(\.result.frechetDistance))
        report.addFigure(title: "FID", files: try Figure.write(svg: chart.svg(), to: report.file("remedies-fid.svg")),
                         caption: "One bar per run; the first is the baseline.")
        report.addFigure(title: "Last sample grids", files: outcomes.compactMap(\.grid),
                         caption: "The same fixed latent batch for every run; file names give the remedy.")
        try report.writeReport()
    }

    /// Trains LeNet-5 for two epochs and saves it as the folder's `classifier-cnn.safetensors`.
    private func trainClassifier(on dataset: FashionMNIST, folder: RunFolder) throws -> URL {
        print("training a LeNet-5 classifier for FID (2 epochs)")
        let training = ImageClassification(architecture: .cnn, learningRate: 1e-3, generator: RandomGenerator(seed: seed))
        let results = try training.train(dataset.train, validation: dataset.test, epochs: 2, batchSize: 64)
        print(String(format: "  classifier test accuracy %.4f", results.last?.validationAccuracy ?? 0))
        let url = folder.file("classifier-cnn.safetensors")
        try training.model.save(to: url, metadata: ["architecture": "cnn", "dataset": "fashion-mnist"])
        return url
    }
}
