import Foundation
import Testing

@testable import NervaRec

@Suite struct NCFTrainerSelectionTests {
    let synthetic = SyntheticInteractions(users: 120, items: 150, meanInteractions: 30, seed: 5)

    @Test func earlyStoppingKeepsTheBestValidationEpochWithoutSeeingTheTest() throws {
        let split = SplitRule.leaveOneOut.split(synthetic.dataset)
        var settings = NCFSettings()
        settings.epochs = 6
        settings.patience = 2
        settings.learningRate = 0.01
        settings.validation = true
        settings.refit = false
        settings.seed = 2
        var reports: [NCFTrainer.EpochReport] = []
        var networks: [any NCFNetwork] = []
        let network = try NCFTrainer.trainModel(
            settings: settings, train: split.train.implicit(), onNetwork: { networks.append($0) },
            onEpoch: { _, report in reports.append(report) })
        // The trainer saw only the training rows minus one validation row per user.
        let validationSplit = SplitRule.leaveOneOut.split(split.train.implicit())
        #expect(validationSplit.test.count == split.train.userCount)
        #expect(networks.count == 1 && networks[0] === network)
        let scores = try reports.map { try #require($0.validationNDCG) }
        let best = scores.max()!
        // Stopped at most `patience` epochs after the best one.
        #expect(reports.count <= scores.firstIndex(of: best)! + 1 + settings.patience)
        // The returned parameters are the best epoch's: measuring again gives its NDCG.
        let validation = SampledRankingEvaluation(
            split: validationSplit, negativeCount: 99, seed: settings.seed &+ 0x5EED)
        let again = validation.evaluate(NCFRecommender(network, name: "neumf"), cutoff: 10)
        #expect(abs(again.ndcg - best) < 1e-9)
    }

    @Test func tailAveragingReturnsTheMeanOfTheLastEpochs() throws {
        let train = SplitRule.leaveOneOut.split(synthetic.dataset).train.implicit()
        var settings = NCFSettings()
        settings.epochs = 4
        settings.validation = false
        settings.learningRate = 0.01
        settings.seed = 3
        // Without averaging: the parameters after each epoch.
        settings.averagedEpochs = 1
        var network: (any NCFNetwork)?
        var snapshots: [[[Float]]] = []
        _ = try NCFTrainer.trainModel(
            settings: settings, train: train, onNetwork: { network = $0 },
            onEpoch: { _, _ in snapshots.append(network!.parameters().map(\.scalars)) })
        // With averaging over 3: the same trajectory, and the mean of epochs 2–4 at the end.
        settings.averagedEpochs = 3
        let averaged = try NCFTrainer.trainModel(settings: settings, train: train).parameters().map(\.scalars)
        #expect(snapshots.count == 4)
        for (k, tensor) in averaged.enumerated() {
            let expected = tensor.indices.map { i in (snapshots[1][k][i] + snapshots[2][k][i] + snapshots[3][k][i]) / 3
            }
            #expect(zip(tensor, expected).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        }
        #expect(averaged != snapshots[3])
    }

    @Test func refitTrainsOnAllTrainingRowsForTheChosenEpochs() throws {
        var settings = NCFSettings()
        settings.epochs = 3
        settings.patience = 1
        settings.validation = true
        settings.refit = true
        var stages: [String: Int] = [:]
        _ = try NCFTrainer.trainModel(
            settings: settings, train: synthetic.dataset.implicit(),
            onEpoch: { stage, report in stages[stage] = report.epoch })
        #expect(stages["neumf"] != nil)
        #expect(stages["refit-neumf"] != nil && stages["refit-neumf"]! <= stages["neumf"]!)
    }

    @Test func weightDecayShrinksOnlyTheRowsABatchTouches() throws {
        var settings = NCFSettings()
        settings.weightDecay = 0.5
        settings.architecture = .gmf
        let data = synthetic.dataset.implicit()
        let trainer = try NCFTrainer(settings: settings, train: data)
        let network = settings.makeNetwork(users: data.userCount, items: data.itemCount) as! GMF
        let optimizer = trainer.makeOptimizer(network, learningRate: 0.01)
        #expect(optimizer.weightDecay == 0.5)
        let before = network.userEmbedding.weight.scalars
        trainer.step(network, optimizer: optimizer, users: [4], items: [7], labels: [1])
        let after = network.userEmbedding.weight.scalars
        let width = settings.factors
        #expect((0..<width).contains { before[4 * width + $0] != after[4 * width + $0] })
        #expect(before[0..<width] == after[0..<width])
    }
}
