import Foundation
import NervaTensor

/// A problem loading a state dictionary or checkpoint into a module.
public enum StateDictionaryError: Error, CustomStringConvertible, Equatable {
    /// Keys the module expects but the dictionary lacks, keys it has that the module does not,
    /// and entries whose shapes differ.
    case mismatch(missing: [String], unexpected: [String], wrongShapes: [String])

    public var description: String {
        switch self {
        case let .mismatch(missing, unexpected, wrongShapes):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing keys: \(missing.joined(separator: ", "))") }
            if !unexpected.isEmpty { parts.append("unexpected keys: \(unexpected.joined(separator: ", "))") }
            if !wrongShapes.isEmpty { parts.append("shape mismatches: \(wrongShapes.joined(separator: "; "))") }
            return "state dictionary does not fit the module: " + parts.joined(separator: "; ")
        }
    }
}

extension Module {
    /// Parameters and buffers by dotted name, sharing storage with the module (PyTorch's `state_dict()`).
    public func stateDictionary() -> [String: Tensor] {
        Dictionary(allNamedParameters() + namedBuffers(), uniquingKeysWith: { first, _ in first })
    }

    /// The names of `stateDictionary()` in declaration order.
    public func stateDictionaryKeys() -> [String] { (allNamedParameters() + namedBuffers()).map(\.name) }

    /// Copies values from `stateDictionary` into this module's parameters and buffers, in place
    /// (optimisers keep working on the same tensors).
    ///
    /// - Parameters:
    ///   - stateDictionary: the tensors by dotted name, as `stateDictionary()` gives them.
    ///   - strict: when `true`, missing and unexpected keys are errors; shape mismatches
    ///     always are. Nothing is changed unless every entry fits.
    /// - Throws: `StateDictionaryError.mismatch` listing every problem.
    public func load(stateDictionary: [String: Tensor], strict: Bool = true) throws {
        let own = allNamedParameters() + namedBuffers()
        let ownNames = Set(own.map(\.name))
        let missing = own.map(\.name).filter { stateDictionary[$0] == nil }
        let unexpected = stateDictionary.keys.filter { !ownNames.contains($0) }.sorted()
        let wrongShapes = own.compactMap { name, tensor -> String? in
            guard let value = stateDictionary[name], value.shape != tensor.shape else { return nil }
            return "\(name): checkpoint \(value.shape), module \(tensor.shape)"
        }
        if !wrongShapes.isEmpty || (strict && !(missing.isEmpty && unexpected.isEmpty)) {
            throw StateDictionaryError.mismatch(
                missing: strict ? missing : [], unexpected: strict ? unexpected : [],
                wrongShapes: wrongShapes)
        }
        for (name, tensor) in own {
            if let value = stateDictionary[name] { tensor.assign(value) }
        }
    }
}
