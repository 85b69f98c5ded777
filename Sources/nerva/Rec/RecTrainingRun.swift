import Foundation
import NervaData
import NervaRec

/// One training run of a recommender: data, per-epoch HR/NDCG for NCF models, final metrics
/// (NCF protocol, full ranking, RMSE/MAE for rating models), a chart, a saved model and a report.
struct RecTrainingRun {
    let training: RecommenderTraining
    let cutoff: Int
    let seed: UInt64
    /// Whether to print per-epoch lines.
    var verbose = true

    struct Result {
        let model: Recommender
        let hitRate: Double
        let ndcg: Double
        let full: FullRankingEvaluation.Result
        let errors: (rmse: Double, mae: Double)?
        let checkpoint: URL
        let epochs: [(epoch: Int, hitRate: Double, ndcg: Double, loss: Double)]
    }

    func run(split: InteractionSplit, folder: RunFolder, part: String = "rec") throws -> Result {
        try split.checkEvaluable()
        let sampled = SampledRankingEvaluation(split: split, negativeCount: 99, seed: seed)
        var curve: [(epoch: Int, hitRate: Double, ndcg: Double, loss: Double)] = [], refitCurve = curve
        var epochIndex = 0
        let name = training.kind.rawValue
        let model = try training.train(split.train) { stage, report, current in
            let (hr, ndcg) = sampled.evaluate(current, cutoff: cutoff)
            epochIndex += 1
            if stage == name { curve.append((report.epoch, hr, ndcg, report.loss)) }
            if stage == "refit-" + name { refitCurve.append((report.epoch, hr, ndcg, report.loss)) }
            var record: MetricRecord = ["part": part, "model": stage, "epoch": report.epoch, "loss": report.loss,
                                        "hit_rate@\(cutoff)": hr, "ndcg@\(cutoff)": ndcg, "seconds": report.seconds,
                                        "samples_per_second": Double(report.samples) / report.seconds]
            var validationText = ""
            if let vhr = report.validationHitRate, let vndcg = report.validationNDCG {
                record["validation_hit_rate@10"] = .number(vhr)
                record["validation_ndcg@10"] = .number(vndcg)
                validationText = String(format: "  validation HR@10 %.4f NDCG@10 %.4f", vhr, vndcg)
            }
            folder.log(record)
            if verbose {
                print(String(format: "  %@ epoch %2d  loss %.4f  test HR@%d %.4f  NDCG@%d %.4f%@  (%.1f s, %.0f samples/s)", stage, report.epoch,
                             report.loss, cutoff, hr, cutoff, ndcg, validationText, report.seconds, Double(report.samples) / report.seconds))
            }
        }
        if !refitCurve.isEmpty { curve = refitCurve }   // the final model's stage
        let (hitRate, ndcg) = sampled.evaluate(model, cutoff: cutoff)
        let full = FullRankingEvaluation(split: split).evaluate(model, cutoff: cutoff)
        var errors: (rmse: Double, mae: Double)?
        if let mf = model as? BiasedMF, split.test.hasRatings { errors = try mf.errors(on: split.test) }
        var record: MetricRecord = ["part": part, "model": name, "final": true, "hit_rate@\(cutoff)": hitRate, "ndcg@\(cutoff)": ndcg,
                                    "recall@\(cutoff)": full.recall, "full_ndcg@\(cutoff)": full.ndcg, "map@\(cutoff)": full.map,
                                    "coverage": full.coverage]
        if let errors { record["rmse"] = .number(errors.rmse); record["mae"] = .number(errors.mae) }
        folder.log(record)

        if !curve.isEmpty {
            let chart = LineChart(title: "\(name): HR@\(cutoff) and NDCG@\(cutoff) per epoch (NCF protocol)", xLabel: "epoch", yLabel: "metric",
                                  series: [.init(name: "HR@\(cutoff)", values: curve.map(\.hitRate)),
                                           .init(name: "NDCG@\(cutoff)", values: curve.map(\.ndcg))])
            let files = try Figure.write(svg: chart.svg(), to: folder.file("\(part)-\(name)-curve.svg"))
            folder.addFigure(title: "\(name) learning curve", files: files,
                             caption: "Held-out latest item ranked among 99 sampled unseen items, after each epoch.")
        }
        let checkpoint = folder.file("\(part)-\(name).safetensors")
        let description = RecommenderDescription(model: name, settings: training.settings, users: split.train.users.ids,
                                                 items: split.train.items.ids,
                                                 titles: (0..<split.train.itemCount).map { split.train.catalog?.titles[$0] ?? "" })
        try SavedRecommender(model: model, description: description, history: UserItemMatrix(split.train)).save(to: checkpoint)
        return Result(model: model, hitRate: hitRate, ndcg: ndcg, full: full, errors: errors, checkpoint: checkpoint, epochs: curve)
    }
}
