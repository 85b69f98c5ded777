import Foundation

/// Which tensor of a model each array of a Flower `ArrayRecord` is: by name when the record
/// uses the model's state-dictionary names (as PyTorch's `state_dict()` does), otherwise by
/// order (e.g. the legacy `"0"`, `"1"`, … keys), shapes checked either way.
struct FlowerArrayMapping {
    /// For each received array, the index of its tensor in the layout.
    let entryIndices: [Int]
    let layout: ParameterLayout
    /// Whether the names matched (else the order did).
    let byName: Bool

    init(names: [String], arrays: [NumpyArray], layout: ParameterLayout) throws(FlowerProtocolError) {
        self.layout = layout
        let entries = layout.entries
        func described(_ pairs: [(String, [Int])]) -> String {
            let shown = pairs.prefix(6).map { "\($0.0) \($0.1)" }.joined(separator: ", ")
            return pairs.count > 6 ? shown + ", … (\(pairs.count) in all)" : shown
        }
        let position = Dictionary(entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        if Set(names) == Set(entries.map(\.name)), names.count == entries.count {
            entryIndices = names.map { position[$0]! }
            byName = true
        } else if names.count == entries.count, zip(arrays, entries).allSatisfy({ $0.shape == $1.shape }) {
            entryIndices = Array(entries.indices)
            byName = false
        } else {
            throw .badContent(
                "the ArrayRecord's arrays [\(described(Array(zip(names, arrays.map(\.shape)))))] match neither the names "
                    + "nor the order and shapes of the model's tensors [\(described(entries.map { ($0.name, $0.shape) }))]; "
                    + "is --model the architecture the ServerApp uses?")
        }
        for (index, (name, array)) in zip(entryIndices, zip(names, arrays)) where entries[index].shape != array.shape {
            throw .badContent(
                "array \"\(name)\" has shape \(array.shape), the model's tensor \"\(entries[index].name)\" \(entries[index].shape)"
            )
        }
    }

    /// The received arrays as a parameter set in the model's layout.
    func parameters(from arrays: [NumpyArray]) -> ParameterSet {
        var values = [Float](repeating: 0, count: layout.scalarCount)
        values.withUnsafeMutableBufferPointer { out in
            for (index, array) in zip(entryIndices, arrays) {
                let entry = layout.entries[index]
                array.scalars.withUnsafeBufferPointer { source in
                    (out.baseAddress! + entry.offset).update(from: source.baseAddress!, count: entry.count)
                }
            }
        }
        return ParameterSet(layout: layout, values: values)
    }

    /// `parameters` as arrays with the received names' order, shapes and element types.
    func arrays(from parameters: ParameterSet, like received: [NumpyArray]) -> [NumpyArray] {
        zip(entryIndices, received).map { index, array in
            let entry = layout.entries[index]
            return NumpyArray(
                scalars: Array(parameters.values[entry.offset..<entry.offset + entry.count]), shape: array.shape,
                scalarType: array.scalarType)
        }
    }
}
