import Foundation
import NervaData

/// The report part of `nerva fed recommend`: the HR/NDCG curve per round against the
/// centralised and popularity references, the comparison table and line, and the traffic.
public struct FederatedRecommendationReport {
    /// The federation's settings.
    public let run: FederatedRecommendationRun
    /// What the federation measured.
    public let outcome: FederatedRecommendationRun.Outcome
    /// The popularity baseline's HR@10 and NDCG@10.
    public let popularity: (hitRate: Double, ndcg: Double)
    /// Centralised NCF's HR@10 and NDCG@10 (`nil` when it was skipped).
    public let centralised: (hitRate: Double, ndcg: Double)?
    /// The epochs centralised NCF trained.
    public let centralisedEpochs: Int

    /// A report of a finished federation.
    /// - Parameters:
    ///   - run: The federation's settings.
    ///   - outcome: What it measured.
    ///   - popularity: The popularity baseline's HR@10 and NDCG@10.
    ///   - centralised: Centralised NCF's HR@10 and NDCG@10 (`nil` when skipped).
    ///   - centralisedEpochs: The epochs centralised NCF trained.
    public init(
        run: FederatedRecommendationRun, outcome: FederatedRecommendationRun.Outcome,
        popularity: (hitRate: Double, ndcg: Double), centralised: (hitRate: Double, ndcg: Double)?,
        centralisedEpochs: Int
    ) {
        self.run = run
        self.outcome = outcome
        self.popularity = popularity
        self.centralised = centralised
        self.centralisedEpochs = centralisedEpochs
    }

    /// Federated HR@10 as a share of centralised HR@10.
    public var ratio: Double? { centralised.map { outcome.hitRate / max($0.hitRate, 1e-12) } }

    /// One line: federated vs centralised vs popularity, rounds and bytes.
    public var comparisonLine: String {
        let name = run.architecture.rawValue
        var line = String(
            format: "federated %@ HR@10 %.4f NDCG@10 %.4f after %d rounds", name, outcome.hitRate, outcome.ndcg,
            run.rounds)
        if let centralised, let ratio {
            line += String(
                format: " | centralised %@ (%d epochs) HR@10 %.4f NDCG@10 %.4f (federated/centralised %.3f)",
                name, centralisedEpochs, centralised.hitRate, centralised.ndcg, ratio)
        }
        line += String(
            format: " | popularity HR@10 %.4f NDCG@10 %.4f | sent per user %@ over the run (%@ per update), "
                + "downloaded %@ per round trained", popularity.hitRate, popularity.ndcg,
            Self.bytes(outcome.uploadBytesPerUser),
            Self.bytes(outcome.bytesPerUpdate), Self.bytes(Double(outcome.instructionBytes)))
        if let epsilon = outcome.epsilon {
            line += String(format: " | (ε = %@, δ = %.0e)", DifferentialPrivacy.epsilonText(epsilon), run.delta)
        }
        return line
    }

    /// A byte count for people, in kB or MB.
    /// - Parameter count: The bytes.
    public static func bytes(_ count: Double) -> String {
        count >= 1_048_576 ? String(format: "%.2f MB", count / 1_048_576) : String(format: "%.1f kB", count / 1024)
    }

