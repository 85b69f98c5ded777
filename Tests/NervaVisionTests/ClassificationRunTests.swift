import Foundation
import NervaData
import NervaNN
import NervaTestSupport
import NervaVision
import Testing

@Suite struct ClassificationRunTests {
    @Test func aRunTrainsSavesAndDrawsPerStepCurves() throws {
        let data = try TinyFashionMNIST()
        defer { data.remove() }
        let out = data.url.appendingPathComponent("run")
        var configuration = ClassificationConfiguration(architecture: .mlp)
        configuration.epochs = 2
        configuration.batchSize = 20
        configuration.seed = 4
        let folder = try RunFolder(command: "classify", out: out.path, settings: configuration.settingsTable)
        var lines: [String] = []
        var run = ClassificationRun(configuration: configuration)
        run.output = { lines.append($0) }
        let result = try run.run(on: data.load(), folder: folder)
        #expect(result.testAccuracy > 0.5)
        #expect(result.history.count == 2 && lines.contains { $0.hasPrefix("epoch 2  loss") })
        // 220 training images (a twelfth is held out) in batches of 20: 11 steps per epoch.
        let state = try ClassificationState(contentsOf: out.appendingPathComponent(ClassificationState.fileName))
        #expect(state.stepLosses.count == 22 && state.configuration == configuration)
        let loaded = try ImageClassification.loadClassifier(from: result.checkpoint)
        #expect(loaded.classCount == 10)
        let svg = try String(contentsOf: out.appendingPathComponent("learning-curves-mlp.svg"), encoding: .utf8)
        #expect(svg.contains("loss per step, smoothed"))
    }

    @Test func theLearningCurveHasAPointPerStepEvenForOneEpoch() {
        let history = [
            ImageClassification.EpochResult(
                epoch: 1, trainLoss: 1, validationAccuracy: 0.7,
                samplesPerSecond: 1)
        ]
        let steps = (0..<40).map { 2 - Double($0) / 40 }
        let chart = ClassificationRun.learningCurves(
            name: "cnn", history: history, stepLosses: steps,
            stepsPerEpoch: 40)
        let loss = chart.series[0].points
        #expect(loss.count == 40)
        #expect(loss.first!.x == 1.0 / 40 && loss.last!.x == 1)
        #expect(loss.first!.y == 2) // bias-corrected: the first value is not pulled towards 0
        #expect(chart.series[1].points.count == 1)
    }

    @Test func theMovingAverageIsBiasCorrected() {
        let smoothed = ClassificationRun.exponentialMovingAverage([4, 4, 4, 0], span: 3) // α = 0.5
        #expect(smoothed[0] == 4 && smoothed[1] == 4 && smoothed[2] == 4)
        #expect(abs(smoothed[3] - 4 * (0.5 * 0.875) / 0.9375) < 1e-12)
    }

    @Test func resumingAFolderWithoutAStateSaysSo() {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("nerva-no-state-\(UUID().uuidString)")
        #expect(throws: ClassificationStateError.missing(file: folder.path, key: ClassificationState.fileName)) {
            try ClassificationRun.resumedConfiguration(in: folder)
        }
    }
}
