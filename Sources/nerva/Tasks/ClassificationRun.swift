import Foundation
import NervaData
import NervaNN
import NervaTensor

/// A complete classification run into a run folder: training with a validation split, test
/// accuracy, learning curves, confusion matrix and checkpoint. Used by `nerva classify` and the tour.
struct ClassificationRun {
    let settings: ClassificationState.Settings
    /// Weights to start from (same architecture), or `nil`.
    let checkpoint: URL?
    /// Continue from the training state saved in the run folder.
    let resumes: Bool

    struct Result {
        let testAccuracy: Double
        let model: any FeatureClassifier
        let checkpoint: URL
    }

    init(settings: ClassificationState.Settings, checkpoint: URL? = nil, resumes: Bool = false) {
        self.settings = settings
        self.checkpoint = checkpoint
        self.resumes = resumes
    }

    func run(on dataset: FashionMNIST, folder: RunFolder) throws -> Result {
        let architecture = settings.architecture
        let rng = RandomGenerator(seed: settings.seed)
        let training = ImageClassification(architecture: architecture, learningRate: settings.learningRate,
                                           augmentation: settings.augmentation, generator: rng)
        if let checkpoint { try training.model.load(from: checkpoint) }
        let pool = settings.limit.map { dataset.train.prefix($0) } ?? dataset.train
        let (train, validation) = pool.split(validationFraction: 1.0 / 12, generator: rng)
        print("\(architecture.rawValue): \(training.model.parameterCount) parameters; \(train.count) training, \(validation.count) validation, \(dataset.test.count) test images")

        let stateFile = folder.file(ClassificationState.fileName)
        var history: [ImageClassification.EpochResult] = []
        if resumes {
            let state = try ClassificationState(contentsOf: stateFile)
            try state.restore(into: training)
            history = state.history
            print("resuming after epoch \(history.count) of \(settings.epochs)")
        }
        try training.train(train, validation: validation, epochs: settings.epochs, from: history.count + 1,
                           batchSize: settings.batchSize) { epoch in
            history.append(epoch)
            try ClassificationState(settings: settings, history: history, training: training).write(to: stateFile)
            folder.log(["part": "classify", "model": architecture.rawValue, "epoch": epoch.epoch,
                        "train_loss": epoch.trainLoss, "validation_accuracy": epoch.validationAccuracy,
                        "samples_per_second": epoch.samplesPerSecond])
            print(String(format: "epoch %d  loss %.4f  validation accuracy %.4f  %.0f samples/s",
                         epoch.epoch, epoch.trainLoss, epoch.validationAccuracy, epoch.samplesPerSecond))
        }
        let (accuracy, confusion) = ImageClassification.evaluate(training.model, on: dataset.test)
        folder.log(["part": "classify", "model": architecture.rawValue, "test_accuracy": accuracy])

        let saved = folder.file("classifier-\(architecture.rawValue).safetensors")
        try training.model.save(to: saved, metadata: ["architecture": architecture.rawValue, "dataset": "fashion-mnist",
                                                      "test_accuracy": String(accuracy), "seed": "\(settings.seed)"])
        try writeFigures(history: history, confusion: confusion, accuracy: accuracy, folder: folder)
        return Result(testAccuracy: accuracy, model: training.model, checkpoint: saved)
    }

    private func writeFigures(history: [ImageClassification.EpochResult], confusion: [[Int]], accuracy: Double,
                              folder: RunFolder) throws {
        let name = settings.architecture.rawValue
        if !history.isEmpty {
            let curves = LineChart(title: "Learning curves (\(name))", xLabel: "epoch", yLabel: "value", series: [
                .init(name: "training loss", points: history.map { (Double($0.epoch), $0.trainLoss) }),
                .init(name: "validation accuracy", points: history.map { (Double($0.epoch), $0.validationAccuracy) }),
            ])
            folder.addFigure(title: "Learning curves (\(name))",
                             files: try Figure.write(svg: curves.svg(), to: folder.file("learning-curves-\(name).svg")),
                             caption: "Training loss and validation accuracy after each epoch.")
        }
        let matrix = HeatMap(title: "Confusion matrix (\(name)), test accuracy \(String(format: "%.4f", accuracy))",
                             rowLabels: FashionMNIST.classNames, columnLabels: FashionMNIST.classNames,
                             values: confusion.map { $0.map(Double.init) }, showsValues: true,
                             xLabel: "predicted class", yLabel: "true class")
        folder.addFigure(title: "Confusion matrix (\(name))",
                         files: try Figure.write(svg: matrix.svg(), to: folder.file("confusion-\(name).svg")),
                         caption: "Rows: true class; columns: predicted class (test set).")
    }
}
