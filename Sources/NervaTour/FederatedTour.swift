import Foundation
import NervaData
import NervaFed

/// The federated part of the tour: ten clients with label-skewed private shares of
/// Fashion-MNIST (Dirichlet β = 0.5) train the MLP of McMahan et al. by FedAvg for a few rounds;
/// the report shows the partition's label heat map and the accuracy per round.
public struct FederatedTour: TourPart {
    /// The part's name in the summary table.
    public let title = "federated: FedAvg, 10 non-IID clients"
    /// The seed of the partition, the model and the clients.
    public let seed: UInt64
    /// The tour's folder.
    public let folder: RunFolder
    /// The Fashion-MNIST folder (`nil`: the default one).
    public let dataDirectory: URL?

    /// The federated part.
    /// - Parameters:
    ///   - seed: The seed of the partition, the model and the clients.
    ///   - folder: The tour's folder.
    ///   - dataDirectory: The Fashion-MNIST folder (`nil`: the default one); without it the part is skipped.
    public init(seed: UInt64, folder: RunFolder, dataDirectory: URL?) {
        self.seed = seed
        self.folder = folder
        self.dataDirectory = dataDirectory
    }

    /// Runs the part into the tour's folder: progress on standard output, records, figures and
    /// text in the folder's report.
    /// - Returns: The part's result in one line (or why it was skipped).
    @discardableResult
    public func run() throws -> String {
        print("federated: FedAvg over 10 non-IID clients on Fashion-MNIST (data never leaves a client)")
        guard
            let dataset = FashionMNIST.forTour(
                part: "Federated learning", directory: dataDirectory,
                folder: folder)
        else { return "skipped: no Fashion-MNIST" }
        let run = FederatedRun(
            model: .mlp, clients: 10, fraction: 1, rounds: 5, localEpochs: 1, batchSize: 10, learningRate: 0.05,
            momentum: 0, strategy: .fedavg, partition: .dirichlet, beta: 0.5, limit: 30_000, seed: seed)
        let outcome = try run.run(on: dataset, folder: folder, part: "federated")
        let accuracies = outcome.reports.map { String(format: "%.3f", $0.centralEvaluation?.metrics["accuracy"] ?? 0) }
        print("  test accuracy per round: \(accuracies.joined(separator: ", "))")
        folder.addText(
            title: "Federated learning",
            text: """
                Ten clients each hold a label-skewed share (Dirichlet β = 0.5) of 30,000 Fashion-MNIST training images. \
                Every round, each trains the global MLP 784→200→200→10 for one local epoch (B = 10, SGD 0.05) and sends back \
                its parameters only; the server averages them weighted by example counts (FedAvg). Test accuracy per round: \
                \(accuracies.joined(separator: ", ")).
                """)
        return "test accuracy per round " + accuracies.joined(separator: ", ")
    }
}
