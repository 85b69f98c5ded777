import Foundation

/// Which metrics a Nerva Flower node puts in its replies. Flower's message-API strategies
/// aggregate only when every reply has the same metric keys (else `InconsistentMessageReplies`),
/// so in a federation whose Python nodes reply only `eval_loss`, the Nerva node must too.
///
/// `nil` keeps every metric the node computes: `train_loss` (and `norm_bit` under client-side DP
/// clipping) for `train`; `eval_loss` and `eval_acc` for `evaluate`. `num-examples` is always sent.
public struct FlowerMetricKeys: Sendable, Equatable {
    /// The metrics of `train` replies, or nil for all.
    public var train: [String]?
    /// The metrics of `evaluate` replies, or nil for all.
    public var evaluate: [String]?

    public init(train: [String]? = nil, evaluate: [String]? = nil) {
        self.train = train
        self.evaluate = evaluate
    }

    /// Keys from a comma-separated list (`"eval_loss,eval_acc"`; an empty string: none).
    ///
    /// - Throws: `FlowerProtocolError.badContent` for an empty or repeated key.
    public static func keys(_ list: String) throws(FlowerProtocolError) -> [String] {
        let keys = list.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if keys == [""] { return [] }
        guard keys.allSatisfy({ !$0.isEmpty }), Set(keys).count == keys.count else {
            throw .badContent("metric keys \"\(list)\" must be distinct, non-empty names separated by commas")
        }
        return keys
    }

    /// `metrics` restricted to `keys` (all when nil).
    ///
    /// - Throws: `FlowerProtocolError.badContent` naming a selected key the node does not compute.
    func selecting(
        _ metrics: [String: FlowerValue], keys: [String]?, kind: String
    ) throws(FlowerProtocolError) -> [String: FlowerValue] {
        guard let keys else { return metrics }
        var selected: [String: FlowerValue] = [:]
        for key in keys {
            guard let value = metrics[key] else {
                throw .badContent(
                    "the \(kind) metric \"\(key)\" was asked for, but this node computes only "
                        + metrics.keys.sorted().joined(separator: ", "))
            }
            selected[key] = value
        }
        return selected
    }
}
