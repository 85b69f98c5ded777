// A federation of participants of one's own: three sites hold points of three classes that never
// leave them, each site mostly one class (non-IID), and one site is offline every other round.
// FedProx trains a small classifier for 15 rounds; failures come back as data in the reports.
import Foundation
import NervaFed

// snippet.hide
/// `count` points around class `label`'s centre.
func points(of label: Int, count: Int, generator: RandomGenerator) -> (Tensor, [Int]) {
    let centres: [[Float]] = [[2, 0], [-1, 1.7], [-1, -1.7]]
    let noise = Tensor.normal([count, 2], standardDeviation: 0.8, generator: generator)
    return (noise + Tensor(centres[label], shape: [1, 2]), Array(repeating: label, count: count))
}

/// Rows of several classes, concatenated.
func mixture(_ counts: [Int], generator: RandomGenerator) -> (features: Tensor, labels: [Int]) {
    let parts = counts.enumerated().map { points(of: $0.offset, count: $0.element, generator: generator) }
    return (Tensor.concatenated(parts.map(\.0), alongAxis: 0), parts.flatMap(\.1))
}

struct SiteOffline: Error, CustomStringConvertible {
    let round: Int
    var description: String { "offline in round \(round)" }
}
// snippet.show

// snippet.participant
/// A site with private rows. The server sends the architecture, the global parameters and the
/// round's settings; the site trains a copy and returns its parameters and row count.
final class Site: FederatedParticipant, @unchecked Sendable {
    let id: String
    let features: Tensor // [n, 2], private
    let labels: [Int]
    let isFlaky: Bool

    init(id: String, features: Tensor, labels: [Int], isFlaky: Bool = false) {
        self.id = id
        self.features = features
        self.labels = labels
        self.isFlaky = isFlaky
    }

    func fit(_ instruction: FitInstruction) throws -> FitResult {
        let settings = instruction.configuration
        if isFlaky && settings.round % 2 == 0 { throw SiteOffline(round: settings.round) }
        let model = try instruction.model.makeModel(generator: RandomGenerator(seed: 0))
        try model.load(instruction.parameters)
        // FedProx: the local loss gets μ/2 · ‖w − w_global‖² (μ = 0 is FedAvg).
        let global = model.parameters().map { Tensor($0.scalars, shape: $0.shape) }
        let optimizer = SGD(model.parameters(), learningRate: settings.learningRate, momentum: settings.momentum)
        let order = RandomGenerator(seed: settings.seed) // the round's seed: rounds replay exactly
        var lastLoss: Float = 0
        for _ in 0..<settings.localEpochs {
            let rows = order.permutation(labels.count)
            for start in stride(from: 0, to: rows.count, by: settings.batchSize) {
                let batch = Array(rows[start..<min(start + settings.batchSize, rows.count)])
                optimizer.zeroGradients()
                let logits = model(features.gathering(rows: batch))
                var loss = crossEntropy(logits: logits, labels: batch.map { labels[$0] })
                lastLoss = loss.scalar
                if settings.proximalMu > 0 {
                    let distances = zip(model.parameters(), global).map { ($0 - $1).squared().sum() }
                    loss = loss + distances.dropFirst().reduce(distances[0], +) * (settings.proximalMu / 2)
                }
                loss.backward()
                optimizer.step()
            }
        }
        return FitResult(
            update: ParameterSet(module: model), kind: .parameters, exampleCount: labels.count,
            metrics: ["train_loss": Double(lastLoss)])
    }

    func evaluate(
        model description: ModelDescription, parameters: ParameterSet,
        configuration: EvaluateConfiguration
    ) throws -> ParticipantEvaluation {
        try Site.evaluate(description, parameters, features: features, labels: labels)
    }

    /// Loss and accuracy of the model on `features`.
    static func evaluate(
        _ description: ModelDescription, _ parameters: ParameterSet,
        features: Tensor, labels: [Int]
    ) throws -> ParticipantEvaluation {
        let model = try description.makeModel(generator: RandomGenerator(seed: 0))
        try model.load(parameters)
        model.eval()
        return withoutGradients {
            let logits = model(features)
            let predicted = logits.argmax(alongAxis: 1).scalars.map { Int($0) }
            let correct = zip(predicted, labels).filter { $0 == $1 }.count
            let loss = Double(crossEntropy(logits: logits, labels: labels).scalar)
            return ParticipantEvaluation(
                loss: loss, exampleCount: labels.count,
                metrics: ["accuracy": Double(correct) / Double(labels.count)])
        }
    }
}
// snippet.end

// snippet.federation
let data = RandomGenerator(seed: 1)
let sites = [[150, 10, 10], [10, 120, 10], [10, 10, 90]].enumerated().map { index, counts in
    let (features, labels) = mixture(counts, generator: data)
    return Site(id: "site-\(index)", features: features, labels: labels, isFlaky: index == 2)
}
let heldOut = mixture([200, 200, 200], generator: data) // the server's own test rows

let model = ModelDescription(
    inputShape: [2],
    layers: [
        .linear(inputSize: 2, outputSize: 16), .relu,
        .linear(inputSize: 16, outputSize: 3)
    ])
let strategy = FederatedStrategy.fedProx(
    mu: 0.01, clientSettings: FitConfiguration(round: 0, localEpochs: 2, batchSize: 16, learningRate: 0.05), seed: 2)
let simulation = try FederatedSimulation(
    model: model, participants: sites, strategy: strategy, seed: 3,
    centralEvaluation: { try Site.evaluate(model, $0, features: heldOut.features, labels: heldOut.labels) })
// snippet.end

// snippet.rounds
let reports = try simulation.run(rounds: 15) { report in
    let accuracy = report.centralEvaluation?.metrics["accuracy"] ?? 0
    let failures = report.failures.map(\.description).joined(separator: "; ")
    print(
        "round \(report.round): accepted \(report.accepted), test accuracy \(accuracy)"
            + (failures.isEmpty ? "" : ", failures: \(failures)"))
}
// snippet.end

// snippet.hide
let finalAccuracy = reports.last?.centralEvaluation?.metrics["accuracy"] ?? 0
precondition(finalAccuracy > 0.85, "the federation did not learn the three classes")
precondition(reports.contains { !$0.failures.isEmpty }, "the offline site should appear among the failures")
