/// Flower's legacy Ins/Res message layout (`flwr/compat/common/recorddict_compat.py`), which
/// `DefaultWorkflow` with a `flwr.server.strategy.*` strategy (and so `SecAggPlusWorkflow`) sends:
///
/// - `train`: `fitins.parameters` (an ArrayRecord keyed `"0"`, `"1"`, …) and `fitins.config`;
///   the reply holds `fitres.parameters` (same keys), `fitres.num_examples` (MetricRecord
///   `{"num_examples": n}`), `fitres.metrics` (ConfigRecord) and `fitres.status`
///   (ConfigRecord `{"code": 0, "message": …}`).
/// - `evaluate`: `evaluateins.parameters` and `evaluateins.config`; the reply holds
///   `evaluateres.loss` (`{"loss": x}`), `evaluateres.num_examples`, `evaluateres.metrics` and
///   `evaluateres.status`.
public enum FlowerLegacyLayout {
    static let fitResultParameters = "fitres.parameters"

    /// The arrays (in key order) and config of a legacy `fitins`/`evaluateins` instruction, or nil
    /// when the content is not in the legacy layout.
    ///
    /// - Throws: `FlowerProtocolError.badContent` when the parameters are there but the record is
    ///   not an ArrayRecord, or the config is not a ConfigRecord.
    static func instruction(
        in content: FlowerContent, prefix: String
    )
        throws(FlowerProtocolError) -> (names: [String], arrays: [NumpyArray], config: [String: FlowerValue])?
    {
        guard let record = content.records["\(prefix).parameters"] else { return nil }
        guard case .arrays(let names, let arrays) = record else {
            throw .badContent("\(prefix).parameters is not an ArrayRecord")
        }
        var config: [String: FlowerValue] = [:]
        if let configRecord = content.records["\(prefix).config"] {
            guard case .config(let values) = configRecord else {
                throw .badContent("\(prefix).config is not a ConfigRecord")
            }
            config = values
        }
        let ordered = inKeyOrder(names: names, arrays: arrays)
        return (ordered.map(\.0), ordered.map(\.1), config)
    }

    /// The `fitres.*` reply: trained arrays under `names`, example count, scalar metrics.
    static func fitReply(
        names: [String], arrays: [NumpyArray], exampleCount: Int, metrics: [String: FlowerValue]
    ) -> FlowerContent {
        FlowerContent(records: [
            fitResultParameters: .arrays(names: names, arrays: arrays),
            "fitres.num_examples": .metrics(["num_examples": .integer(Int64(exampleCount))]),
            "fitres.metrics": .config(metrics),
            "fitres.status": success
        ])
    }

    /// The `evaluateres.*` reply.
    static func evaluateReply(loss: Double, exampleCount: Int, metrics: [String: FlowerValue]) -> FlowerContent {
        FlowerContent(records: [
            "evaluateres.loss": .metrics(["loss": .double(loss)]),
            "evaluateres.num_examples": .metrics(["num_examples": .integer(Int64(exampleCount))]),
            "evaluateres.metrics": .config(metrics),
            "evaluateres.status": success
        ])
    }

    /// The arrays without the `_empty` placeholder, by numeric key when the keys are numbers.
    private static func inKeyOrder(names: [String], arrays: [NumpyArray]) -> [(String, NumpyArray)] {
        let pairs = zip(names, arrays).filter { $0.0 != "_empty" }
        return pairs.allSatisfy { Int($0.0) != nil } ? pairs.sorted { Int($0.0)! < Int($1.0)! } : pairs
    }

    private static let success = FlowerRecord.config(["code": .integer(0), "message": .string("Success")])

    /// What a `fitres.*` reply says: the trained arrays (in key order) and the example count.
    struct FitResult {
        let arrays: [NumpyArray]
        let exampleCount: Int

        init(content: FlowerContent) throws(FlowerProtocolError) {
            guard case .arrays(let names, let arrays)? = content.records[FlowerLegacyLayout.fitResultParameters] else {
                throw .badContent("the fit reply has no \(FlowerLegacyLayout.fitResultParameters) ArrayRecord")
            }
            guard case .metrics(let counts)? = content.records["fitres.num_examples"],
                let count = counts["num_examples"]?.number,
                count >= 0, count <= 1e15
            else {
                throw .badContent("the fit reply has no fitres.num_examples count")
            }
            self.arrays = FlowerLegacyLayout.inKeyOrder(names: names, arrays: arrays).map(\.1)
            exampleCount = Int(count)
        }
    }
}
