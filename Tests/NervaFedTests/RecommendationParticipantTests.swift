import Foundation
import NervaOptim
import NervaRec
import NervaTestSupport
import Testing

@testable import NervaFed

/// FedProx in the recommendation participant: the proximal term `μ/2·‖w − w_global‖²` over the
/// shared weights it trains.
@Suite struct RecommendationParticipantTests {
    static let tiny = FederatedNCFModel(architecture: .gmf, itemCount: 4, factors: 2)

    /// One SGD step (learning rate 0.1) on one positive for item 1, from the loaded weights
    /// moved by +0.25 away from `global`; returns every shared tensor's values after the step.
    static func sgdStep(mu: Float, global: ParameterSet, rows: [Int]) throws -> [Float] {
        let workspace = NCFWorkspace(model: tiny)
        try workspace.load(global, rows: rows, user: tiny.initialUserEmbedding(seed: 2))
        withoutGradients {
            for target in workspace.targets {
                target.tensor.withUnsafeMutableBufferPointer { w in for i in w.indices { w[i] += 0.25 } }
            }
        }
        let sgd = SGD(workspace.tables.network.parameters(), learningRate: 0.1)
        _ = workspace.train(
            [(items: [1], labels: [1])], batchSize: 1, optimizer: sgd,
            proximal: mu > 0 ? (mu, global, rows) : nil)
        return workspace.targets.flatMap(\.tensor.scalars)
    }

    @Test func proximalStepMatchesHandComputation() throws {
        // Prepare: item_embedding.weight [4, 2], prediction.weight [1, 2], prediction.bias [1]; rows 1 and 2 loaded.
        let global = ParameterSet(layout: Self.tiny.sharedLayout, values: (1...11).map { Float($0) / 10 })
        // Execute
        let plain = try Self.sgdStep(mu: 0, global: global, rows: [1, 2])
        let proximal = try Self.sgdStep(mu: 2, global: global, rows: [1, 2])
        // Assert: w − η·(g + μ·(w − w_global)) against w − η·g: a difference of −η·μ·0.25 = −0.05 on
        // every loaded weight (row 2 too, which this batch does not touch), none on rows 0 and 3.
        let difference = zip(proximal, plain).map { $0 - $1 }
        let loaded: [Float] = [0, 0, -0.05, -0.05, -0.05, -0.05, 0, 0, -0.05, -0.05, -0.05]
        expectClose(difference, loaded, relativeTolerance: 0, absoluteTolerance: 1e-6)
    }

    /// The distance between the shared weights a user sends and the global ones after 5 local epochs with `μ`.
    static func distanceFromGlobal(mu: Float) throws -> Double {
        let split = plantedSplit(users: 20, items: 40)
        let model = FederatedNCFModel(architecture: .gmf, itemCount: split.train.itemCount, factors: 4)
        let user = FederatedRecommendation(split: split, model: model, seed: 1).participants[0]
        let global = model.initialParameters(seed: 1)
        let settings = FitConfiguration(
            round: 1, localEpochs: 5, batchSize: 8, learningRate: 0.05, proximalMu: mu, seed: 9)
        let result = try user.fit(
            FitInstruction(model: FederatedNCFModel.protocolDescription, parameters: global, configuration: settings))
        let change = try RowWeightedFedAvg(model: model, clientSettings: settings).change(of: result, global: global)
        return change.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
    }

    @Test func muPullsTheUpdateTowardTheGlobalModel() throws {
        let free = try Self.distanceFromGlobal(mu: 0)
        let held = try Self.distanceFromGlobal(mu: 5)
        #expect(free > 0 && held < free, "‖Δ‖ with μ = 5: \(held), with μ = 0: \(free)")
        #expect(try Self.distanceFromGlobal(mu: 0) == free, "seeded: the same update again")
    }

    @Test func negativeOrNaNMuIsRefused() throws {
        let split = plantedSplit(users: 20, items: 40)
        let model = FederatedNCFModel(architecture: .gmf, itemCount: split.train.itemCount, factors: 4)
        let user = FederatedRecommendation(split: split, model: model, seed: 1).participants[0]
        for mu in [Float(-1), .nan] {
            let settings = FitConfiguration(round: 1, proximalMu: mu)
            #expect(throws: FederatedError.self) {
                try user.fit(
                    FitInstruction(
                        model: FederatedNCFModel.protocolDescription, parameters: model.initialParameters(seed: 1),
                        configuration: settings))
            }
        }
    }
}
