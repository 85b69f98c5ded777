import Foundation
import NervaData

/// Renders a `RecommenderTrainingRun` into a run folder: per-epoch lines and records, final
/// metrics, the HR/NDCG curve, the saved model.
public struct RecTrainingRun {
    /// The training run this renders.
    public let run: RecommenderTrainingRun
    /// Whether to print per-epoch lines.
    public var verbose = true

    /// A run to write into a folder.
    /// - Parameters:
    ///   - training: The model and its settings.
    ///   - cutoff: The length of the ranked lists the metrics look at (HR@k, NDCG@k).
    ///   - seed: The seed of training and of the sampled negatives.
    public init(training: RecommenderTraining, cutoff: Int, seed: UInt64) {
        run = RecommenderTrainingRun(training: training, cutoff: cutoff, seed: seed)
    }

    /// Trains on `train`, evaluates on `test` when given, and writes everything into `folder`.
    /// - Parameters:
    ///   - train: The training interactions.
    ///   - test: The held-out interactions (no evaluation when `nil`).
    ///   - folder: The run folder.
    ///   - part: The `part` field of the metric records and the prefix of file names.
    /// - Returns: The training run's result and the saved model's file.
    public func run(
        train: InteractionDataset, test: InteractionDataset?, folder: RunFolder,
        part: String = "rec"
    ) throws -> (result: RecommenderTrainingRun.Result, checkpoint: URL) {
        let cutoff = run.cutoff
        let name = run.training.kind.rawValue
        let result = try run.run(train: train, test: test) { epoch in
            let report = epoch.report
            var record: MetricRecord = [
                "part": part, "model": epoch.stage, "epoch": report.epoch, "loss": report.loss,
                "seconds": report.seconds, "samples_per_second": Double(report.samples) / report.seconds
            ]
            var text = String(format: "  %@ epoch %2d  loss %.4f", epoch.stage, report.epoch, report.loss)
            if let test = epoch.test {
                record["hit_rate@\(cutoff)"] = .number(test.hitRate)
                record["ndcg@\(cutoff)"] = .number(test.ndcg)
                text += String(format: "  test HR@%d %.4f  NDCG@%d %.4f", cutoff, test.hitRate, cutoff, test.ndcg)
            }
            if let vhr = report.validationHitRate, let vndcg = report.validationNDCG {
                record["validation_hit_rate@10"] = .number(vhr)
                record["validation_ndcg@10"] = .number(vndcg)
                text += String(format: "  validation HR@10 %.4f NDCG@10 %.4f", vhr, vndcg)
            }
            folder.log(record)
            if verbose {
                print(
                    text
                        + String(
                            format: "  (%.1f s, %.0f samples/s)", report.seconds,
                            Double(report.samples) / report.seconds))
            }
        }
        var record: MetricRecord = [
            "part": part, "model": name, "final": true, "training_seconds": result.trainingSeconds
        ]
        if let evaluation = result.evaluation {
            record["hit_rate@\(cutoff)"] = .number(evaluation.hitRate)
            record["ndcg@\(cutoff)"] = .number(evaluation.ndcg)
            record["recall@\(cutoff)"] = .number(evaluation.full.recall)
            record["full_ndcg@\(cutoff)"] = .number(evaluation.full.ndcg)
            record["map@\(cutoff)"] = .number(evaluation.full.map)
            record["coverage"] = .number(evaluation.full.coverage)
            if let errors = evaluation.errors {
                record["rmse"] = .number(errors.rmse)
                record["mae"] = .number(errors.mae)
            }
        } else {
            record["evaluation"] = .string("none")
        }
        folder.log(record)
        let curve = result.curve.compactMap { epoch in
            epoch.test.map { (epoch: epoch.report.epoch, hitRate: $0.hitRate, ndcg: $0.ndcg) }
        }
        if !curve.isEmpty {
            let chart = LineChart(
                title: "\(name): HR@\(cutoff) and NDCG@\(cutoff) per epoch (NCF protocol)", xLabel: "epoch",
                yLabel: "metric",
                series: [
                    .init(name: "HR@\(cutoff)", values: curve.map(\.hitRate)),
                    .init(name: "NDCG@\(cutoff)", values: curve.map(\.ndcg))
                ])
            let files = try Figure.write(svg: chart.svg(), to: folder.file("\(part)-\(name)-curve.svg"))
            folder.addFigure(
                title: "\(name) learning curve", files: files,
                caption: "Held-out latest item ranked among 99 sampled unseen items, after each epoch.")
        }
        let checkpoint = folder.file("\(part)-\(name).safetensors")
        try result.saved.save(to: checkpoint)
        return (result, checkpoint)
    }
}
