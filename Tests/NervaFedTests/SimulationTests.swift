import Foundation
import NervaData
import Testing

@testable import NervaFed

/// A participant that always fails, or always sends NaN: the round must go on without it.
final class BrokenParticipant: FederatedParticipant {
    enum Behaviour { case throwing, nan }
    let id: String
    let behaviour: Behaviour
    init(id: String, behaviour: Behaviour) {
        self.id = id
        self.behaviour = behaviour
    }

    func fit(_ instruction: FitInstruction) throws -> FitResult {
        switch behaviour {
        case .throwing: throw FederatedError.noLocalData(participant: id)
        case .nan:
            var update = instruction.parameters
            update.values[0] = .nan
            return FitResult(update: update, kind: .parameters, exampleCount: 1_000)
        }
    }

    func evaluate(model: ModelDescription, parameters: ParameterSet, configuration: EvaluateConfiguration) throws
        -> ParticipantEvaluation
    {
        throw FederatedError.noLocalData(participant: id)
    }
}

@Suite struct SimulationTests {
    /// 4×4 images of 4 classes: class k lights row k (plus noise).
    static func toyData(count: Int, seed: UInt64) -> LabeledImages {
        let rng = RandomGenerator(seed: seed)
        let labels = (0..<count).map { _ in rng.integer(below: 4) }
        var pixels = [Float](repeating: 0, count: count * 16)
        for (i, label) in labels.enumerated() {
            for p in 0..<16 { pixels[i * 16 + p] = p / 4 == label ? 1 : 0.3 * rng.uniform() }
        }
        return LabeledImages(images: Tensor(pixels, shape: [count, 1, 4, 4]), labels: labels)
    }

    static let model = ModelDescription.mlp(inputShape: [1, 4, 4], hiddenSizes: [16], classCount: 4)

    static func participants(_ data: LabeledImages, clients: Int, scheme: PartitionScheme = .iid)
        -> [ClassificationParticipant]
    {
        let parts = Partition.split(
            labels: data.labels, classCount: 4, clientCount: clients, scheme: scheme,
            generator: RandomGenerator(seed: 5))
        return parts.enumerated().map {
            ClassificationParticipant(
                id: String(format: "client-%02d", $0.offset), data: data, trainIndices: $0.element)
        }
    }

    static func simulation(
        _ participants: [any FederatedParticipant], strategy: any Strategy, concurrency: Int,
        test: LabeledImages
    ) throws -> FederatedSimulation {
        let evaluator = try ClassificationEvaluator(model: model, data: test)
        return try FederatedSimulation(
            model: model, participants: participants, strategy: strategy, seed: 3,
            concurrency: concurrency, centralEvaluation: { try evaluator.evaluate($0) })
    }

    static let settings = FitConfiguration(round: 0, localEpochs: 1, batchSize: 8, learningRate: 0.1, momentum: 0.5)

    @Test func fedAvgLearnsAndIsReproducibleAcrossThreadCounts() throws {
        let data = Self.toyData(count: 800, seed: 1), test = Self.toyData(count: 200, seed: 2)
        var finals: [ParameterSet] = []
        for concurrency in [1, 2] {
            let strategy = FederatedStrategy.fedAvg(
                clientSettings: Self.settings, sampling: ClientSampling(fraction: 0.5), seed: 9)
            let simulation = try Self.simulation(
                Self.participants(data, clients: 8), strategy: strategy, concurrency: concurrency, test: test)
            let reports = try simulation.run(rounds: 5)
            #expect(reports.allSatisfy { $0.selected.count == 4 && $0.accepted.count == 4 && $0.isUpdated })
            let accuracy = try #require(reports.last?.centralEvaluation?.metrics["accuracy"])
            #expect(accuracy > 0.9, "accuracy \(accuracy)")
            finals.append(simulation.global)
        }
        #expect(finals[0] == finals[1], "results depend on the number of threads")
    }

