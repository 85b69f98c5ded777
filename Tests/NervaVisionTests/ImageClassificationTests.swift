import Foundation
import NervaData
import NervaNN
import NervaTensor
import NervaTestSupport
import NervaVision
import Testing

@Suite struct ImageClassificationTests {
    @Test func trainingLearnsTheBandsAndRecordsEveryStep() throws {
        let data = try TinyFashionMNIST()
        defer { data.remove() }
        let dataset = try data.load()
        let training = ImageClassification(architecture: .mlp, learningRate: 3e-3, generator: RandomGenerator(seed: 2))
        let epochs = try training.train(dataset.train, validation: dataset.test, epochs: 3, batchSize: 32)
        #expect(epochs.map(\.epoch) == [1, 2, 3])
        #expect(epochs.allSatisfy { $0.stepLosses.count == 8 }) // 240 images in batches of 32
        let last = try #require(epochs.last)
        #expect(last.validationAccuracy > 0.8, "a lit band encodes the class; got \(last.validationAccuracy)")
        #expect(abs(last.trainLoss - last.stepLosses.reduce(0, +) / 8) < 0.1) // batch-weighted mean vs plain mean
        #expect(epochs[0].stepLosses.first! > last.stepLosses.last!)
    }

    @Test func divergenceStopsTrainingBeforeTheEpochIsReported() throws {
        let data = try TinyFashionMNIST()
        defer { data.remove() }
        let dataset = try data.load()
        let training = ImageClassification(
            architecture: .mlp, learningRate: .infinity,
            generator: RandomGenerator(seed: 2))
        var reported = 0
        do {
            try training.train(dataset.train, validation: dataset.test, epochs: 2, batchSize: 32) { _ in reported += 1 }
            Issue.record("an infinite learning rate trained without diverging")
        } catch {
            #expect(error is TrainingDivergedError, "\(error)")
        }
        #expect(reported == 0)
    }

    @Test(arguments: ImageClassification.Architecture.allCases)
    func aSavedClassifierLoadsWithItsArchitecture(architecture: ImageClassification.Architecture) throws {
        let model = architecture.makeModel(generator: RandomGenerator(seed: 1))
        let bytes = try Safetensors.encode(model.stateDictionary(), metadata: ["architecture": architecture.rawValue])
        let loaded = try ImageClassification.loadClassifier(checkpoint: bytes)
        let input = Tensor.uniform([2, 1, 28, 28], generator: RandomGenerator(seed: 2))
        model.eval()
        #expect(withoutGradients { loaded(input).scalars == model(input).scalars })
        #expect(!loaded.isTraining)
    }

    @Test func aCheckpointOfAnotherArchitectureIsRefused() throws {
        let lenet = ImageClassification.Architecture.cnn.makeModel(generator: RandomGenerator(seed: 1))
        let bytes = try Safetensors.encode(lenet.stateDictionary(), metadata: ["architecture": "mlp"])
        #expect {
            try ImageClassification.loadClassifier(checkpoint: bytes, source: "c")
        } throws: { error in
            let refused = error as? ClassifierCheckpointError
            guard case .mismatchedTensors(file: "c", architecture: "mlp", _)? = refused else { return false }
            return true
        }
        let unknown = try Safetensors.encode(lenet.stateDictionary(), metadata: ["architecture": "resnet"])
        #expect(throws: ClassifierCheckpointError.unknownArchitecture(file: "c", name: "resnet")) {
            try ImageClassification.loadClassifier(checkpoint: unknown, source: "c")
        }
    }

    @Test func mirroringFlipsRowsOfTheChosenImages() {
        let images = Tensor((0..<12).map(Float.init), shape: [2, 1, 2, 3])
        ImageClassification.mirrorHalf(images, generator: RandomGenerator(seed: 0))
        for image in 0..<2 {
            let rows = images[image].scalars
            let original = (0..<6).map { Float(image * 6 + $0) }
            let mirrored = [original[2], original[1], original[0], original[5], original[4], original[3]]
            #expect(rows == original || rows == mirrored)
        }
    }
}
