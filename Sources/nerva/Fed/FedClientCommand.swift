import ArgumentParser
import Foundation
import NervaData
import NervaFed

/// `nerva fed client`: one participant of a real federation, training on its private partition.
struct FedClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Join a federation served by `nerva fed server` and train on a private Fashion-MNIST partition.",
        discussion: """
            The client's data is partition --partition-id of --num-partitions, split exactly as `nerva fed \
            simulate` splits it (same --partition, --limit and --seed), so a networked run can be compared with \
            a simulation. Only parameters leave the process. The token comes from --token or the \
            NERVA_FED_TOKEN environment variable. When the server cannot be reached the client retries with \
            exponential backoff for up to --give-up-after seconds.
            """
    )

    @Option(help: "The server, http://host:port or https://host:port.")
    var server: String
    @Option(help: "The bearer token from the server's credentials file (or set NERVA_FED_TOKEN).")
    var token: String?
    @Option(help: "The client's name for a server without credentials (default client-<partition-id>).")
    var name: String?
    @Option(help: "PEM file of the certificates to trust for https (e.g. the server's self-signed certificate).")
    var rootCertificates: String?
    @Option(parsing: .unconditional, help: "This client's partition, from 0.")
    var partitionId: Int
    @Option(parsing: .unconditional, help: "The number of partitions the training set is split into.")
    var numPartitions: Int
    @OptionGroup(title: "Data and partition") var split: FedPartitionOptions
    @Option(parsing: .unconditional, help: "Give up after this many seconds without reaching the server.")
    var giveUpAfter = 120.0
    @Option(
        help:
            "Rehearse a misbehaving client: \(FederationClientFault.allCases.map(\.rawValue).joined(separator: ", ")).")
    var fault: FederationClientFault?
    @Option(parsing: .unconditional, help: "The partition seed (as `fed simulate --seed`; default 0).")
    var seed: UInt64?

    func validate() throws {
        guard numPartitions >= 1 else {
            throw ValidationError("--num-partitions must be at least 1, got \(numPartitions).")
        }
        guard (0..<numPartitions).contains(partitionId) else {
            throw ValidationError("--partition-id must be in 0..<\(numPartitions), got \(partitionId).")
        }
        try split.validate(parts: numPartitions, flag: "partition")
        guard giveUpAfter > 0 && giveUpAfter <= FederationServerConfiguration.maximumTimeout else {
            throw ValidationError(
                "--give-up-after must be positive and at most \(Int(FederationServerConfiguration.maximumTimeout)) seconds (a week), got \(giveUpAfter)."
            )
        }
    }

    func run() throws {
        let train = try FashionMNIST.load(.train, directory: split.directory, limit: split.limit)
        guard train.count / 10 >= numPartitions else { // before the partition allocates a share per client
            throw ValidationError(
                "--num-partitions must be at most \(train.count / 10) (10 training images each), got \(numPartitions).")
        }
        var run = FederatedRun(clients: numPartitions, seed: seed)
        split.apply(to: &run)
        let parts = run.split(labels: train.labels) // the split of `nerva fed simulate`
        let id = name ?? String(format: "client-%03d", partitionId)
        let participant = ClassificationParticipant(id: id, data: train, trainIndices: parts[partitionId])
        var configuration = FederationClientConfiguration(
            server: server, token: token ?? ProcessInfo.processInfo.environment["NERVA_FED_TOKEN"],
            name: id)
        configuration.rootCertificatesPath = rootCertificates
        configuration.giveUpAfter = giveUpAfter
        configuration.fault = fault
        configuration.seed = run.seed &+ UInt64(partitionId)
        let client = try FederationClient(participant: participant, configuration: configuration)
        say(
            "nerva fed client \(id): partition \(partitionId) of \(numPartitions) (\(run.partition)), \(parts[partitionId].count) examples → \(server)"
                + (fault.map { " [fault: \($0.rawValue)]" } ?? ""))
        let summary = try client.run { say("\(id): \($0)") }
        say("\(summary.client): done after \(summary.completedRounds) rounds (\(summary.fitTasks) fit tasks)")
    }
}

extension FederationClientFault: ExpressibleByArgument {}
