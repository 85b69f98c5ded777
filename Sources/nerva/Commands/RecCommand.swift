import ArgumentParser
import Foundation
import NervaData
import NervaRec

/// `nerva rec`: recommender systems — train, evaluate, recommend, find similar items, and
/// score listed pairs for external evaluation.
struct RecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rec",
        abstract: "Recommender systems: content-based, collaborative filtering and Neural Collaborative Filtering.",
        subcommands: [
            RecTrainCommand.self, RecEvaluateCommand.self, RecRecommendCommand.self, RecSimilarCommand.self,
            RecSimilarImagesCommand.self, RecScoreCommand.self
        ]
    )
}

extension RecommenderKind: ExpressibleByArgument {}
extension MalformedLinePolicy: ExpressibleByArgument {}
extension NeighborhoodSettings.Similarity: ExpressibleByArgument {}

/// `nerva rec train`: trains one model and writes metrics, the HR/NDCG curve, the model and a report.
struct RecTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a recommender and evaluate it.",
        discussion: """
            NCF models (gmf, mlp, neumf) keep the paper's tower, 4 negatives, Adam at 0.001 and batch 256, but by default use \
            GMF embeddings of 32 and choose their epochs without looking at the test set: each user's latest training \
            interaction becomes a validation item, training stops 3 epochs after the best validation NDCG@10 (at most \
            --epochs, 40), then the model is trained again on all training rows for the chosen epochs. On MovieLens-100k \
            this lifts NeuMF from HR@10 .58 / NDCG@10 .31 (the paper's recipe, --paper) to about .59–.60 / .33. \
            --no-validation trains exactly --epochs; --no-refit keeps the model that never saw the validation items.

            ALS solves each user's and item's least squares with 3 conjugate-gradient steps warm-started from the previous \
            factors (Takács et al. 2011, as the implicit package); --exact-solve uses Cholesky instead.

            --train FILE alone trains on every row and evaluates nothing; add --test FILE, or --split RULE to hold rows out.
            """)

    @OptionGroup var source: RecDataOptions

    @Option(help: "The model: \(RecommenderKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: RecommenderKind = .neumf

    @Flag(help: "NCF: the paper's exact settings (8 GMF factors, 20 epochs, no validation) instead of Nerva's recipe.")
    var paper = false

    @Option(
        parsing: .unconditional,
        help: """
            Training epochs (NCF: at most \(ncfDefaults.epochs) per stage, chosen on validation; \
            SVD \(BiasedMF.Settings().epochs), BPR \(BPRMF.Settings().epochs)) \
            or ALS iterations (\(WeightedALS.Settings().iterations)).
            """)
    var epochs: Int?

    @Option(
        parsing: .unconditional,
        help: """
            Predictive factors (NCF: GMF's embedding size, \(ncfDefaults.factors); SVD \(BiasedMF.Settings().factors), \
            BPR \(BPRMF.Settings().factors), ALS \(WeightedALS.Settings().factors)).
            """)
    var factors: Int?

    @OptionGroup var tower: NCFTowerOptions

    @Option(
        parsing: .unconditional,
        help: """
            Learning rate (NCF \(ncfDefaults.learningRate) Adam, SVD \(BiasedMF.Settings().learningRate), \
            BPR \(BPRMF.Settings().learningRate)).
            """)
    var learningRate: Float?

    @Option(
        parsing: .unconditional,
        help: """
            L2 regularisation (SVD \(BiasedMF.Settings().regularization), BPR \(BPRMF.Settings().regularization), \
            ALS \(WeightedALS.Settings().regularization)).
            """)
    var regularization: Float?

    @Option(
        parsing: .unconditional,
        help: "ALS: conjugate-gradient steps per user and item in each half-step (default 3, as implicit).")
    var cgSteps: Int?

    @Flag(help: "ALS: solve each user's and item's least squares exactly (Cholesky; slow), not by conjugate gradient.")
    var exactSolve = false

    @Option(
        parsing: .unconditional,
        help:
            "Rating models (svd): cross-validate over this many random folds instead of one split; prints the mean RMSE/MAE."
    )
    var folds: Int?

    @Option(parsing: .unconditional, help: "NCF batch size (\(ncfDefaults.batchSize)).")
    var batchSize: Int?

    @Flag(inversion: .prefixedNo, help: "NeuMF: pretrain GMF and MLP, then fuse them (α = 0.5).")
    var pretrain: Bool?

    @Option(parsing: .unconditional, help: "NeuMF after pretraining: Adam's learning rate (default: --learning-rate).")
    var fineTuneLearningRate: Float?

    @Option(parsing: .unconditional, help: "NCF: L2 penalty on the parameters each step touches (Adam weight decay).")
    var weightDecay: Float?

    @Flag(
        inversion: .prefixedNo,
        help:
            "NCF: choose the epochs on a validation item per user (the latest training interaction), never on the test set."
    )
    var validation: Bool?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "NCF with validation: epochs without a better validation NDCG before stopping "
                + "(\(ncfDefaults.patience))."))
    var patience: Int?

    @Flag(inversion: .prefixedNo, help: "NCF with validation: train again on all training data for the chosen epochs.")
    var refit: Bool?

    @Option(
        parsing: .unconditional,
        help: """
            NCF: tail averaging, the model is the mean of the parameters after the last N epochs \
            (default \(ncfDefaults.averagedEpochs); 1: none).
            """)
    var averageEpochs: Int?

    @Option(parsing: .unconditional, help: "kNN neighbours (\(NeighborhoodSettings().neighbors)).")
    var neighbors: Int?

    @Option(help: "kNN similarity: cosine or pearson (\(NeighborhoodSettings().similarity.rawValue)).")
    var similarity: NeighborhoodSettings.Similarity?

    @Option(parsing: .unconditional, help: "kNN shrinkage λ (\(NeighborhoodSettings().shrinkage); 0: none).")
    var shrinkage: Float?

    @Option(parsing: .unconditional, help: "The K of HR@K, NDCG@K, Recall@K.")
    var cutoff = 10

    @Option(parsing: .unconditional, help: "Random seed.")
    var seed: UInt64 = 0

    @Option(help: "Output folder (default ./nerva-out/rec-train-<timestamp>).")
    var out: String?

    func validate() throws {
        _ = try tower.parsedLayers()
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs).") }
        if let averageEpochs, averageEpochs < 1 {
            throw ValidationError("--average-epochs must be at least 1, got \(averageEpochs).")
        }
        try rejectingInvalid { try RankingMetrics.checkCutoff(cutoff) }
        try rejectInapplicable()
        try rejectingInvalid { try training().validate() }
    }

    /// Flags that the chosen model would ignore are errors, not silently dropped.
    func rejectInapplicable() throws {
        let ncf: [(String, Bool)] = [
            ("--layers", tower.layers != nil), ("--negatives", tower.negatives != nil),
            ("--batch-size", batchSize != nil),
            ("--pretrain", pretrain != nil), ("--fine-tune-learning-rate", fineTuneLearningRate != nil),
            ("--weight-decay", weightDecay != nil), ("--validation", validation != nil),
            ("--patience", patience != nil), ("--refit", refit != nil), ("--average-epochs", averageEpochs != nil),
            ("--paper", paper)
        ]
        let knn: [(String, Bool)] = [
            ("--neighbors", neighbors != nil), ("--similarity", similarity != nil), ("--shrinkage", shrinkage != nil)
        ]
        let isNCF = [.gmf, .mlp, .neumf].contains(model), isKNN = [.itemKNN, .userKNN].contains(model)
        let factorModels: [RecommenderKind] = [.gmf, .mlp, .neumf, .svd, .bpr, .als]
        var inapplicable = (isNCF ? [] : ncf) + (isKNN ? [] : knn)
        inapplicable += [("--epochs", epochs != nil), ("--factors", factors != nil)].map {
            ($0.0, $0.1 && !factorModels.contains(model))
        }
        inapplicable.append(
            ("--learning-rate", learningRate != nil && ![.gmf, .mlp, .neumf, .svd, .bpr].contains(model)))
        inapplicable.append(("--regularization", regularization != nil && ![.svd, .bpr, .als].contains(model)))
        inapplicable += [
            ("--cg-steps", cgSteps != nil && model != .als),
            ("--exact-solve", exactSolve && model != .als)
        ]
        if cgSteps != nil && exactSolve {
            throw ValidationError("--cg-steps and --exact-solve choose different ALS solvers; give one.")
        }
        if let flag = inapplicable.first(where: \.1)?.0 {
            throw ValidationError("\(flag) does not apply to --model \(model.rawValue).")
        }
    }

    func training() -> RecommenderTraining {
        var t = RecommenderTraining(kind: model, seed: seed)
        if paper {
            let architecture = t.ncf.architecture
            t.ncf = .paper
            t.ncf.architecture = architecture
            t.ncf.seed = seed
        }
        if let epochs {
            t.ncf.epochs = epochs
            t.svd.epochs = epochs
            t.bpr.epochs = epochs
            t.als.iterations = epochs
        }
        if let factors {
            t.ncf.factors = factors
            t.svd.factors = factors
            t.bpr.factors = factors
            t.als.factors = factors
        }
        if let sizes = (try? tower.parsedLayers()) ?? nil { t.ncf.layers = sizes }
        if let negatives = tower.negatives { t.ncf.negatives = negatives }
        if let learningRate {
            t.ncf.learningRate = learningRate
            t.svd.learningRate = learningRate
            t.bpr.learningRate = learningRate
        }
        if let batchSize { t.ncf.batchSize = batchSize }
        if let regularization {
            t.svd.regularization = regularization
            t.bpr.regularization = regularization
            t.als.regularization = regularization
        }
        if let pretrain { t.ncf.pretrain = pretrain }
        if let fineTuneLearningRate { t.ncf.fineTuneLearningRate = fineTuneLearningRate }
        if let weightDecay { t.ncf.weightDecay = weightDecay }
        if let validation { t.ncf.validation = validation }
        if let patience { t.ncf.patience = patience }
        if let averageEpochs { t.ncf.averagedEpochs = averageEpochs }
        if let refit { t.ncf.refit = refit }
        if let cgSteps { t.als.solver = .conjugateGradient(steps: cgSteps) }
        if exactSolve { t.als.solver = .exact }
        if let neighbors { t.neighborhood.neighbors = neighbors }
        if let similarity { t.neighborhood.similarity = similarity }
        if let shrinkage { t.neighborhood.shrinkage = shrinkage }
        if let threshold = source.threshold {
            if model == .content { t.likeThreshold = threshold } else { t.positiveThreshold = threshold }
        }
        return t
    }

    func run() throws {
        let training = training()
        if let folds { return try crossValidate(training, folds: folds) }
        let (train, test, origin) = try source.load(seed: seed)
        let settings =
            [
                ("model", model.rawValue), ("data", origin), ("split", source.splitDescription),
                ("seed", "\(seed)")
            ]
            + training.settings.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let folder = try RunFolder(command: "rec-train", out: out, settings: settings)
        print(
            "nerva rec train: \(model.rawValue) on \(origin): \(train.userCount) users, \(train.itemCount) items, "
                + "\(train.count) training and "
                + (test.map { "\($0.count) test interactions" } ?? "no test interactions (no evaluation)")
                + " → \(folder.url.path)")
        let (result, checkpoint) = try RecTrainingRun(training: training, cutoff: cutoff, seed: seed)
            .run(train: train, test: test, folder: folder)
        var rows = [["training time (s)", String(format: "%.2f", result.trainingSeconds)]]
        if let evaluation = result.evaluation {
            rows += [
                ["HR@\(cutoff) (1 + 99 sampled)", fmt(evaluation.hitRate)],
                ["NDCG@\(cutoff) (1 + 99 sampled)", fmt(evaluation.ndcg)],
                ["Recall@\(cutoff) (full ranking)", fmt(evaluation.full.recall)],
                ["NDCG@\(cutoff) (full ranking)", fmt(evaluation.full.ndcg)],
                ["MAP@\(cutoff)", fmt(evaluation.full.map)], ["Catalogue coverage", fmt(evaluation.full.coverage)]
            ]
            if let errors = evaluation.errors { rows += [["RMSE", fmt(errors.rmse)], ["MAE", fmt(errors.mae)]] }
        } else {
            rows.append(["evaluation", "none (no test set: every row trained the model)"])
        }
        folder.addTable(
            title: "\(model.rawValue): " + (result.evaluation == nil ? "training" : "test metrics"),
            header: ["metric", "value"], rows: rows)
        try folder.writeReport()
        for row in rows { print("  \(row[0]): \(row[1])") }
        print("model: \(checkpoint.path)")
    }
}

