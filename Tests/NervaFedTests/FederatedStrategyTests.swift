import Testing

@testable import NervaFed

@Suite struct FederatedStrategyTests {
    private let layout = ParameterLayout(names: ["w", "b"], shapes: [[2], [1]])
    private func set(_ values: [Float]) -> ParameterSet { ParameterSet(layout: layout, values: values) }
    private func result(_ values: [Float], _ count: Int, kind: UpdateKind = .parameters) -> FitResult {
        FitResult(update: set(values), kind: kind, exampleCount: count, metrics: ["train_loss": Double(count)])
    }

    @Test func fedAvgWeightsUpdatesByExampleCount() throws {
        let strategy = FederatedStrategy.fedAvg(clientSettings: FitConfiguration(round: 0))
        let aggregate = strategy.aggregateFit(
            round: 1, global: set([0, 0, 0]),
            results: [("a", result([1, 2, 3], 1)), ("b", result([5, 6, 7], 3))], failures: [])
        #expect(aggregate.parameters?.values == [4, 5, 6])
        #expect(aggregate.accepted == ["a", "b"])
        #expect(aggregate.metrics["train_loss"] == 2.5) // (1·1 + 3·3) / 4
        let unweighted = FederatedStrategy.fedAvg(clientSettings: FitConfiguration(round: 0), weighted: false)
            .aggregateFit(
                round: 1, global: set([0, 0, 0]), results: [("a", result([1, 2, 3], 1)), ("b", result([5, 6, 7], 3))],
                failures: [])
        #expect(unweighted.parameters?.values == [3, 4, 5])
    }

    @Test func badUpdatesBecomeFailuresWithReasons() {
        let strategy = FederatedStrategy(
            name: "test", clientSettings: FitConfiguration(round: 0),
            validation: UpdateValidation(maximumNorm: 100))
        let wrongShape = FitResult(
            update: ParameterSet(layout: ParameterLayout(names: ["w", "b"], shapes: [[3], [1]]), values: [1, 1, 1, 1]),
            kind: .parameters, exampleCount: 10)
        let aggregate = strategy.aggregateFit(
            round: 1, global: set([0, 0, 0]),
            results: [
                ("good", result([1, 1, 1], 10)),
                ("nan", result([.nan, 1, .infinity], 10)),
                ("huge", result([1e6, 0, 0], 10)),
                ("shape", wrongShape),
                ("empty", result([1, 1, 1], 0)),
                ("gradient", result([1, 1, 1], 10, kind: .gradient))
            ], failures: [ParticipantFailure(participant: "gone", reason: .error("connection lost"))])
        #expect(aggregate.parameters?.values == [1, 1, 1])
        #expect(aggregate.accepted == ["good"])
        let reasons = Dictionary(uniqueKeysWithValues: aggregate.failures.map { ($0.participant, $0.reason) })
        #expect(reasons["nan"] == .nonFinite(count: 2))
        #expect(reasons["huge"] == .normTooLarge(norm: 1e6, limit: 100))
        #expect(reasons["shape"] == .wrongLayout("\"w\" has shape [3], expected [2]"))
        #expect(reasons["empty"] == .invalidExampleCount(0))
        #expect(reasons["gradient"] == .wrongKind(expected: .parameters, actual: .gradient))
        #expect(reasons["gone"] == .error("connection lost"))
    }

    @Test func tooFewResultsKeepTheGlobalModel() {
        let strategy = FederatedStrategy(
            name: "test", sampling: ClientSampling(minimumResults: 2), clientSettings: FitConfiguration(round: 0))
        let aggregate = strategy.aggregateFit(
            round: 1, global: set([0, 0, 0]), results: [("a", result([1, 1, 1], 5))], failures: [])
        #expect(aggregate.parameters == nil)
    }

