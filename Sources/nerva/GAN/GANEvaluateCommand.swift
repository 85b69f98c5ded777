import ArgumentParser
import Foundation
import NervaData
import NervaGAN

/// `nerva gan evaluate`: FID, Inception-Score-style score and mode coverage of a trained generator.
struct GANEvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract:
            "Measure a trained GAN with a Fashion-MNIST classifier: FID (and the real-data floor), Inception-Score-style score, mode coverage.",
        discussion:
            "Train the classifier first: nerva classify --model cnn; pass its classifier-cnn.safetensors with --classifier."
    )

    @Option(help: "The checkpoint of `nerva gan train`.") var checkpoint: String
    @Option(help: "A classifier checkpoint from `nerva classify` (cnn recommended).") var classifier: String
    @Option(parsing: .unconditional, help: "Generated images to measure (and training images for the floor).")
    var count: Int = 10_000
    @Flag(inversion: .prefixedNo, help: "Also measure the real-data floor: FID of training vs test images.") var floor =
        true
    @Option(parsing: .unconditional, help: "Random seed.") var seed: UInt64 = 0
    @OptionGroup var common: GANCommonOptions

    func validate() throws {
        guard (2...GANEvaluationRun.maximumSamples).contains(count) else {
            throw ValidationError(
                "--count must be in 2…\(GANEvaluationRun.maximumSamples) (the images are held in memory), got \(count)."
            )
        }
        try requireFile(checkpoint, option: "--checkpoint")
        try requireFile(classifier, option: "--classifier")
    }

    func run() throws {
        let (generator, configuration) = try GANTrainer.loadGenerator(from: URL(fileURLWithPath: checkpoint))
        let folder = try RunFolder(
            command: "gan-evaluate", out: common.out,
            settings: [
                ("checkpoint", checkpoint), ("classifier", classifier), ("samples", "\(count)"), ("seed", "\(seed)")
            ])
        let dataset = try FashionMNIST(directory: common.dataDirectory)
        let evaluation = try GANEvaluationRun(
            classifier: URL(fileURLWithPath: classifier), dataset: dataset, sampleCount: count)
        let result = evaluation.evaluate(generator, latentDistribution: configuration.latentDistribution, seed: seed)
        let floorValue = floor ? evaluation.realDataFloor(dataset, count: count, seed: seed) : nil
        var fields = evaluation.record(result)
        if let floorValue { fields.append(("fid_real_floor", floorValue)) }
        folder.log(MetricRecord([("part", "gan-evaluate")] + fields))
        try evaluation.report(result, floor: floorValue, name: "generated", folder: folder)
        try folder.writeReport()
        print(
            String(
                format: "FID %.3f%@  IS %.3f  classes covered %d/10  KL from uniform %.4f", result.frechetDistance,
                floorValue.map { String(format: " (real-data floor %.3f)", $0) } ?? "", result.inceptionScore,
                result.coveredClasses, result.klFromUniform))
        print(
            "class histogram: "
                + zip(FashionMNIST.classNames, result.classHistogram).map { "\($0) \($1)" }.joined(separator: ", "))
    }
}
