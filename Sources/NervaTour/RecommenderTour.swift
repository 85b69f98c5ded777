import Foundation
import NervaData
import NervaRec

/// The recommender part of the tour: MovieLens-100k-sized synthetic data with a planted taste
/// structure, NeuMF (the paper's settings, a few epochs) against popularity and item-kNN under
/// the NCF protocol and full ranking, and a few recommendations with explanations.
public struct RecommenderTour: TourPart {
    /// The part's name in the summary table.
    public let title = "recommender: NeuMF vs baselines"
    /// The seed of the synthetic data and the models.
    public let seed: UInt64
    /// The tour's folder.
    public let folder: RunFolder

    /// The recommender part.
    /// - Parameters:
    ///   - seed: The seed of the synthetic data and the models.
    ///   - folder: The tour's folder.
    public init(seed: UInt64, folder: RunFolder) {
        self.seed = seed
        self.folder = folder
    }

    /// Runs the part into the tour's folder: progress on standard output, records, figures and
    /// text in the folder's report.
    /// - Returns: The part's result in one line (or why it was skipped).
    @discardableResult
    public func run() throws -> String {
        let synthetic = SyntheticInteractions(seed: seed)
        let data = synthetic.dataset
        let split = SplitRule.leaveOneOut.split(data)
        print(
            "recommender: NeuMF vs popularity and item-kNN on synthetic MovieLens-100k-sized data "
                + "(\(data.userCount) users, \(data.itemCount) items, \(data.count) ratings, latest item of each user held out)"
        )
        var rows: [[String]] = []
        var hitRates: [Double] = [], names: [String] = []
        var models: [String: Recommender] = [:]
        let seen = UserItemMatrix(split.train)
        for kind in [RecommenderKind.popularity, .itemKNN, .neumf] {
            var training = RecommenderTraining(kind: kind, seed: seed)
            training.ncf.epochs = 6
            training.ncf.validation = false // six fixed epochs keep the tour short
            let start = DispatchTime.now().uptimeNanoseconds
            var run = RecTrainingRun(training: training, cutoff: 10, seed: seed)
            run.verbose = kind == .neumf
            let result = try run.run(train: split.train, test: split.test, folder: folder, part: "rec").result
            guard let evaluation = result.evaluation else { continue }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let lists = (0..<data.userCount).map {
                result.model.recommend(user: $0, count: 10, excluding: seen).map(\.item)
            }
            let planted = synthetic.plantedPrecision(lists)
            folder.log(["part": "rec", "model": kind.rawValue, "planted_precision@10": planted])
            rows.append([
                kind.rawValue, fmt(evaluation.hitRate), fmt(evaluation.ndcg), fmt(evaluation.full.recall),
                fmt(evaluation.full.ndcg), fmt(evaluation.full.coverage), fmt(planted),
                String(format: "%.1f", seconds)
            ])
            print(
                String(
                    format: "  %@: HR@10 %.3f  NDCG@10 %.3f  Recall@10 %.3f  planted precision %.2f  (%.1f s)",
                    kind.rawValue,
                    evaluation.hitRate, evaluation.ndcg, evaluation.full.recall, planted, seconds))
            names.append(kind.rawValue)
            hitRates.append(evaluation.hitRate)
            models[kind.rawValue] = result.model
        }
        folder.addTable(
            title: "Recommenders on planted synthetic data",
            header: [
                "model", "HR@10", "NDCG@10", "Recall@10 (full)", "NDCG@10 (full)", "coverage",
                "planted precision@10", "seconds"
            ], rows: rows)
        let chart = BarChart(
            title: "HR@10 (held-out item among 99 sampled)", xLabel: "model", yLabel: "HR@10", labels: names,
            values: hitRates)
        folder.addFigure(
            title: "Recommender comparison",
            files: try Figure.write(svg: chart.svg(), to: folder.file("rec-hit-rate.svg")),
            caption: "Planted precision: share of recommended items in the user's planted taste clusters.")
        try showRecommendations(models: models, split: split, synthetic: synthetic, seen: seen)
        return "HR@10 " + zip(names, hitRates).map { "\($0) \(fmt($1))" }.joined(separator: ", ")
    }

    /// NeuMF's top items for two users, each explained by the most similar item the user liked
    /// (item-kNN's neighbourhoods).
    private func showRecommendations(
        models: [String: Recommender], split: InteractionSplit, synthetic: SyntheticInteractions,
        seen: UserItemMatrix
    ) throws {
        guard let neumf = models["neumf"], let knn = models["item-knn"] as? ItemKNNRecommender,
            let catalog = split.train.catalog
        else { return }
        var text = ""
        for user in [0, 1] {
            let (loved, liked) = synthetic.userClusters[user]
            let genres = MovieLens.genres100K[1...]
            text +=
                "User \(split.train.users[user]) (planted tastes: loves \(genres[loved + 1]), likes \(genres[liked + 1])):\n"
            for (rank, entry) in neumf.recommend(user: user, count: 5, excluding: seen).enumerated() {
                let itemGenres = catalog.genres[entry.item].map { catalog.genreNames[$0] }.joined(separator: "|")
                var line = "  \(rank + 1). \(catalog.titles[entry.item]) [\(itemGenres)]"
                if let reason = knn.explanation(user: user, item: entry.item) {
                    line += " — because you liked \(catalog.titles[reason.item])"
                }
                text += line + "\n"
            }
        }
        print(text, terminator: "")
        folder.addText(title: "NeuMF recommendations with explanations", text: text)
    }
}

/// A metric in the tour's table and summary line: four decimals.
private func fmt(_ value: Double) -> String { String(format: "%.4f", value) }
