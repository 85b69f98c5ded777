import Foundation
import NervaData
import NervaRec

/// HR@10 against ε: the same federation rerun with each noise multiplier `z` (clipping norm
/// fixed), ε from the RDP accountant of `DifferentialPrivacy` at the run's δ.
public struct FederatedRecommendationPrivacySweep {
    /// The federation to rerun; its privacy settings give the clipping norm.
    public let base: FederatedRecommendationRun
    /// The noise multipliers `z`, one full run each.
    public let noiseMultipliers: [Double]
    /// Horizontal lines for comparison (popularity, the run without noise, centralised), by name.
    public var references: [(name: String, hitRate: Double)] = []

    /// A sweep over noise multipliers.
    /// - Parameters:
    ///   - base: The federation to rerun, with DP-FedAvg's clipping norm set.
    ///   - noiseMultipliers: The noise multipliers `z`, one full run each.
    ///   - references: Horizontal lines for comparison on the chart, by name.
    public init(
        base: FederatedRecommendationRun, noiseMultipliers: [Double],
        references: [(name: String, hitRate: Double)] = []
    ) {
        self.base = base
        self.noiseMultipliers = noiseMultipliers
        self.references = references
    }

    /// Runs the federation once per noise multiplier on `split` and writes records, a table of
    /// ε, HR@10 and NDCG@10 per `z`, and the chart of HR@10 against ε into `folder`.
    /// - Parameters:
    ///   - split: The users' training interactions and held-out items.
    ///   - folder: The run folder.
    public func run(split: InteractionSplit, folder: RunFolder) throws {
        var points: [(z: Double, epsilon: Double, hitRate: Double, ndcg: Double)] = []
        for z in noiseMultipliers {
            var configuration = base
            configuration.privacy = base.privacy.map {
                DifferentialPrivacy(clippingNorm: $0.clippingNorm, noiseMultiplier: z)
            }
            let outcome = try configuration.run(split: split, folder: folder, part: "dp-z\(z)")
            let epsilon = outcome.epsilon ?? .infinity
            points.append((z, epsilon, outcome.hitRate, outcome.ndcg))
            folder.log([
                "part": "dp-sweep", "noise_multiplier": z, "dp_epsilon": epsilon, "dp_delta": base.delta,
                "hit_rate@10": outcome.hitRate, "ndcg@10": outcome.ndcg, "rounds": base.rounds
            ])
            print(
                String(
                    format: "DP sweep: z = %g → ε = %@ (δ = %.0e): HR@10 %.4f NDCG@10 %.4f", z,
                    DifferentialPrivacy.epsilonText(epsilon), base.delta,
                    outcome.hitRate, outcome.ndcg))
        }
        folder.addTable(
            title:
                "Differential privacy: HR@10 against ε (S = \(base.privacy?.clippingNorm ?? 0), \(base.rounds) rounds)",
            header: ["noise multiplier z", "ε", "HR@10", "NDCG@10"],
            rows: points.map {
                [
                    String(format: "%g", $0.z), DifferentialPrivacy.epsilonText($0.epsilon),
                    String(format: "%.4f", $0.hitRate),
                    String(format: "%.4f", $0.ndcg)
                ]
            })
        let finite = points.filter(\.epsilon.isFinite).sorted { $0.epsilon < $1.epsilon }
        guard finite.count >= 2 else { return }
        let span = (log10(finite.first!.epsilon), log10(finite.last!.epsilon))
        let chart = LineChart(
            title: "HR@10 against ε (δ = \(base.delta))", xLabel: "log10 ε", yLabel: "HR@10",
            series: [
                .init(
                    name: "federated \(base.architecture.rawValue), DP-FedAvg",
                    points: finite.map { (log10($0.epsilon), $0.hitRate) })
            ]
                + references.map { .init(name: $0.name, points: [(span.0, $0.hitRate), (span.1, $0.hitRate)]) })
        folder.addFigure(
            title: "Privacy against accuracy",
            files: try Figure.write(svg: chart.svg(), to: folder.file("dp-sweep.svg")),
            caption: "Each point is a full federated run with noise multiplier z; ε by Rényi DP over all rounds "
                + "(an upper bound: amplification by sampling a fraction of users is not counted).")
    }
}