    /// Writes the curve per round, the comparison and round tables, what leaves a device, and the
    /// final record into `folder`.
    /// - Parameters:
    ///   - folder: The run folder.
    ///   - part: The `part` field of the record and the prefix of the curve's file.
    public func write(to folder: RunFolder, part: String = "fedrec") throws {
        let reports = outcome.reports
        var series: [LineChart.Series] = [
            .init(
                name: "federated HR@10",
                points: reports.map { (Double($0.round), $0.federatedEvaluation?.metrics["hit_rate@10"] ?? 0) }),
            .init(
                name: "federated NDCG@10",
                points: reports.map { (Double($0.round), $0.federatedEvaluation?.metrics["ndcg@10"] ?? 0) }),
            .init(name: "popularity HR@10", points: [(1, popularity.hitRate), (Double(run.rounds), popularity.hitRate)])
        ]
        if let centralised {
            series.append(
                .init(
                    name: "centralised HR@10",
                    points: [(1, centralised.hitRate), (Double(run.rounds), centralised.hitRate)]))
            series.append(
                .init(
                    name: "90 % of centralised",
                    points: [(1, 0.9 * centralised.hitRate), (Double(run.rounds), 0.9 * centralised.hitRate)]))
        }
        let chart = LineChart(
            title: "Federated \(run.architecture.rawValue): HR@10 and NDCG@10 per round", xLabel: "round",
            yLabel: "metric", series: series)
        folder.addFigure(
            title: "Federated \(run.architecture.rawValue) learning curve",
            files: try Figure.write(svg: chart.svg(), to: folder.file("\(part)-curve.svg")),
            caption: "Each user ranks its held-out latest item among 99 sampled unseen items with the global shared "
                + "weights and its private user embedding (NCF protocol); means over users. Horizontal lines: "
                + "centralised NCF (same architecture, split and evaluation cases) and popularity.")
        var rows = [
            [
                "federated \(run.architecture.rawValue) (\(run.rounds) rounds)",
                String(format: "%.4f", outcome.hitRate),
                String(format: "%.4f", outcome.ndcg)
            ]
        ]
        if let centralised {
            rows.append([
                "centralised \(run.architecture.rawValue) (\(centralisedEpochs) epochs)",
                String(format: "%.4f", centralised.hitRate),
                String(format: "%.4f", centralised.ndcg)
            ])
        }
        rows.append(["popularity", String(format: "%.4f", popularity.hitRate), String(format: "%.4f", popularity.ndcg)])
        folder.addTable(title: "Federated vs centralised", header: ["model", "HR@10", "NDCG@10"], rows: rows)
        folder.addTable(
            title: "Rounds", header: ["round", "HR@10", "NDCG@10", "train loss", "users", "rows per update", "seconds"],
            rows: reports.map { r in
                [
                    String(r.round), String(format: "%.4f", r.federatedEvaluation?.metrics["hit_rate@10"] ?? .nan),
                    String(format: "%.4f", r.federatedEvaluation?.metrics["ndcg@10"] ?? .nan),
                    String(format: "%.4f", r.trainMetrics["train_loss"] ?? .nan), String(r.accepted.count),
                    run.secureAggregation
                        ? "hidden" : String(format: "%.0f", r.trainMetrics["rows_per_update"] ?? .nan),
                    String(format: "%.2f", r.seconds)
                ]
            })
        let sent =
            run.secureAggregation
            ? """
            This run used secure aggregation, so the fit result never left the device: each user masked one \
            dense vector (its row-weighted changes of every item row, zero where untouched, the per-row example \
            counts, the weighted dense changes and its example count) with a self mask and pairwise masks agreed \
            with its O(log n) SecAgg+ neighbours, and the \
            server unmasked only the sum over the round's users, from which it rebuilt the same per-row means. \
            It saw neither a user's values nor which rows the user touched. Measured: \(Self.bytes(outcome.bytesPerUpdate)) \
            per masked vector (8 bytes per value), \(Self.bytes(outcome.uploadBytesPerUser)) per user over \(run.rounds) \
            rounds, plus the key and share messages.
            """
            : """
            Each user that trains sends one fit result (a safetensors file): the item rows it touched \
            (its positives mixed with \(run.negatives)× as many sampled non-interactions per epoch, not marked), \
            the number of local examples per row, the dense weights and its example count and training loss. \
            It never sends its user id, its user embedding, its labels or which rows are its interactions; \
            the set of touched rows is visible to the server, though (--secure-aggregation hides it). \
            Measured: \(Self.bytes(outcome.bytesPerUpdate)) per fit result, \(Self.bytes(outcome.uploadBytesPerUser)) per user \
            over \(run.rounds) rounds.
            """
        folder.addText(
            title: "What leaves a device",
            text: sent + """
                 Each trained round downloads the shared weights (\(Self.bytes(Double(outcome.instructionBytes)))). \
                Evaluation sends HR@10, NDCG@10 and the log loss of the 100 ranked items.
                """)
        var record: MetricRecord = [
            "part": part, "final": true, "model": run.architecture.rawValue, "rounds": run.rounds,
            "hit_rate@10": outcome.hitRate, "ndcg@10": outcome.ndcg,
            "popularity_hit_rate@10": popularity.hitRate, "popularity_ndcg@10": popularity.ndcg,
            "upload_bytes_per_user": outcome.uploadBytesPerUser, "bytes_per_update": outcome.bytesPerUpdate,
            "instruction_bytes": outcome.instructionBytes
        ]
        if let centralised, let ratio {
            record["centralised_hit_rate@10"] = .number(centralised.hitRate)
            record["centralised_ndcg@10"] = .number(centralised.ndcg)
            record["federated_over_centralised"] = .number(ratio)
        }
        if let epsilon = outcome.epsilon {
            record["dp_epsilon"] = .number(epsilon)
            record["dp_delta"] = .number(run.delta)
        }
        folder.log(record)
    }
}
