import Foundation
import NervaData
import Testing

@testable import NervaFed

extension NetworkTests {
    @Suite struct NetworkCheckpointTests {
        /// Two rounds, a server "crash", a resumed server for the third: the same global model as
        /// three uninterrupted rounds, also with a server optimiser whose moments must survive.
        @Test(arguments: ["fedavg", "fedadam"])
        func resumedServerLosesNoRound(strategyName: String) throws {
            let makeStrategy = { () -> FederatedStrategy in
                strategyName == "fedavg"
                    ? NetworkTestbed.strategy()
                    : .withServerOptimizer(.adam(learningRate: 0.05), clientSettings: SimulationTests.settings, seed: 1)
            }
            let folder = try NetworkTestbed.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let checkpoint = folder.appendingPathComponent("checkpoint.safetensors")
            let data = SimulationTests.toyData(count: 400, seed: 1)

            func serve(rounds: Int, resuming: FederationCheckpoint?) throws -> ParameterSet {
                let server = try FederationServer(
                    model: SimulationTests.model, strategy: makeStrategy(),
                    configuration: NetworkTestbed.configuration(minimumClients: 2, checkpoint: checkpoint),
                    seed: 3, resumingFrom: resuming)
                let port = try server.start()
                let running = NetworkTestbed.Running(
                    try SimulationTests.participants(data, clients: 2).map {
                        try NetworkTestbed.client($0, port: port)
                    })
                try server.run(rounds: rounds)
                server.finish(grace: 10)
                _ = running.join()
                return server.global
            }

            _ = try serve(rounds: 2, resuming: nil)
            let saved = try FederationCheckpoint(contentsOf: checkpoint)
            #expect(saved.completedRounds == 2)
            #expect(
                saved.serverState.keys.sorted() == (strategyName == "fedadam" ? ["first_moment", "second_moment"] : []))
            let resumed = try serve(rounds: 3, resuming: saved)
            #expect(try FederationCheckpoint(contentsOf: checkpoint).completedRounds == 3)

            let simulation = try FederatedSimulation(
                model: SimulationTests.model, participants: SimulationTests.participants(data, clients: 2),
                strategy: makeStrategy(), seed: 3)
            try simulation.run(rounds: 3)
            #expect(resumed == simulation.global)
        }

        @Test func checkpointsAndCredentialsRejectBadFiles() throws {
            let folder = try NetworkTestbed.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("file")
            try Data("not safetensors".utf8).write(to: file)
            #expect(throws: (any Error).self) { try FederationCheckpoint(contentsOf: file) }
            let other = try ParameterSet(
                module: ModelDescription.mlp(inputShape: [1, 4, 4], hiddenSizes: [8], classCount: 4)
                    .makeModel(generator: RandomGenerator(seed: 1)))
            try FederationCheckpoint(
                model: .mlp(inputShape: [1, 4, 4], hiddenSizes: [8], classCount: 4), global: other, completedRounds: 1,
                generatorState: [1, 2, 3, 4]
            ).write(to: file)
            let mismatched = try FederationCheckpoint(contentsOf: file)
            #expect(throws: FederationCheckpointError.self) {
                try FederationServer(
                    model: SimulationTests.model, strategy: NetworkTestbed.strategy(),
                    configuration: NetworkTestbed.configuration(minimumClients: 1), seed: 3, resumingFrom: mismatched)
            }

            try Data("# clients\nclient-a 0123456789abcdef0123\n\nclient-b fedcba98765432100000\n".utf8).write(to: file)
            let credentials = try FederationCredentials(contentsOf: file)
            #expect(credentials.clients == ["client-a", "client-b"])
            #expect(credentials.client(presenting: "fedcba98765432100000") == "client-b")
            #expect(credentials.client(presenting: "fedcba9876543210000") == nil)
            for (text, problem) in [
                ("client-a short\n", "shorter than 16"), ("a b c\n", "found 3 fields"), ("# nothing\n", "no client"),
                ("x 0123456789abcdef0\nx 0123456789abcdef1\n", "listed twice")
            ] {
                try Data(text.utf8).write(to: file)
                #expect { try FederationCredentials(contentsOf: file) } throws: { "\($0)".contains(problem) }
            }
        }

        /// Found while adding the fuzz target (issue #18): the model description of a checkpoint is
        /// built when the server resumes, so it may not describe more values than the file holds.
        @Test func aDescriptionLargerThanTheStoredValuesIsRefused() throws {
            let small = ModelDescription.mlp(inputShape: [1, 2, 2], hiddenSizes: [3], classCount: 2)
            let global = ParameterSet(module: try small.makeModel(generator: RandomGenerator(seed: 1)))
            let folder = try NetworkTestbed.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let url = folder.appendingPathComponent("checkpoint.safetensors")
            try FederationCheckpoint(
                model: .mlp(hiddenSizes: [100_000]), global: global, completedRounds: 1,
                generatorState: [1, 2, 3, 4]
            ).write(to: url)
            #expect(throws: FederationCheckpointError.self) { try FederationCheckpoint(contentsOf: url) }
            try FederationCheckpoint(model: small, global: global, completedRounds: 1, generatorState: [1, 2, 3, 4])
                .write(to: url)
            #expect(try FederationCheckpoint(bytes: Array(Data(contentsOf: url))).global == global)
        }
    }
}
