import Foundation
import Testing

@testable import NervaRec

@Suite struct NCFTests {
    @Test func shapesAndPaperDefaults() {
        let neumf = NeuMF(users: 10, items: 20)
        #expect(neumf.logits(users: [0, 1, 9], items: [3, 4, 19]).shape == [3])
        #expect(neumf.gmfUserEmbedding.dimension == 8 && neumf.mlpUserEmbedding.dimension == 32)
        #expect(neumf.tower.linearLayers.map(\.outputSize) == [32, 16, 8] && neumf.prediction.inputSize == 16)
        #expect(neumf.namedParameters().map(\.name).first == "gmf_user_embedding.weight")
        #expect(GMF(users: 4, items: 5).logits(users: [0, 1], items: [2, 3]).shape == [2])
        #expect(NCFMLP(users: 4, items: 5, layers: [16, 8, 4]).logits(users: [0], items: [4]).shape == [1])
        let paper = NCFSettings.paper
        #expect(paper.factors == 8 && paper.layers == [64, 32, 16, 8] && paper.negatives == 4 && paper.epochs == 20)
        #expect(paper.learningRate == 0.001 && paper.batchSize == 256 && !paper.pretrain && !paper.validation)
        let defaults = NCFSettings()
        #expect(defaults.factors == 32 && defaults.layers == paper.layers && defaults.negatives == 4)
        #expect(defaults.learningRate == 0.001 && defaults.batchSize == 256 && defaults.validation && defaults.refit)
    }

    @Test func embeddingGradientsStaySparse() throws {
        let neumf = NeuMF(users: 50, items: 60)
        let loss = binaryCrossEntropy(
            logits: neumf.logits(users: [3, 3, 7], items: [1, 2, 1]), targets: Tensor([1, 0, 1]))
        loss.backward()
        let gradient = try #require(neumf.gmfItemEmbedding.weight.gradient)
        #expect(gradient.isRowSparse)
        #expect(Set(gradient.coalesced().sparseRowIndices!) == [1, 2])
        let before = neumf.mlpUserEmbedding.weight.scalars
        Adam(neumf.parameters()).step()
        let after = neumf.mlpUserEmbedding.weight.scalars
        var changedRows = Set<Int>()
        for row in 0..<50 where (0..<32).contains(where: { before[row * 32 + $0] != after[row * 32 + $0] }) {
            changedRows.insert(row)
        }
        #expect(changedRows == [3, 7])
    }

    @Test func fastScoringMatchesTheForwardPass() {
        for network in [
            NeuMF(users: 7, items: 13, generator: RandomGenerator(seed: 1)) as any NCFNetwork,
            GMF(users: 7, items: 13, generator: RandomGenerator(seed: 2)),
            NCFMLP(users: 7, items: 13, layers: [16, 8, 4], generator: RandomGenerator(seed: 3))
        ] {
            var all = [Float](repeating: 0, count: 7 * 13)
            all.withUnsafeMutableBufferPointer { network.scoreAll(users: 0..<7, into: $0.baseAddress!) }
            let users = (0..<7).flatMap { Array(repeating: $0, count: 13) },
                items = (0..<7).flatMap { _ in Array(0..<13) }
            let direct = withoutGradients { network.logits(users: users, items: items) }.scalars
            for (a, b) in zip(all, direct) { #expect(abs(a - b) < 1e-5) }
        }
    }

    @Test func pretrainedNeuMFFusesGMFAndMLP() {
        let gmf = GMF(users: 5, items: 6, generator: RandomGenerator(seed: 1))
        let mlp = NCFMLP(users: 5, items: 6, generator: RandomGenerator(seed: 2))
        let neumf = NeuMF(pretrainedGMF: gmf, mlp: mlp, alpha: 0.5)
        let users = [0, 1, 4], items = [5, 2, 0]
        let expected = withoutGradients {
            (gmf.logits(users: users, items: items) + mlp.logits(users: users, items: items)) * 0.5
        }
        let fused = withoutGradients { neumf.logits(users: users, items: items) }
        for (a, b) in zip(fused.scalars, expected.scalars) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func neuMFLearnsThePlantedStructure() throws {
        let synthetic = SyntheticInteractions(users: 300, items: 300, meanInteractions: 40, seed: 11)
        let split = SplitRule.leaveOneOut.split(synthetic.dataset)
        var settings = NCFSettings()
        settings.epochs = 5
        settings.learningRate = 0.005
        settings.seed = 3
        let trainer = try NCFTrainer(settings: settings, train: split.train.implicit())
        var losses: [Double] = []
        let network = try trainer.trainModel(onEpoch: { losses.append($1.loss) })
        #expect(losses.last! < losses.first!)
        let model = NCFRecommender(network, name: "neumf")
        let evaluation = SampledRankingEvaluation(split: split, seed: 1)
        let neumf = evaluation.evaluate(model),
            popularity = evaluation.evaluate(PopularityRecommender(train: split.train))
        #expect(neumf.hitRate > popularity.hitRate + 0.1)
        let seen = UserItemMatrix(split.train)
        let lists = (0..<synthetic.dataset.userCount).map {
            model.recommend(user: $0, count: 10, excluding: seen).map(\.item)
        }
        let popular = PopularityRecommender(train: split.train)
        let popularLists = (0..<synthetic.dataset.userCount).map {
            popular.recommend(user: $0, count: 10, excluding: seen).map(\.item)
        }
        #expect(synthetic.plantedPrecision(lists) > synthetic.plantedPrecision(popularLists) + 0.2)
    }

    @Test func trainingIsReproducible() throws {
        let data = SyntheticInteractions(users: 30, items: 50, meanInteractions: 20, seed: 1).dataset.implicit()
        var settings = NCFSettings()
        settings.epochs = 1
        let a = try NCFTrainer(settings: settings, train: data).trainModel(),
            b = try NCFTrainer(settings: settings, train: data).trainModel()
        #expect(a.stateDictionary()["prediction.weight"]!.scalars == b.stateDictionary()["prediction.weight"]!.scalars)
    }
}