    @Test func theWireFormatChangesNothing() throws {
        let data = Self.toyData(count: 400, seed: 1), test = Self.toyData(count: 100, seed: 2)
        var finals: [ParameterSet] = []
        for wired in [false, true] {
            let clients: [any FederatedParticipant] = Self.participants(data, clients: 4).map {
                wired ? WireParticipant($0) as any FederatedParticipant : $0
            }
            let strategy = FederatedStrategy.fedAvg(clientSettings: Self.settings, seed: 1)
            let simulation = try Self.simulation(clients, strategy: strategy, concurrency: 2, test: test)
            try simulation.run(rounds: 2)
            finals.append(simulation.global)
        }
        #expect(finals[0] == finals[1])
    }

    @Test func failingAndPoisonedParticipantsAreCountedNotFatal() throws {
        let data = Self.toyData(count: 400, seed: 1), test = Self.toyData(count: 100, seed: 2)
        let clients: [any FederatedParticipant] =
            Self.participants(data, clients: 4)
            + [
                BrokenParticipant(id: "vanished", behaviour: .throwing),
                BrokenParticipant(id: "poisoned", behaviour: .nan)
            ]
        let strategy = FederatedStrategy(name: "FedAvg", clientSettings: Self.settings, evaluationFraction: 1, seed: 1)
        let simulation = try Self.simulation(clients, strategy: strategy, concurrency: 2, test: test)
        let reports = try simulation.run(rounds: 3)
        for report in reports {
            #expect(report.accepted.count == 4 && report.isUpdated)
            let reasons = Dictionary(uniqueKeysWithValues: report.failures.map { ($0.participant, $0.reason) })
            #expect(reasons["poisoned"] == .nonFinite(count: 1))
            #expect(reasons["vanished"] == .error("participant vanished has no local examples"))
            #expect(report.federatedEvaluation?.exampleCount == 400) // the broken ones fail to evaluate
        }
        #expect((reports.last?.centralEvaluation?.metrics["accuracy"] ?? 0) > 0.8)
    }

    @Test func fedProxKeepsLocalModelsCloserToTheGlobalOne() throws {
        let data = Self.toyData(count: 400, seed: 1)
        let participant = Self.participants(data, clients: 1)[0]
        let global = ParameterSet(module: try Self.model.makeModel(generator: RandomGenerator(seed: 4)))
        func drift(mu: Float) throws -> Double {
            var settings = Self.settings
            settings.localEpochs = 3
            settings.proximalMu = mu
            let result = try participant.fit(
                FitInstruction(model: Self.model, parameters: global, configuration: settings))
            return result.update.subtracting(global).norm
        }
        let free = try drift(mu: 0), proximal = try drift(mu: 5)
        #expect(proximal < 0.7 * free, "drift \(proximal) with μ = 5, \(free) without")
    }

    @Test func fedSGDAndRobustStrategiesLearnToo() throws {
        let data = Self.toyData(count: 600, seed: 1), test = Self.toyData(count: 200, seed: 2)
        let strategies = [
            FederatedStrategy.fedSGD(serverLearningRate: 1, clientSettings: FitConfiguration(round: 0, batchSize: 100)),
            .robust(.coordinateMedian, clientSettings: Self.settings),
            .robust(.krum(byzantine: 1, selected: 2), clientSettings: Self.settings),
            .withServerOptimizer(.adam(learningRate: 0.03), clientSettings: Self.settings)
        ]
        for strategy in strategies {
            let simulation = try Self.simulation(
                Self.participants(data, clients: 6), strategy: strategy, concurrency: 2, test: test)
            let reports = try simulation.run(rounds: strategy.name == "FedSGD" ? 30 : 4)
            let accuracy = reports.last?.centralEvaluation?.metrics["accuracy"] ?? 0
            #expect(accuracy > 0.85, "\(strategy.name): accuracy \(accuracy)")
        }
    }
}
