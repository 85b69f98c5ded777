import NervaFed

/// A participant of one's own: a hospital, say, holding rows `x` (`[n, 3]`) and targets `y`
/// (`[n, 1]`) that never leave it. The server sends the model's description and parameters; the
/// participant trains a copy on its rows and sends back the new parameters and its row count,
/// which FedAvg uses as the weight of its update.
final class PrivateRegressionSite: FederatedParticipant, @unchecked Sendable {
    let id: String
    private let x: Tensor, y: Tensor

    /// `count` rows of `y = x · trueWeights + 0.5 + noise`, with inputs centred on `offset` (each
    /// site sees a different part of the input space: non-IID data).
    init(id: String, count: Int, offset: Float, trueWeights: Tensor, seed: UInt64) {
        self.id = id
        let generator = RandomGenerator(seed: seed)
        x = Tensor.uniform([count, 3], low: offset - 1, high: offset + 1, generator: generator)
        y = x.matmul(trueWeights) + 0.5 + Tensor.normal([count, 1], generator: generator) * 0.05
    }

    func fit(_ instruction: FitInstruction) throws -> FitResult {
        let model = try instruction.model.makeModel(generator: RandomGenerator(seed: 0))
        try model.load(instruction.parameters)
        let settings = instruction.configuration
        let optimizer = SGD(model.parameters(), learningRate: settings.learningRate)
        let order = RandomGenerator(seed: settings.seed)
        var loss: Float = 0
        for _ in 0..<settings.localEpochs {
            let rows = order.permutation(x.shape[0])
            for start in stride(from: 0, to: rows.count, by: settings.batchSize) {
                let batch = Array(rows[start..<min(start + settings.batchSize, rows.count)])
                optimizer.zeroGradients()
                let error = mseLoss(predictions: model(x.gathering(rows: batch)), targets: y.gathering(rows: batch))
                error.backward()
                optimizer.step()
                loss = error.scalar
            }
        }
        return FitResult(
            update: ParameterSet(module: model), kind: .parameters, exampleCount: x.shape[0],
            metrics: ["train_loss": Double(loss)])
    }

    func evaluate(
        model description: ModelDescription, parameters: ParameterSet,
        configuration: EvaluateConfiguration
    ) throws -> ParticipantEvaluation {
        let model = try description.makeModel(generator: RandomGenerator(seed: 0))
        try model.load(parameters)
        let loss = withoutGradients { mseLoss(predictions: model(x), targets: y) }
        return ParticipantEvaluation(loss: Double(loss.scalar), exampleCount: x.shape[0])
    }
}

// Three sites with different amounts of data, one linear model, FedAvg for 30 rounds: the global
// model approaches the weights that generated everyone's data, though no site shared a row.
let trueWeights = Tensor([2, -1, 0.5], shape: [3, 1])
let sites = [
    PrivateRegressionSite(id: "site-a", count: 200, offset: -1, trueWeights: trueWeights, seed: 1),
    PrivateRegressionSite(id: "site-b", count: 50, offset: 0, trueWeights: trueWeights, seed: 2),
    PrivateRegressionSite(id: "site-c", count: 120, offset: 1.5, trueWeights: trueWeights, seed: 3)
]
let model = ModelDescription(inputShape: [3], layers: [.linear(inputSize: 3, outputSize: 1)])
let strategy = FederatedStrategy.fedAvg(
    clientSettings: FitConfiguration(round: 0, localEpochs: 2, batchSize: 16, learningRate: 0.05),
    seed: 4)
let simulation = try FederatedSimulation(model: model, participants: sites, strategy: strategy, seed: 5)

/// The global model's loss on every site's rows, weighted by their counts (the sites compute it).
@MainActor func globalLoss() throws -> Double {
    let results = try sites.map {
        try $0.evaluate(model: model, parameters: simulation.global, configuration: EvaluateConfiguration(round: 0))
    }
    return results.reduce(0) { $0 + $1.loss * Double($1.exampleCount) }
        / Double(results.reduce(0) { $0 + $1.exampleCount })
}

let firstLoss = try globalLoss()
let reports = try simulation.run(rounds: 30)
let lastLoss = try globalLoss()
let learned = simulation.global.stateDictionary()
let weights = learned.first { $0.key.hasSuffix("weight") }!.value.scalars,
    bias = learned.first { $0.key.hasSuffix("bias") }!.value.scalar
print(
    "federated regression: loss of the global model \(firstLoss) → \(lastLoss) after \(reports.count) rounds of FedAvg")
print("federated regression: weights \(weights), bias \(bias) (data made with [2.0, -1.0, 0.5] and 0.5)")
let error = zip(weights, [2, -1, 0.5]).map { abs($0 - $1) }.max()! + abs(bias - 0.5)
guard error < 0.1, lastLoss < firstLoss else { fatalError("the example did not learn") }
