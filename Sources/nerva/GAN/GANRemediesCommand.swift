import ArgumentParser
import Foundation
import NervaData
import NervaGAN
import NervaNN

/// `nerva gan remedies`: the known remedies for GAN instability, measured one at a time against
/// the same baseline, seed and data.
struct GANRemediesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remedies",
        abstract:
            "Compare remedies for GAN instability: FID, mode coverage and stability of each against one baseline.",
        discussion: """
            Trains the baseline and then each remedy (one change each; the same seed, data and number of \
            epochs) and measures every generator with the same classifier: FID on its features, the \
            Inception-Score-style score, the classes covered and the KL divergence of the class histogram \
            from uniform. Writes a table, an FID chart, each run's last sample grid and each run's own \
            folder (curves, checkpoint) into --out. Remedies: \(GANRemedy.allCases.map(\.rawValue).joined(separator: ", ")).
            Without --classifier, a LeNet-5 is trained for \(GANRemedyComparison.classifierEpochs) epochs first \
            (about a minute) and saved in --out.
            """
    )

    @Option(help: "The architecture: mlp, dcgan.") var model: GANArchitecture = .mlp
    @Option(help: "Remedies to compare, comma-separated (default: all; the baseline always runs first).") var remedies:
        String?
    @Option(parsing: .unconditional, help: "Passes over the training set per run.") var epochs: Int = 1
    @Option(help: "The distribution of z: uniform, normal.") var latent: LatentDistribution = .uniform
    @Option(parsing: .unconditional, help: "Use only the first N training images.") var limit: Int?
    @Option(help: "A Fashion-MNIST classifier checkpoint (nerva classify) for FID and mode coverage.") var classifier:
        String?
    @Option(parsing: .unconditional, help: "Generated images per evaluation.")
    var evaluationSamples: Int = GANEvaluationRun.defaultSampleCount
    @Option(parsing: .unconditional, help: "Random seed, the same for every run.") var seed: UInt64 = 0
    @OptionGroup var common: GANCommonOptions

    /// The library's comparison with the flags applied.
    func makeComparison() throws -> GANRemedyComparison {
        try GANRemedyComparison(
            architecture: model,
            remedies: remedies.map(GANRemedyComparison.remedies(named:)) ?? GANRemedy.allCases,
            epochs: epochs, latentDistribution: latent, limit: limit,
            evaluationSamples: evaluationSamples, seed: seed)
    }

    func validate() throws {
        do {
            _ = try makeComparison()
        } catch let error as ConfigurationError {
            throw error.asFlagError
        } catch let error as GANRemedyError {
            throw ValidationError("\(error).")
        }
        try requireFile(classifier, option: "--classifier")
    }

    func run() throws {
        let comparison = try makeComparison()
        let folder = try RunFolder(
            command: "gan-remedies", out: common.out,
            settings: comparison.settingsTable(classifier: classifier))
        print("nerva gan remedies → \(folder.url.path)")
        let dataset = try FashionMNIST(directory: common.dataDirectory)
        let outcomes = try comparison.run(
            on: dataset, classifier: classifier.map { URL(fileURLWithPath: $0) },
            folder: folder)
        let best = outcomes.filter { !$0.diverged }.min { $0.result.frechetDistance < $1.result.frechetDistance }
        let bestText =
            best.map { "\($0.remedy.rawValue) (\(String(format: "%.2f", $0.result.frechetDistance)))" }
            ?? "none"
        print("best FID: \(bestText); report: \(folder.file("index.html").path)")
    }
}