/// The library's NCF defaults, quoted in the help.
private let ncfDefaults = NCFSettings()

extension RecTrainCommand {
    /// Mean RMSE/MAE of a rating model over `folds` random folds of the whole data.
    func crossValidate(_ training: RecommenderTraining, folds: Int) throws {
        guard model == .svd else {
            throw ValidationError("--folds applies to rating models (svd), not \(model.rawValue).")
        }
        guard folds >= 2 else { throw ValidationError("--folds must be at least 2, got \(folds).") }
        let (train, test, origin) = try source.load(seed: seed)
        let rows = train.count + (test?.count ?? 0)
        guard folds <= rows else {
            throw ValidationError("--folds must be at most \(rows) (the interactions), got \(folds).")
        }
        let folder = try RunFolder(
            command: "rec-train", out: out,
            settings: [("model", model.rawValue), ("data", origin), ("folds", "\(folds)")]
                + training.settings.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        let errors = try training.crossValidate(train: train, test: test, folds: folds, seed: seed) { index, fold in
            folder.log([
                "part": "rec", "model": model.rawValue, "fold": index + 1, "rmse": fold.rmse, "mae": fold.mae
            ])
            print("  fold \(index + 1): RMSE \(fmt(fold.rmse))  MAE \(fmt(fold.mae))")
        }
        let rmse = errors.map(\.rmse), mae = errors.map(\.mae)
        let meanRMSE = rmse.reduce(0, +) / Double(folds), meanMAE = mae.reduce(0, +) / Double(folds)
        folder.log([
            "part": "rec", "model": model.rawValue, "final": true, "rmse": meanRMSE, "mae": meanMAE, "folds": folds
        ])
        folder.addTable(
            title: "\(model.rawValue): \(folds)-fold cross-validation", header: ["fold", "RMSE", "MAE"],
            rows: zip(rmse, mae).enumerated().map { ["\($0.offset + 1)", fmt($0.element.0), fmt($0.element.1)] }
                + [["mean", fmt(meanRMSE), fmt(meanMAE)]])
        try folder.writeReport()
        print("  mean over \(folds) folds: RMSE \(fmt(meanRMSE))  MAE \(fmt(meanMAE))")
    }
}

func fmt(_ value: Double) -> String { String(format: "%.4f", value) }
