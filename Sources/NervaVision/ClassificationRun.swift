import Foundation
import NervaData
import NervaNN
import NervaTensor

/// A complete classification run into a run folder: training with a validation split, test
/// accuracy, learning curves, confusion matrix and checkpoint, resumable after every epoch.
/// Used by `nerva classify` and the tour.
///
/// ```swift
/// var configuration = ClassificationConfiguration(architecture: .cnn)
/// configuration.epochs = 1
/// let folder = try RunFolder(command: "classify", out: "run", settings: configuration.settingsTable)
/// let result = try ClassificationRun(configuration: configuration).run(on: try FashionMNIST(), folder: folder)
/// ```
public struct ClassificationRun {
    /// What to train.
    public let configuration: ClassificationConfiguration
    /// Weights to start from (same architecture), or `nil`.
    public let checkpoint: URL?
    /// Continue from the training state saved in the run folder.
    public let resumes: Bool
    /// Receives the run's progress lines (standard output by default).
    public var output: (String) -> Void = { print($0) }

    /// What a run produced.
    public struct Result {
        /// Accuracy on the test set.
        public let testAccuracy: Double
        /// The trained model.
        public let model: any FeatureClassifier
        /// The saved model (`classifier-<architecture>.safetensors` in the run folder).
        public let checkpoint: URL
        /// Every epoch of the run, resumed ones included.
        public let history: [ImageClassification.EpochResult]
    }

    /// A run of `configuration`, from `checkpoint`'s weights when given; with `resumes`, the
    /// configuration is ignored in favour of the one in the folder's training state.
    public init(configuration: ClassificationConfiguration, checkpoint: URL? = nil, resumes: Bool = false) {
        self.configuration = configuration
        self.checkpoint = checkpoint
        self.resumes = resumes
    }

    /// The configuration of the interrupted run in `folder`, with `epochs` raised to at least
    /// `extendedEpochs` when given.
    ///
    /// - Throws: `ClassificationStateError` when the folder holds no readable training state.
    public static func resumedConfiguration(in folder: URL, extendedEpochs: Int? = nil) throws
        -> ClassificationConfiguration
    {
        let stateFile = folder.appendingPathComponent(ClassificationState.fileName)
        guard FileManager.default.fileExists(atPath: stateFile.path) else {
            throw ClassificationStateError.missing(file: folder.path, key: ClassificationState.fileName)
        }
        var configuration = try ClassificationState(contentsOf: stateFile).configuration
        if let extendedEpochs { configuration.epochs = max(extendedEpochs, configuration.epochs) }
        return configuration
    }

    /// Trains (or resumes), evaluates on the test set, saves the model and writes the figures.
    ///
    /// - Throws: `ConfigurationError` for an invalid configuration, `TrainingDivergedError` when
    ///   the loss stops being finite (the last good state is kept), or a file error.
    public func run(on dataset: FashionMNIST, folder: RunFolder) throws -> Result {
        try configuration.validate()
        let architecture = configuration.architecture
        let rng = RandomGenerator(seed: configuration.seed)
        let training = ImageClassification(
            architecture: architecture, learningRate: configuration.learningRate,
            augmentation: configuration.augmentation, generator: rng)
        if let checkpoint { try training.model.load(from: checkpoint) }
        let pool = configuration.limit.map { dataset.train.prefix($0) } ?? dataset.train
        let (train, validation) = pool.split(validationFraction: 1.0 / 12, generator: rng)
        output(
            "\(architecture.rawValue): \(training.model.parameterCount) parameters; \(train.count) training, "
                + "\(validation.count) validation, \(dataset.test.count) test images")

        let stateFile = folder.file(ClassificationState.fileName)
        var history: [ImageClassification.EpochResult] = []
        var stepLosses: [Double] = []
        if resumes {
            let state = try ClassificationState(contentsOf: stateFile)
            try state.restore(into: training)
            history = state.history
            stepLosses = state.stepLosses
            output("resuming after epoch \(history.count) of \(configuration.epochs)")
        }
        try training.train(
            train, validation: validation, epochs: configuration.epochs, from: history.count + 1,
            batchSize: configuration.batchSize
        ) { epoch in
            history.append(epoch)
            stepLosses += epoch.stepLosses
            try ClassificationState(
                configuration: configuration, history: history, stepLosses: stepLosses,
                training: training
            ).write(to: stateFile)
            folder.log([
                "part": "classify", "model": architecture.rawValue, "epoch": epoch.epoch,
                "train_loss": epoch.trainLoss, "validation_accuracy": epoch.validationAccuracy,
                "samples_per_second": epoch.samplesPerSecond
            ])
            output(
                String(
                    format: "epoch %d  loss %.4f  validation accuracy %.4f  %.0f samples/s",
                    epoch.epoch, epoch.trainLoss, epoch.validationAccuracy, epoch.samplesPerSecond))
        }
        let (accuracy, confusion) = ImageClassification.evaluate(training.model, on: dataset.test)
        folder.log(["part": "classify", "model": architecture.rawValue, "test_accuracy": accuracy])

        let saved = folder.file("classifier-\(architecture.rawValue).safetensors")
        try training.model.save(
            to: saved,
            metadata: [
                "architecture": architecture.rawValue, "dataset": "fashion-mnist",
                "test_accuracy": String(accuracy),
                "seed": "\(configuration.seed)"
            ])
        try writeFigures(
            history: history, stepLosses: stepLosses, stepsPerEpoch: stepsPerEpoch(train.count),
            confusion: confusion, accuracy: accuracy, folder: folder)
        return Result(testAccuracy: accuracy, model: training.model, checkpoint: saved, history: history)
    }

