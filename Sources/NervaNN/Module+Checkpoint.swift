import Foundation
import NervaTensor

extension Module {
    /// Writes the state dictionary as a safetensors file, atomically, with PyTorch's names and
    /// layouts, so `model.load_state_dict(safetensors.torch.load_file(path))` works in PyTorch.
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try Safetensors.write(stateDictionary(), metadata: metadata, to: url)
    }

    /// Loads a safetensors checkpoint written by `save(to:)` or by PyTorch.
    ///
    /// - Returns: the file's metadata.
    @discardableResult
    public func load(from url: URL, strict: Bool = true) throws -> [String: String] {
        let file = try Safetensors.read(from: url)
        try load(stateDictionary: file.tensors, strict: strict)
        return file.metadata
    }
}
