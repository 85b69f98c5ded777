import Foundation
import NervaRec
import NervaTestSupport
import Testing

@testable import NervaFed

/// Small planted data: 120 users with taste clusters over 150 items, split leave-one-out.
func plantedSplit(users: Int = 120, items: Int = 150, seed: UInt64 = 3) -> InteractionSplit {
    let data = SyntheticInteractions(users: users, items: items, meanInteractions: 30, clusterCount: 4, seed: seed)
        .dataset
    return SplitRule.leaveOneOut.split(data)
}

@Suite struct FederatedRecommendationTests {
    /// GMF with 4 items of 2 factors: shared `item_embedding.weight` [4, 2], `prediction.weight` [1, 2], `prediction.bias` [1].
    static let tiny = FederatedNCFModel(architecture: .gmf, itemCount: 4, factors: 2)

    static func update(rows: [Int], weights: [Float], items: [[Float]], dense: [Float]) -> ParameterSet {
        let layout = ParameterLayout(
            names: ["item_rows", "item_row_weights", "item_embedding.weight", "prediction.weight", "prediction.bias"],
            shapes: [[rows.count], [rows.count], [rows.count, 2], [1, 2], [1]])
        return ParameterSet(layout: layout, values: rows.map(Float.init) + weights + items.flatMap { $0 } + dense)
    }

    @Test func sharedLayoutHoldsNoUserTable() {
        let layout = Self.tiny.sharedLayout
        #expect(layout.names == ["item_embedding.weight", "prediction.weight", "prediction.bias"])
        let neumf = FederatedNCFModel(architecture: .neumf, itemCount: 10).sharedLayout.names
        #expect(!neumf.contains { $0.lowercased().contains("user") })
        #expect(neumf.contains("gmf_item_embedding.weight") && neumf.contains("mlp_item_embedding.weight"))
    }

    @Test func perRowAggregationMatchesHandComputation() {
        let strategy = RowWeightedFedAvg(model: Self.tiny, clientSettings: FitConfiguration(round: 0))
        #expect(strategy.itemTables == ["item_embedding.weight"])
        let global = ParameterSet(
            layout: Self.tiny.sharedLayout, values: [0, 0, 1, 1, 2, 2, 3, 3, /* dense */ 5, 5, 5])
        // A touches rows 0 and 2 (weights 1 and 3) with 2 examples; B rows 2 and 3 (weights 1, 1) with 6 examples.
        let a = Self.update(rows: [0, 2], weights: [1, 3], items: [[10, 20], [4, 8]], dense: [1, 2, 3])
        let b = Self.update(rows: [2, 3], weights: [1, 1], items: [[8, 0], [7, 9]], dense: [9, 10, 11])
        let aggregate = strategy.aggregateFit(
            round: 1, global: global,
            results: [
                ("a", FitResult(update: a, kind: .parameters, exampleCount: 2)),
                ("b", FitResult(update: b, kind: .parameters, exampleCount: 6))
            ], failures: [])
        let values = aggregate.parameters!.values
        // Row 0: A's; row 1: untouched; row 2: (3·[4, 8] + 1·[8, 0]) / 4 = [5, 6]; row 3: B's.
        #expect(Array(values[0..<8]) == [10, 20, 1, 1, 5, 6, 7, 9])
        // Dense: (2·A + 6·B) / 8.
        #expect(Array(values[8...]) == [7, 8, 9])
        #expect(aggregate.accepted == ["a", "b"] && aggregate.failures.isEmpty)
    }

    @Test func localLearningRateDecaysPerRound() throws {
        let strategy = RowWeightedFedAvg(
            model: Self.tiny, clientSettings: FitConfiguration(round: 0, learningRate: 0.05),
            learningRateDecay: 0.5)
        let first = try strategy.configureFit(round: 1, available: ["a"], generator: RandomGenerator(seed: 1))
        let third = try strategy.configureFit(round: 3, available: ["a"], generator: RandomGenerator(seed: 1))
        #expect(first[0].configuration.learningRate == 0.05)
        #expect(third[0].configuration.learningRate == 0.0125)
    }