    private func stepsPerEpoch(_ count: Int) -> Int { (count + configuration.batchSize - 1) / configuration.batchSize }

    private func writeFigures(
        history: [ImageClassification.EpochResult], stepLosses: [Double], stepsPerEpoch: Int,
        confusion: [[Int]], accuracy: Double, folder: RunFolder
    ) throws {
        let name = configuration.architecture.rawValue
        if !history.isEmpty {
            let curves = Self.learningCurves(
                name: name, history: history, stepLosses: stepLosses,
                stepsPerEpoch: stepsPerEpoch)
            folder.addFigure(
                title: "Learning curves (\(name))",
                files: try Figure.write(svg: curves.svg(), to: folder.file("learning-curves-\(name).svg")),
                caption: "Training loss of every step (exponential moving average over about "
                    + "\(Self.smoothingSteps) steps) and validation accuracy after each epoch.")
        }
        let matrix = HeatMap(
            title: "Confusion matrix (\(name)), test accuracy \(String(format: "%.4f", accuracy))",
            rowLabels: FashionMNIST.classNames, columnLabels: FashionMNIST.classNames,
            values: confusion.map { $0.map(Double.init) }, showsValues: true,
            xLabel: "predicted class", yLabel: "true class")
        folder.addFigure(
            title: "Confusion matrix (\(name))",
            files: try Figure.write(svg: matrix.svg(), to: folder.file("confusion-\(name).svg")),
            caption: "Rows: true class; columns: predicted class (test set).")
    }

    /// The span of the moving average that smooths the per-step training loss.
    public static let smoothingSteps = 50

    /// The learning-curve chart: the per-step training loss, smoothed, against the epoch
    /// (fractional), and the validation accuracy after each epoch. Steps restored from a state
    /// of an older version (no step losses) fall back to the epochs' mean losses.
    public static func learningCurves(
        name: String, history: [ImageClassification.EpochResult], stepLosses: [Double],
        stepsPerEpoch: Int
    ) -> LineChart {
        let loss: LineChart.Series
        if stepLosses.isEmpty {
            loss = .init(name: "training loss (epoch mean)", points: history.map { (Double($0.epoch), $0.trainLoss) })
        } else {
            let first = Double(history.count) - Double(stepLosses.count) / Double(max(stepsPerEpoch, 1))
            let smoothed = exponentialMovingAverage(stepLosses, span: smoothingSteps)
            loss = .init(
                name: "loss per step, smoothed",
                points: smoothed.enumerated().map { index, value in
                    (first + Double(index + 1) / Double(max(stepsPerEpoch, 1)), value)
                })
        }
        return LineChart(
            title: "Learning curves (\(name))", xLabel: "epoch", yLabel: "value",
            series: [
                loss,
                .init(name: "validation accuracy", points: history.map { (Double($0.epoch), $0.validationAccuracy) })
            ])
    }

    /// The exponential moving average of `values` with `α = 2 / (span + 1)`, bias-corrected so
    /// that the first values are not pulled towards 0 (as TensorBoard's smoothing).
    public static func exponentialMovingAverage(_ values: [Double], span: Int) -> [Double] {
        let alpha = 2 / (Double(max(span, 1)) + 1)
        var average = 0.0, weight = 0.0
        return values.map { value in
            average = (1 - alpha) * average + alpha * value
            weight = (1 - alpha) * weight + alpha
            return average / weight
        }
    }
}
