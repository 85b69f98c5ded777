import Foundation

extension RowWeightedFedAvg {
    /// Item rows: `Σᵢ cᵢᵣ·xᵢᵣ / Σᵢ cᵢᵣ` over the participants that touched row `r` (untouched rows keep
    /// the global value); dense tensors: `Σᵢ nᵢ·xᵢ / Σᵢ nᵢ`. Sums in `Double`, in the updates' order.
    public static func rowWeightedAverage(
        _ updates: [RecommendationUpdate], exampleCounts: [Int], global: ParameterSet,
        itemTables: Set<String>
    ) -> [Float] {
        precondition(
            updates.count == exampleCounts.count && !updates.isEmpty, "RowWeightedFedAvg: one example count per update."
        )
        var result = global.values
        let totalExamples = Double(exampleCounts.reduce(0, +))
        for (index, entry) in global.layout.entries.enumerated() {
            if itemTables.contains(entry.name) {
                let width = entry.shape[1]
                var numerator = [Double](repeating: 0, count: entry.count)
                var denominator = [Double](repeating: 0, count: entry.shape[0])
                for update in updates {
                    let values = update.values(ofEntry: index)
                    values.withUnsafeBufferPointer { v in
                        for (k, row) in update.rows.enumerated() {
                            let weight = Double(update.rowWeights[k])
                            denominator[row] += weight
                            for j in 0..<width { numerator[row * width + j] += weight * Double(v[k * width + j]) }
                        }
                    }
                }
                for row in 0..<entry.shape[0] where denominator[row] > 0 {
                    for j in 0..<width {
                        result[entry.offset + row * width + j] = Float(numerator[row * width + j] / denominator[row])
                    }
                }
            } else {
                var sum = [Double](repeating: 0, count: entry.count)
                for (update, count) in zip(updates, exampleCounts) {
                    let weight = Double(count) / totalExamples
                    update.values(ofEntry: index).withUnsafeBufferPointer { v in
                        for j in 0..<entry.count { sum[j] += weight * Double(v[j]) }
                    }
                }
                for j in 0..<entry.count { result[entry.offset + j] = Float(sum[j]) }
            }
        }
        return result
    }

    /// A participant's change `Δ = x − global` on the coordinates it sent (the touched rows of
    /// the item tables, every dense weight), with their positions in the global layout and their
    /// weights in the row-weighted mean (the row's example count, or `exampleCount` for dense).
    static func sparseDelta(
        _ update: RecommendationUpdate, exampleCount: Int, global: ParameterSet, itemTables: Set<String>
    )
        -> (delta: [Float], positions: [Int], weights: [Float])
    {
        var delta: [Float] = [], positions: [Int] = [], weights: [Float] = []
        delta.reserveCapacity(update.parameters.scalarCount)
        positions.reserveCapacity(update.parameters.scalarCount)
        weights.reserveCapacity(update.parameters.scalarCount)
        for (index, entry) in global.layout.entries.enumerated() {
            let values = Array(update.values(ofEntry: index))
            if itemTables.contains(entry.name) {
                let width = entry.shape[1]
                for (k, row) in update.rows.enumerated() {
                    for j in 0..<width {
                        let position = entry.offset + row * width + j
                        delta.append(values[k * width + j] - global.values[position])
                        positions.append(position)
                        weights.append(update.rowWeights[k])
                    }
                }
            } else {
                for j in 0..<entry.count {
                    delta.append(values[j] - global.values[entry.offset + j])
                    positions.append(entry.offset + j)
                    weights.append(Float(exampleCount))
                }
            }
        }
        return (delta, positions, weights)
    }
}