    @Test func malformedUpdatesAreRejectedWithReasons() {
        let strategy = RowWeightedFedAvg(model: Self.tiny, clientSettings: FitConfiguration(round: 0))
        let global = ParameterSet(zerosLike: Self.tiny.sharedLayout)
        let good = Self.update(rows: [1], weights: [1], items: [[1, 1]], dense: [0, 0, 0])
        let outOfRange = Self.update(rows: [7], weights: [1], items: [[1, 1]], dense: [0, 0, 0])
        let descending = Self.update(rows: [2, 1], weights: [1, 1], items: [[1, 1], [1, 1]], dense: [0, 0, 0])
        var nan = good
        nan.values[3] = .nan
        let dense = global // the global layout without the index tensors
        let results = [good, outOfRange, descending, nan, dense].enumerated().map { index, update in
            ("p\(index)", FitResult(update: update, kind: .parameters, exampleCount: 5))
        }
        let aggregate = strategy.aggregateFit(round: 1, global: global, results: results, failures: [])
        #expect(aggregate.accepted == ["p0"])
        #expect(aggregate.failures.map(\.participant) == ["p1", "p2", "p3", "p4"])
        #expect(
            aggregate.failures[0].description.contains("item_rows must be distinct ascending item indices in 0..<4"))
        #expect(aggregate.failures[2].reason == .nonFinite(count: 1))
        #expect(aggregate.parameters!.values[2...3] == [1, 1])
    }

    @Test func privateAggregationClipsAndNoisesEveryRow() throws {
        let privacy = DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 0)
        let strategy = try DifferentiallyPrivateStrategy(
            wrapping: RowWeightedFedAvg(model: Self.tiny, clientSettings: FitConfiguration(round: 0)),
            privacy: privacy)
        #expect(strategy.name == "DP-FedAvg (clipped, equal weights)")
        let global = ParameterSet(zerosLike: Self.tiny.sharedLayout)
        // Δ of norm 5 clipped to 1: row 1 gets [0.6, 0.8] / 2 participants; the other participant sends zeros.
        let big = Self.update(rows: [1], weights: [1], items: [[3, 4]], dense: [0, 0, 0])
        let none = Self.update(rows: [2], weights: [9], items: [[0, 0]], dense: [0, 0, 0])
        let values = strategy.aggregateFit(
            round: 1, global: global,
            results: [
                ("a", FitResult(update: big, kind: .parameters, exampleCount: 1)),
                ("b", FitResult(update: none, kind: .parameters, exampleCount: 100))
            ], failures: []
        ).parameters!.values
        expectClose(values, [0, 0, 0.3, 0.4, 0, 0, 0, 0, 0, 0, 0], relativeTolerance: 0, absoluteTolerance: 1e-6)
        let noisy = try DifferentiallyPrivateStrategy(
            wrapping: RowWeightedFedAvg(model: Self.tiny, clientSettings: FitConfiguration(round: 0)),
            privacy: DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 1)
        )
        .aggregateFit(
            round: 1, global: global, results: [("b", FitResult(update: none, kind: .parameters, exampleCount: 1))],
            failures: []
        ).parameters!.values
        #expect(noisy.allSatisfy { $0 != 0 }) // untouched rows are noised too
    }

    static func run(
        _ split: InteractionSplit, architecture: NCFSettings.Architecture = .gmf, rounds: Int, fraction: Double = 1,
        threads: Int = 2, refitEpochs: Int = 1, seed: UInt64 = 1
    )
        throws -> (reports: [RoundReport], federation: FederatedRecommendation, global: ParameterSet)
    {
        let model = FederatedNCFModel(
            architecture: architecture, itemCount: split.train.itemCount, factors: 8, layers: [16, 8],
            refitEpochs: refitEpochs)
        let federation = FederatedRecommendation(split: split, model: model, seed: seed)
        let strategy = RowWeightedFedAvg(
            model: model, sampling: ClientSampling(fraction: fraction),
            clientSettings: FitConfiguration(round: 0, localEpochs: 3, batchSize: 32, learningRate: 0.05), seed: seed)
        let simulation = try federation.simulation(strategy: strategy, seed: seed, concurrency: threads)
        let reports = try simulation.run(rounds: rounds)
        return (reports, federation, simulation.global)
    }

    @Test func learnsPlantedTastesBetterThanPopularity() throws {
        let split = plantedSplit()
        let (reports, federation, _) = try Self.run(split, rounds: 40)
        let popularity = federation.evaluation.evaluate(PopularityRecommender(train: split.train)).hitRate
        let hitRate = reports.last!.federatedEvaluation!.metrics["hit_rate@10"]!
        #expect(reports.last!.federatedEvaluation!.exampleCount == split.train.userCount)
        #expect(hitRate > popularity + 0.03, "federated GMF HR@10 \(hitRate), popularity \(popularity)")
        #expect(reports.last!.trainMetrics["train_loss"]! < reports.first!.trainMetrics["train_loss"]!)
    }

    @Test(arguments: [0, 1]) func sameSeedSameModelWhateverTheThreads(refitEpochs: Int) throws {
        let split = plantedSplit(users: 40, items: 80)
        let one = try Self.run(
            split, architecture: .neumf, rounds: 2, fraction: 0.5, threads: 1, refitEpochs: refitEpochs)
        let two = try Self.run(
            split, architecture: .neumf, rounds: 2, fraction: 0.5, threads: 2, refitEpochs: refitEpochs)
        #expect(one.global == two.global)
        #expect(one.reports.map(\.selected) == two.reports.map(\.selected))
        #expect(one.reports.last!.federatedEvaluation == two.reports.last!.federatedEvaluation)
        let other = try Self.run(split, architecture: .neumf, rounds: 2, fraction: 0.5, threads: 2, seed: 2)
        #expect(other.global != one.global)
    }

    @Test func refitMovesTheUserRowAloneAndLowersTheLoss() throws {
        let model = FederatedNCFModel(architecture: .neumf, itemCount: 30, factors: 4, layers: [8, 4])
        let workspace = NCFWorkspace(model: model)
        // Shared weights as after training (unit scale), so that the user row matters.
        var values = [Float](repeating: 0, count: model.sharedLayout.scalarCount)
        values.withUnsafeMutableBufferPointer { RandomGenerator(seed: 5).fillNormal($0, standardDeviation: 1) }
        let global = ParameterSet(layout: model.sharedLayout, values: values)
        let rows = Array(0..<30)
        try workspace.load(global, rows: rows, user: model.initialUserEmbedding(seed: 6))
        let samples: LocalSamples = ([1, 2, 3, 10, 11, 12, 20, 21], [1, 1, 1, 0, 0, 0, 0, 0])
        func loss() -> Float {
            withoutGradients {
                binaryCrossEntropy(
                    logits: workspace.tables.network.logits(users: Array(repeating: 0, count: 8), items: samples.items),
                    targets: Tensor(samples.labels)
                ).scalar
            }
        }
        let before = (loss(), workspace.userRow())
        workspace.refitUserRow(Array(repeating: samples, count: 20), batchSize: 4, learningRate: 0.05)
        #expect(loss() < before.0 / 2, "refit loss \(loss()) from \(before.0)")
        #expect(workspace.userRow() != before.1)
        #expect(
            workspace.sparseUpdate(rows: rows).values.dropFirst(2 * rows.count) == global.values[...],
            "the shared weights stay as received")
        let parameters = workspace.tables.network.parameters()
        #expect(parameters.allSatisfy { $0.requiresGradient }, "gradients are back on after the refit")
    }

    @Test func rankingAfterARefitLeavesTheDeviceStateAsItWas() throws {
        let split = plantedSplit(users: 30, items: 60)
        let model = FederatedNCFModel(architecture: .gmf, itemCount: split.train.itemCount, factors: 4, refitEpochs: 2)
        let federation = FederatedRecommendation(split: split, model: model, seed: 1)
        let user = federation.participants[0]
        let settings = FitConfiguration(round: 1, localEpochs: 1, batchSize: 16, learningRate: 0.05, seed: 9)
        let global = model.initialParameters(seed: 1)
        _ = try user.fit(
            FitInstruction(model: FederatedNCFModel.protocolDescription, parameters: global, configuration: settings))
        let trained = user.privateUserEmbedding
        let first = try user.evaluate(
            model: FederatedNCFModel.protocolDescription, parameters: global,
            configuration: EvaluateConfiguration(round: 1))
        let again = try user.evaluate(
            model: FederatedNCFModel.protocolDescription, parameters: global,
            configuration: EvaluateConfiguration(round: 1))
        #expect(first == again)
        #expect(user.privateUserEmbedding == trained)
    }
}