    @Test func samplingHonoursFractionAndMinimums() throws {
        let names = (0..<100).map { "client-\($0)" }
        let sampling = ClientSampling(fraction: 0.1, minimumParticipants: 2)
        let chosen = try sampling.sample(names, generator: RandomGenerator(seed: 1))
        #expect(chosen.count == 10 && Set(chosen).count == 10)
        #expect(try sampling.sample(names, generator: RandomGenerator(seed: 1)) == chosen)
        #expect(
            try ClientSampling(fraction: 0.1, minimumParticipants: 3).sample(
                Array(names.prefix(10)), generator: RandomGenerator(seed: 1)
            ).count == 3)
        #expect(throws: FederatedError.tooFewParticipants(available: 2, required: 5)) {
            try ClientSampling(minimumAvailable: 5).sample(["a", "b"], generator: RandomGenerator(seed: 1))
        }
        let plan = try FederatedStrategy.fedProx(
            mu: 0.1, clientSettings: FitConfiguration(round: 0), sampling: sampling, seed: 4
        )
        .configureFit(round: 7, available: names, generator: RandomGenerator(seed: 2))
        #expect(plan.allSatisfy { $0.configuration.round == 7 && $0.configuration.proximalMu == 0.1 })
        #expect(Set(plan.map(\.configuration.seed)).count == plan.count)
    }

    @Test func fedSGDStepsAlongTheWeightedGradient() {
        let strategy = FederatedStrategy.fedSGD(serverLearningRate: 0.5, clientSettings: FitConfiguration(round: 0))
        let aggregate = strategy.aggregateFit(
            round: 1, global: set([1, 1, 1]),
            results: [
                ("a", result([2, 0, 0], 1, kind: .gradient)), ("b", result([0, 4, 0], 1, kind: .gradient))
            ], failures: [])
        #expect(aggregate.parameters?.values == [0.5, 0, 1]) // 1 − 0.5 · [1, 2, 0]
    }

    @Test func serverOptimizersFollowTheirUpdateRules() {
        // FedAvgM: v = Δ, then v = 0.9·v + Δ.
        let momentum = FederatedStrategy.withServerOptimizer(
            .momentum(learningRate: 1, momentum: 0.9), clientSettings: FitConfiguration(round: 0))
        let first = momentum.aggregateFit(
            round: 1, global: set([0, 0, 0]), results: [("a", result([1, 0, 0], 1))], failures: []
        ).parameters!
        #expect(first.values == [1, 0, 0])
        let second = momentum.aggregateFit(
            round: 2, global: first, results: [("a", result([2, 0, 0], 1))], failures: []
        ).parameters!
        #expect(abs(second.values[0] - 2.9) < 1e-6) // 1 + (0.9·1 + 1)
        // FedAdam, first round: m = 0.1·Δ = 0.2, v = 0.01·Δ² = 0.04, x += η·m/(√v + τ) = 0.1·0.2/(0.2 + τ).
        let adam = FederatedStrategy.withServerOptimizer(
            .adam(learningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3),
            clientSettings: FitConfiguration(round: 0))
        let stepped = adam.aggregateFit(
            round: 1, global: set([0, 0, 0]), results: [("a", result([2, -2, 0], 1))], failures: []
        ).parameters!
        let expected = Float(0.1 * 0.2 / (0.2 + 1e-3))
        #expect(
            abs(stepped.values[0] - expected) < 1e-5 && abs(stepped.values[1] + expected) < 1e-5
                && stepped.values[2] == 0)
        for optimizer in [ServerOptimizer.yogi(), .adagrad()] {
            let strategy = FederatedStrategy.withServerOptimizer(optimizer, clientSettings: FitConfiguration(round: 0))
            let values = strategy.aggregateFit(
                round: 1, global: set([0, 0, 0]), results: [("a", result([1, -1, 0], 1))], failures: []
            ).parameters!.values
            #expect(values[0] > 0 && values[1] < 0 && values[2] == 0, "\(optimizer)")
        }
    }

    @Test func evaluationsAreWeightedByExampleCount() {
        let summary = EvaluationSummary(combining: [
            ParticipantEvaluation(loss: 1, exampleCount: 10, metrics: ["accuracy": 0.5]),
            ParticipantEvaluation(loss: 3, exampleCount: 30, metrics: ["accuracy": 0.9])
        ])
        #expect(summary?.loss == 2.5 && summary?.exampleCount == 40)
        #expect(abs((summary?.metrics["accuracy"] ?? 0) - 0.8) < 1e-12)
    }
}
