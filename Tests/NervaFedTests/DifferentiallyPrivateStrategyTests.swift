import Foundation
import NervaTestSupport
import Testing

@testable import NervaFed

@Suite struct DifferentiallyPrivateStrategyTests {
    static let layout = ParameterLayout(names: ["w"], shapes: [[2]])

    static func result(_ values: [Float], examples: Int) -> FitResult {
        FitResult(update: ParameterSet(layout: layout, values: values), kind: .parameters, exampleCount: examples)
    }

    @Test func aroundFedAvgClipsAndAveragesWithEqualWeights() throws {
        // Prepare: Δ = [3, 4] (norm 5, clipped to S = 1: [0.6, 0.8]) from 1 example, Δ = [0.3, 0.4] from 100.
        let strategy = try DifferentiallyPrivateStrategy(
            wrapping: FederatedStrategy.fedAvg(clientSettings: FitConfiguration(round: 0)),
            privacy: DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 0))
        let global = ParameterSet(layout: Self.layout, values: [1, 1])
        // Execute
        let aggregate = strategy.aggregateFit(
            round: 1, global: global,
            results: [("a", Self.result([4, 5], examples: 1)), ("b", Self.result([1.3, 1.4], examples: 100))],
            failures: [])
        // Assert: 1 + ([0.6, 0.8] + [0.3, 0.4]) / 2, whatever the example counts.
        expectClose(
            try #require(aggregate.parameters).values, [1.45, 1.6], relativeTolerance: 0, absoluteTolerance: 1e-6)
        #expect(strategy.name == "DP-FedAvg" && aggregate.accepted == ["a", "b"])
        #expect(aggregate.metrics["noise_standard_deviation"] == 0)
    }

    @Test func noiseIsTheSeededGaussianOfDPFedAvg() throws {
        let privacy = DifferentialPrivacy(clippingNorm: 2, noiseMultiplier: 1.5)
        let strategy = try DifferentiallyPrivateStrategy(
            wrapping: FederatedStrategy.fedAvg(clientSettings: FitConfiguration(round: 0), seed: 7),
            privacy: privacy)
        let global = ParameterSet(layout: Self.layout, values: [0, 0])
        let results = [("a", Self.result([1, 0], examples: 3)), ("b", Self.result([0, 1], examples: 5))]
        let aggregate = strategy.aggregateFit(round: 4, global: global, results: results, failures: [])
        // The same noise as `privateMean` with the server's generator for round 4 (the seed of DP-FedAvg before it was a wrapper).
        let expected = privacy.privateMean(
            of: [[1, 0], [0, 1]],
            generator: RandomGenerator(seed: FederatedStrategy.seed(7, round: 4, participant: "server-noise")))
        #expect(try #require(aggregate.parameters).values == expected)
        #expect(aggregate.metrics["noise_standard_deviation"] == 1.5)
        #expect(expected != [0.5, 0.5])
    }

    @Test func aroundFedAdamTheServerOptimiserStepsAlongTheClippedMean() throws {
        func fedAdam() -> FederatedStrategy {
            .withServerOptimizer(.adam(learningRate: 0.1), clientSettings: FitConfiguration(round: 0))
        }
        let strategy = try DifferentiallyPrivateStrategy(
            wrapping: fedAdam(), privacy: DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 0))
        let global = ParameterSet(layout: Self.layout, values: [1, 1])
        let results = [("a", Self.result([4, 5], examples: 1)), ("b", Self.result([1.3, 1.4], examples: 100))]
        let reference = fedAdam()
        for round in 1...2 { // the second round uses the moments of the first
            let values = try #require(
                strategy.aggregateFit(round: round, global: global, results: results, failures: []).parameters
            ).values
            let expected = reference.step(global: global, along: [0.45, 0.6])
            expectClose(values, expected, relativeTolerance: 1e-6, absoluteTolerance: 1e-7)
            #expect(values != [1.45, 1.6]) // Adam's step, not the plain mean
        }
        #expect(strategy.name == "DP-FedAdam" && strategy.serverState == reference.serverState)
    }

    @Test func rejectedUpdatesStayFailuresAndTooFewKeepTheModel() throws {
        let base = FederatedStrategy.fedAvg(
            clientSettings: FitConfiguration(round: 0), sampling: ClientSampling(minimumResults: 2))
        let strategy = try DifferentiallyPrivateStrategy(
            wrapping: base, privacy: DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 1))
        let global = ParameterSet(layout: Self.layout, values: [0, 0])
        let aggregate = strategy.aggregateFit(
            round: 1, global: global,
            results: [("a", Self.result([1, 0], examples: 1)), ("nan", Self.result([.nan, 0], examples: 1))],
            failures: [])
        #expect(aggregate.parameters == nil && aggregate.accepted.isEmpty)
        #expect(
            aggregate.failures.map(\.participant) == ["nan"] && aggregate.failures[0].reason == .nonFinite(count: 1))
    }

    @Test func robustRulesCannotBeMadePrivate() {
        let median = FederatedStrategy.robust(.coordinateMedian, clientSettings: FitConfiguration(round: 0))
        #expect(throws: FederatedError.self) {
            try DifferentiallyPrivateStrategy(
                wrapping: median, privacy: DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 1))
        }
    }

    @Test func secureInputIsTheClippedChangeAndOne() throws {
        let strategy = try DifferentiallyPrivateStrategy(
            wrapping: FederatedStrategy.fedAvg(clientSettings: FitConfiguration(round: 0)),
            privacy: DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 0))
        let global = ParameterSet(layout: Self.layout, values: [1, 1])
        let input = try strategy.secureInput(Self.result([4, 5], examples: 9), global: global)
        expectClose(input, [0.6, 0.8, 1], relativeTolerance: 0, absoluteTolerance: 1e-6)
        // The server's side: the sum of two such inputs gives the same model as `aggregateFit` in the clear.
        let secure = strategy.aggregateSecureSum(
            round: 1, global: global, sum: [0.9, 1.2, 2], accepted: ["a", "b"], failures: [],
            metrics: [:])
        expectClose(try #require(secure.parameters).values, [1.45, 1.6], relativeTolerance: 0, absoluteTolerance: 1e-6)
    }
}
