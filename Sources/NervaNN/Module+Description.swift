import NervaTensor

extension Module: CustomStringConvertible {
    /// A tree like PyTorch's: `Sequential(\n  (0): Linear(inputSize: 784, outputSize: 256, bias: true)\n …)`.
    public var description: String {
        let name = String(describing: type(of: self))
        let children = namedChildren()
        guard !children.isEmpty else { return "\(name)(\(settingsDescription))" }
        var lines = ["\(name)(\(settingsDescription)"]
        for child in children {
            let text = child.module.description.split(separator: "\n", omittingEmptySubsequences: false)
                .enumerated().map { $0.offset == 0 ? String($0.element) : "  " + $0.element }
                .joined(separator: "\n")
            lines.append("  (\(child.name)): \(text)")
        }
        lines.append(")")
        return lines.joined(separator: "\n")
    }
}
