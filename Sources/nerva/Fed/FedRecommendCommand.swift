import ArgumentParser
import Foundation
import NervaData
import NervaFed
import NervaNN
import NervaRec

/// `nerva fed recommend`: federated NCF where every user is a participant.
struct FedRecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract:
            "Train NeuMF/GMF by federated learning: users' histories and user embeddings never leave their devices.",
        discussion: """
            Every user is a participant holding its interactions, its held-out latest item and its own user \
            embedding. Each round a fraction of users trains locally (first its embedding alone against the shared \
            model it received, --refit-epochs, then E epochs over its positives and sampled negatives, Adam) and sends back only the item rows it touched (with example counts) and the dense \
            weights; the server averages each item row over the users that touched it, weighted by their \
            examples, and the dense weights by example counts. After each round every user ranks its held-out \
            item among 99 sampled negatives with its private embedding, refitted likewise (HR@10, NDCG@10). With --clip-norm the \
            aggregation is DP-FedAvg (client-level differential privacy; ε reported). The run ends with a \
            comparison against centralised NCF (same architecture, same split, same evaluation) and popularity. \
            Writes metrics.jsonl, curves, a table, the shared weights and index.html into --out.
            """
    )

    @Option(
        help:
            "'planted' for NervaRec's planted synthetic data, or a MovieLens folder as published (ml-100k: u.data, u.item)."
    )
    var data = "planted"
    @Option(parsing: .unconditional, help: "Users of the planted data (default \(plantedDefaults.users)).")
    var users: Int?
    @Option(parsing: .unconditional, help: "Items of the planted data (default \(plantedDefaults.items)).")
    var items: Int?
    @Option(help: "The model: neumf, gmf or mlp (default \(defaults.architecture.rawValue)).")
    var model: NCFSettings.Architecture?
    @Option(parsing: .unconditional, help: "GMF predictive factors (default \(defaults.factors)).")
    var factors: Int?
    @OptionGroup var tower: NCFTowerOptions
    @Option(
        parsing: .unconditional,
        help:
            "Epochs in which each user first fits its private embedding alone to the shared model it receives, before training and before ranking (0: off; default \(defaults.refitEpochs))."
    )
    var refitEpochs: Int?
    @Option(parsing: .unconditional, help: "Communication rounds (default \(defaults.rounds)).")
    var rounds: Int?
    @Option(
        parsing: .unconditional,
        help: "C: the share of users that train each round (default \(helpNumber(defaults.fraction))).")
    var fraction: Double?
    @Option(parsing: .unconditional, help: "E: local epochs per round (default \(defaults.localEpochs)).")
    var localEpochs: Int?
    @Option(parsing: .unconditional, help: "B: local batch size (default \(defaults.batchSize)).")
    var batchSize: Int?
    @Option(parsing: .unconditional, help: "Local Adam learning rate (default \(helpNumber(defaults.learningRate))).")
    var learningRate: Float?
    @Option(
        parsing: .unconditional,
        help:
            "FedProx's μ: each user adds μ/2·‖w − w_global‖² to its local loss (default \(helpNumber(defaults.mu)): FedAvg)."
    )
    var mu: Float?
    @Option(
        parsing: .unconditional,
        help: "DP-FedAvg: clip each user's update to this norm S (enables client-level differential privacy).")
    var clipNorm: Double?
    @Option(
        parsing: .unconditional,
        help: "DP-FedAvg: Gaussian noise of standard deviation z·S/m on the mean of m clipped updates (default 0).")
    var noiseMultiplier: Double?
    @Option(
        help:
            "DP: also run each of these noise multipliers (comma-separated) and chart HR@10 against ε; needs --clip-norm."
    )
    var dpSweep: String?
    @Option(parsing: .unconditional, help: "δ of the reported (ε, δ) (default \(helpNumber(defaults.delta))).")
    var delta: Double?
    @Option(parsing: .unconditional, help: "Epochs of the centralised NCF baseline (0 to skip it).")
    var centralisedEpochs = 20
    @Option(parsing: .unconditional, help: "Threads training users at once (default: one per core).")
    var threads: Int?
    @Option(
        parsing: .unconditional,
        help:
            "Multiply the local learning rate by this every round (default \(helpNumber(defaults.learningRateDecay)): constant)."
    )
    var learningRateDecay: Float?
    @Option(
        help:
            "How the server applies the averaged update: average (FedAvg), momentum (FedAvgM) or adam (FedAdam); default \(defaults.serverUpdate.rawValue)."
    )
    var serverOptimizer: FederatedRecommendationRun.ServerUpdate?
    @Option(
        parsing: .unconditional,
        help: "The server's learning rate (default: 1 for average, 1 for momentum with β 0.9, 0.01 for adam).")
    var serverLearningRate: Float?
    @Flag(
        help: "Run over HTTP on loopback: a federation server and one client per user (the same results as in process)."
    )
    var overHttp = false
    @Flag(
        help:
            "Secure aggregation (SecAgg+; in process, or over HTTP with --over-http): each user masks a dense vector, so the server sees neither its rows nor which rows it touched, only sums; each user masks with O(log n) neighbours."
    )
    var secureAggregation = false
    @Option(help: "Output folder (default ./nerva-out/fed-recommend-<timestamp>).")
    var out: String?
    @Option(parsing: .unconditional, help: "Random seed (default \(defaults.seed)).")
    var seed: UInt64?

    func parsedSweep() throws -> [Double] {
        guard let dpSweep else { return [] }
        let values = dpSweep.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? -1) >= 0 }) else {
            throw ValidationError(
                "--dp-sweep must be non-negative noise multipliers separated by commas, got '\(dpSweep)'.")
        }
        return values.map { $0! }
    }

    func validate() throws {
        if data != "planted" {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--data must be 'planted' or a MovieLens folder; '\(data)' is not a folder.")
            }
        }
        _ = try tower.parsedLayers()
        if let fraction, !(fraction > 0 && fraction <= 1) {
            throw ValidationError("--fraction must be in (0, 1], got \(fraction).")
        }
        if let refitEpochs, refitEpochs < 0 {
            throw ValidationError("--refit-epochs must be non-negative, got \(refitEpochs).")
        }
        if noiseMultiplier != nil && clipNorm == nil {
            throw ValidationError("--noise-multiplier needs --clip-norm S.")
        }
        if !(try parsedSweep()).isEmpty && clipNorm == nil { throw ValidationError("--dp-sweep needs --clip-norm S.") }
        guard centralisedEpochs >= 0 else {
            throw ValidationError("--centralised-epochs must be non-negative, got \(centralisedEpochs).")
        }
        try rejectingInvalid { try makeRun().validate() }
    }

    /// The run these options describe: `FederatedRecommendationRun`'s defaults, overridden by the options given.
    func makeRun() throws -> FederatedRecommendationRun {
        var run = FederatedRecommendationRun()
        if data == "planted" {
            if case let .planted(defaultUsers, defaultItems) = run.data {
                run.data = .planted(users: users ?? defaultUsers, items: items ?? defaultItems)
            }
        } else {
            run.data = .movieLens(data)
        }
        if let model { run.architecture = model }
        if let factors { run.factors = factors }
        if let layers = try tower.parsedLayers() { run.layers = layers }
        if let negatives = tower.negatives { run.negatives = negatives }
        if let refitEpochs { run.refitEpochs = refitEpochs }
        if let rounds { run.rounds = rounds }
        if let fraction { run.fraction = fraction }
        if let localEpochs { run.localEpochs = localEpochs }
        if let batchSize { run.batchSize = batchSize }
        if let learningRate { run.learningRate = learningRate }
        if let mu { run.mu = mu }
        if let clipNorm {
            try DifferentialPrivacy.validate(clippingNorm: clipNorm, noiseMultiplier: noiseMultiplier ?? 0)
            run.privacy = DifferentialPrivacy(clippingNorm: clipNorm, noiseMultiplier: noiseMultiplier ?? 0)
        }
        if let delta { run.delta = delta }
        run.threads = threads
        run.overHTTP = overHttp
        run.secureAggregation = secureAggregation
        if let serverOptimizer { run.serverUpdate = serverOptimizer }
        run.serverLearningRate = serverLearningRate
        if let learningRateDecay { run.learningRateDecay = learningRateDecay }
        if let seed { run.seed = seed }
        return run
    }

    func run() throws {
        let configuration = try makeRun()
        let folder = try RunFolder(command: "fed-recommend", out: out, settings: configuration.settings)
        print("nerva fed recommend → \(folder.url.path)")
        let (split, source) = try configuration.loadSplit()
        print(
            "\(source): \(split.train.userCount) users, \(split.train.itemCount) items, \(split.train.count) training interactions, "
                + "\(split.test.count) held out (leave-one-out, latest)")
        let outcome = try configuration.run(split: split, folder: folder)
        let (popularity, centralised) = try configuration.baselines(split: split, epochs: centralisedEpochs)
        let summary = FederatedRecommendationReport(
            run: configuration, outcome: outcome, popularity: popularity, centralised: centralised,
            centralisedEpochs: centralisedEpochs)
        try summary.write(to: folder)
        let sweep = try parsedSweep()
        if !sweep.isEmpty {
            var references = [
                (
                    name:
                        "main run (\(configuration.privacy.map { "S = \($0.clippingNorm), z = \($0.noiseMultiplier)" } ?? "no DP"))",
                    hitRate: outcome.hitRate
                ),
                (name: "popularity", hitRate: popularity.0)
            ]
            if let centralised { references.append((name: "centralised", hitRate: centralised.0)) }
            try FederatedRecommendationPrivacySweep(
                base: configuration, noiseMultipliers: sweep, references: references
            ).run(
                split: split, folder: folder)
        }
        try folder.writeReport()
        print(summary.comparisonLine)
        print("report: \(folder.file("index.html").path)")
    }
}

/// The library's defaults, quoted in the help.
private let defaults = FederatedRecommendationRun()
/// The size of the default planted data.
private let plantedDefaults: (users: Int, items: Int) = {
    guard case let .planted(users, items) = defaults.data else { return (0, 0) }
    return (users, items)
}()

extension NCFSettings.Architecture: ExpressibleByArgument {}

extension FederatedRecommendationRun.ServerUpdate: ExpressibleByArgument {}
