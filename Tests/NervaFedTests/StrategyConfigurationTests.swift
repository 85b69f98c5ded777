import Foundation
import NervaNN
import Testing

@testable import NervaFed

@Suite struct StrategyConfigurationTests {
    static func strategy(_ name: StrategyConfiguration.Name, serverLearningRate: Float? = nil) -> FederatedStrategy {
        var configuration = StrategyConfiguration()
        configuration.name = name
        configuration.serverLearningRate = serverLearningRate
        return configuration.baseStrategy(clients: 10, seed: 0)
    }

    @Test func serverOptimisersTakeTheLibraryDefaultsUnlessGiven() {
        #expect(Self.strategy(.fedavgm).serverOptimizer == .momentum())
        #expect(Self.strategy(.fedadam).serverOptimizer == .adam())
        #expect(Self.strategy(.fedyogi).serverOptimizer == .yogi())
        #expect(Self.strategy(.fedadagrad).serverOptimizer == .adagrad())
        #expect(Self.strategy(.fedadam, serverLearningRate: 0.5).serverOptimizer == .adam(learningRate: 0.5))
        // FedSGD's server step defaults to the clients' learning rate.
        #expect(
            Self.strategy(.fedsgd).serverOptimizer == .average(learningRate: FitConfiguration(round: 0).learningRate))
        #expect(Self.strategy(.fedprox).clientSettings.proximalMu == StrategyConfiguration().mu)
        #expect(Self.strategy(.fedavg).name == "FedAvg" && Self.strategy(.median).aggregation == .coordinateMedian)
    }

    @Test func multiKrumSelectsTheParticipantsPerRoundLessTheAttackers() {
        var configuration = StrategyConfiguration()
        configuration.name = .multiKrum
        configuration.fraction = 0.5
        configuration.byzantine = 1
        #expect(configuration.baseStrategy(clients: 20, seed: 0).aggregation == .krum(byzantine: 1, selected: 9))
    }

    @Test func privacyWrapsTheStrategy() throws {
        var configuration = StrategyConfiguration()
        configuration.name = .fedavgm
        configuration.privacy = DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 1)
        let strategy = try configuration.makeStrategy(clients: 10, seed: 3)
        let wrapper = try #require(strategy as? DifferentiallyPrivateStrategy)
        #expect(wrapper.name == "DP-FedAvgM" && (wrapper.base as? FederatedStrategy)?.seed == 3)
    }

    @Test func validationNamesTheProblem() {
        var configuration = StrategyConfiguration()
        configuration.fraction = 1.5
        #expect(throws: ConfigurationError.self) { try configuration.validate(clients: 10) }
        configuration.fraction = 1
        configuration.name = .krum
        #expect(
            throws: FederatedError.invalidConfiguration("krum with f = 1 needs more than 4 clients per round, got 3")
        ) {
            try configuration.validate(clients: 3)
        }
        configuration.name = .median
        #expect(throws: Never.self) { try configuration.validate(clients: 3) }
        // Secure aggregation and DP-FedAvg see only sums, which a median cannot use: the library's own report says so.
        #expect(throws: FederatedError.self) { try configuration.validate(clients: 3, secureAggregation: true) }
        configuration.privacy = DifferentialPrivacy(clippingNorm: 1, noiseMultiplier: 0)
        #expect(throws: FederatedError.self) { try configuration.validate(clients: 3) }
        configuration = StrategyConfiguration()
        #expect(throws: FederatedError.self) { try configuration.validate(clients: 1, secureAggregation: true) }
    }

    @Test func fashionMNISTArchitecturesAreTheirModelDescriptions() {
        #expect(FashionMNISTArchitecture.mlp.modelDescription() == .mlp())
        #expect(FashionMNISTArchitecture.mlp.modelDescription(hiddenSizes: [64]) == .mlp(hiddenSizes: [64]))
        #expect(FashionMNISTArchitecture.cnn.modelDescription(hiddenSizes: [64]) == .lenet())
    }

    @Test func partitionSchemesByKindTakeTheDefaults() {
        #expect(PartitionScheme(kind: .dirichlet) == .dirichlet(beta: PartitionScheme.defaultBeta))
        #expect(PartitionScheme(kind: .shards, shardsPerClient: 3) == .shards(perClient: 3))
        #expect(PartitionScheme.Kind.allCases.allSatisfy { PartitionScheme(kind: $0).kind == $0 })
    }

    @Test func federatedRunDefaultsComeFromTheLibrary() throws {
        let run = FederatedRun()
        #expect(run.strategy == StrategyConfiguration() && run.partition == .iid)
        let tour = FederatedRun(clients: 4, learningRate: 0.05, strategy: .fedprox, partition: .dirichlet, beta: 0.3)
        #expect(tour.strategy.clientSettings.learningRate == 0.05 && tour.strategy.name == .fedprox)
        #expect(tour.strategy.clientSettings.batchSize == FitConfiguration(round: 0).batchSize)
        #expect(tour.partition == .dirichlet(beta: 0.3))
        #expect(tour.settings.first { $0.0 == "differential privacy" }?.1 == "off")
        var secure = FederatedRun(strategy: .krum)
        secure.secureAggregation = true
        #expect(throws: FederatedError.self) { try secure.validate() }
    }
}
