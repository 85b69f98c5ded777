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
        abstract: "Train NeuMF/GMF by federated learning: users' histories and user embeddings never leave their devices.",
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

    @Option(help: "'planted' for NervaRec's planted synthetic data, or a MovieLens folder as published (ml-100k: u.data, u.item).")
    var data = "planted"
    @Option(parsing: .unconditional, help: "Users of the planted data.")
    var users = 943
    @Option(parsing: .unconditional, help: "Items of the planted data.")
    var items = 1682
    @Option(help: "The model: neumf, gmf or mlp.")
    var model: NCFSettings.Architecture = .neumf
    @Option(parsing: .unconditional, help: "GMF predictive factors.")
    var factors = 8
    @Option(help: "MLP sizes, comma-separated (the first is the concatenated embedding size).")
    var layers = "64,32,16,8"
    @Option(parsing: .unconditional, help: "Sampled negatives per positive in each local epoch.")
    var negatives = 4
    @Option(parsing: .unconditional, help: "Epochs in which each user first fits its private embedding alone to the shared model it receives, before training and before ranking (0: off).")
    var refitEpochs = 1
    @Option(parsing: .unconditional, help: "Communication rounds.")
    var rounds = 30
    @Option(parsing: .unconditional, help: "C: the share of users that train each round.")
    var fraction = 1.0
    @Option(parsing: .unconditional, help: "E: local epochs per round.")
    var localEpochs = 3
    @Option(parsing: .unconditional, help: "B: local batch size.")
    var batchSize = 64
    @Option(parsing: .unconditional, help: "Local Adam learning rate.")
    var learningRate: Float = 0.05
    @Option(parsing: .unconditional, help: "DP-FedAvg: clip each user's update to this norm S (enables client-level differential privacy).")
    var clipNorm: Double?
    @Option(parsing: .unconditional, help: "DP-FedAvg: Gaussian noise of standard deviation z·S/m on the mean of m clipped updates.")
    var noiseMultiplier = 0.0
    @Option(help: "DP: also run each of these noise multipliers (comma-separated) and chart HR@10 against ε; needs --clip-norm.")
    var dpSweep: String?
    @Option(parsing: .unconditional, help: "δ of the reported (ε, δ).")
    var delta = 1e-5
    @Option(parsing: .unconditional, help: "Epochs of the centralised NCF baseline (0 to skip it).")
    var centralisedEpochs = 20
    @Option(parsing: .unconditional, help: "Threads training users at once (default: one per core).")
    var threads: Int?
    @Option(parsing: .unconditional, help: "Multiply the local learning rate by this every round (1: constant).")
    var learningRateDecay: Float = 1
    @Option(help: "How the server applies the averaged update: average (FedAvg), momentum (FedAvgM) or adam (FedAdam).")
    var serverOptimizer: FederatedRecommendationRun.ServerUpdate = .average
    @Option(parsing: .unconditional, help: "The server's learning rate (default: 1 for average, 1 for momentum with β 0.9, 0.01 for adam).")
    var serverLearningRate: Float?
    @Flag(help: "Run over HTTP on loopback: a federation server and one client per user (the same results as in process).")
    var overHttp = false
    @Flag(help: "Secure aggregation (in process): each user masks a dense vector, so the server sees neither its rows nor which rows it touched, only sums; costs O(users per round²) masking work.")
    var secureAggregation = false
    @Option(help: "Output folder (default ./nerva-out/fed-recommend-<timestamp>).")
    var out: String?
    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = 0

    func parsedLayers() throws -> [Int] {
        let sizes = layers.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard sizes.count >= 2, sizes.allSatisfy({ ($0 ?? 0) > 0 }), sizes[0]! % 2 == 0 else {
            throw ValidationError("--layers must be at least two positive sizes with an even first one, such as 64,32,16,8; got '\(layers)'.")
        }
        return sizes.map { $0! }
    }

    func parsedSweep() throws -> [Double] {
        guard let dpSweep else { return [] }
        let values = dpSweep.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? -1) >= 0 }) else {
            throw ValidationError("--dp-sweep must be non-negative noise multipliers separated by commas, got '\(dpSweep)'.")
        }
        return values.map { $0! }
    }

    func validate() throws {
        if data == "planted" {
            // MovieLens-25M, the largest published, has 162,541 users and 62,423 movies.
            guard (2...200_000).contains(users) else { throw ValidationError("--users must be in 2…200000, got \(users).") }
            guard (32...100_000).contains(items) else { throw ValidationError("--items must be in 32…100000, got \(items).") }
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: data, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--data must be 'planted' or a MovieLens folder; '\(data)' is not a folder.")
            }
        }
        guard factors >= 1 else { throw ValidationError("--factors must be positive, got \(factors).") }
        _ = try parsedLayers()
        guard negatives >= 1 else { throw ValidationError("--negatives must be at least 1, got \(negatives).") }
        guard refitEpochs >= 0 else { throw ValidationError("--refit-epochs must be non-negative, got \(refitEpochs).") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1, got \(rounds).") }
        guard fraction > 0 && fraction <= 1 else { throw ValidationError("--fraction must be in (0, 1], got \(fraction).") }
        guard localEpochs >= 1 else { throw ValidationError("--local-epochs must be at least 1, got \(localEpochs).") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be positive, got \(batchSize).") }
        guard learningRate > 0 && learningRate.isFinite else { throw ValidationError("--learning-rate must be positive, got \(learningRate).") }
        try rejectingInvalid { try DifferentialPrivacy.validate(clippingNorm: clipNorm ?? 1, noiseMultiplier: noiseMultiplier) }
        if noiseMultiplier > 0 && clipNorm == nil { throw ValidationError("--noise-multiplier needs --clip-norm S.") }
        if !(try parsedSweep()).isEmpty && clipNorm == nil { throw ValidationError("--dp-sweep needs --clip-norm S.") }
        guard delta > 0 && delta < 1 else { throw ValidationError("--delta must be in (0, 1), got \(delta).") }
        guard centralisedEpochs >= 0 else { throw ValidationError("--centralised-epochs must be non-negative, got \(centralisedEpochs).") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads).") }
        guard learningRateDecay > 0 && learningRateDecay <= 1 else {
            throw ValidationError("--learning-rate-decay must be in (0, 1], got \(learningRateDecay).")
        }
        if secureAggregation && overHttp {
            throw ValidationError("--secure-aggregation runs in process only; the HTTP protocol has no secure-aggregation steps yet (drop --over-http).")
        }
        if let serverLearningRate {
            try rejectingInvalid { try ConfigurationError.check("server learning rate", serverLearningRate, positive: true) }
        }
    }

    func makeRun() throws -> FederatedRecommendationRun {
        FederatedRecommendationRun(data: data == "planted" ? .planted(users: users, items: items) : .movieLens(data), architecture: model,
                                   factors: factors, layers: try parsedLayers(), negatives: negatives, refitEpochs: refitEpochs, rounds: rounds, fraction: fraction,
                                   localEpochs: localEpochs, batchSize: batchSize, learningRate: learningRate, clippingNorm: clipNorm,
                                   noiseMultiplier: noiseMultiplier, delta: delta, threads: threads, overHTTP: overHttp, secureAggregation: secureAggregation,
                                   serverUpdate: serverOptimizer, serverLearningRate: serverLearningRate,
                                   learningRateDecay: learningRateDecay, seed: seed)
    }

    func run() throws {
        let configuration = try makeRun()
        let folder = try RunFolder(command: "fed-recommend", out: out, settings: configuration.settings)
        print("nerva fed recommend → \(folder.url.path)")
        let (split, source) = try configuration.loadSplit()
        print("\(source): \(split.train.userCount) users, \(split.train.itemCount) items, \(split.train.count) training interactions, "
              + "\(split.test.count) held out (leave-one-out, latest)")
        let outcome = try configuration.run(split: split, folder: folder)
        let (popularity, centralised) = try configuration.baselines(split: split, epochs: centralisedEpochs)
        let summary = FedRecReport(run: configuration, outcome: outcome, popularity: popularity, centralised: centralised,
                                   centralisedEpochs: centralisedEpochs)
        try summary.write(to: folder)
        let sweep = try parsedSweep()
        if !sweep.isEmpty {
            var references = [(name: "main run (S = \(clipNorm ?? 0), z = \(noiseMultiplier))", hitRate: outcome.hitRate),
                              (name: "popularity", hitRate: popularity.0)]
            if let centralised { references.append((name: "centralised", hitRate: centralised.0)) }
            try FedRecPrivacySweep(base: configuration, noiseMultipliers: sweep, references: references).run(split: split, folder: folder)
        }
        try folder.writeReport()
        print(summary.comparisonLine)
        print("report: \(folder.file("index.html").path)")
    }
}

extension NCFSettings.Architecture: ExpressibleByArgument {}

extension FederatedRecommendationRun.ServerUpdate: ExpressibleByArgument {}
