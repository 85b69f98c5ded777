import NervaTensor

/// The base class of every model and layer, with the vocabulary PyTorch users know:
/// `parameters()`, `namedParameters()` with dotted names, `train()`/`eval()`, and state
/// dictionaries.
///
/// Subclasses declare their parameters as plain stored `Tensor` properties, their buffers
/// (non-trained state such as running means) with `@Buffer`, and their sub-layers as stored
/// `Module` properties or arrays of modules; discovery is by reflection, in declaration order.
/// Names in state dictionaries are the property names in snake_case (`runningMean` is
/// `running_mean`), as PyTorch spells them. Properties whose name starts with `_` are ignored.
///
/// ```swift
/// final class TwoLayer: Module, Layer {
///     let hidden = Linear(inputSize: 4, outputSize: 8)
///     let output = Linear(inputSize: 8, outputSize: 1)
///     func callAsFunction(_ x: Tensor) -> Tensor { output(hidden(x).relu()) }
/// }
/// TwoLayer().namedParameters().map(\.name)  // ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
/// ```
open class Module {
    /// `true` in training mode (dropout active, batch statistics), `false` after `eval()`.
    public private(set) var isTraining = true

    public init() {}

    /// The settings shown between the parentheses of `description` (`inputSize: 784, …`).
    open var settingsDescription: String { "" }

    // MARK: - Discovery

    /// The direct sub-modules with their names. Override to name children differently
    /// (`Sequential` names them `0`, `1`, …).
    open func namedChildren() -> [(name: String, module: Module)] {
        reflectedMembers().compactMap { member in
            if case .child(let module) = member.kind { return (member.name, module) }
            return nil
        }
    }

    /// This module's own parameters, without its children's.
    open func ownParameters() -> [(name: String, tensor: Tensor)] {
        reflectedMembers().compactMap { member in
            if case .parameter(let tensor) = member.kind { return (member.name, tensor) }
            return nil
        }
    }

    /// This module's own buffers, without its children's.
    open func ownBuffers() -> [(name: String, tensor: Tensor)] {
        reflectedMembers().compactMap { member in
            if case .buffer(let tensor) = member.kind { return (member.name, tensor) }
            return nil
        }
    }

    /// Every parameter of this module and its descendants, with dotted names (`0.weight`).
    /// A parameter shared by several layers (tied weights) is listed once, under its first name,
    /// as in PyTorch; `stateDictionary()` keeps every name.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var seen = Set<ObjectIdentifier>()
        return allNamedParameters().filter { seen.insert(ObjectIdentifier($0.tensor)).inserted }
    }

    /// Every parameter under every name it has, duplicates included.
    func allNamedParameters() -> [(name: String, tensor: Tensor)] {
        ownParameters()
            + namedChildren().flatMap { child in
                child.module.allNamedParameters().map { ("\(child.name).\($0.name)", $0.tensor) }
            }
    }

    /// Every parameter of this module and its descendants.
    public func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

    /// Every buffer of this module and its descendants, with dotted names.
    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        ownBuffers()
            + namedChildren().flatMap { child in
                child.module.namedBuffers().map { ("\(child.name).\($0.name)", $0.tensor) }
            }
    }

    /// This module and all its descendants, depth first.
    public func modules() -> [Module] { [self] + namedChildren().flatMap { $0.module.modules() } }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.scalarCount } }

    // MARK: - Modes

    /// Switches this module and its descendants to training (`true`) or evaluation mode.
    public func train(_ on: Bool = true) {
        for module in modules() { module.isTraining = on }
    }

    /// Switches to evaluation mode: `train(false)`.
    public func eval() { train(false) }

    /// Clears the gradient of every parameter.
    public func zeroGradients() {
        for parameter in parameters() { parameter.gradient = nil }
    }

    // MARK: - Reflection

    struct Member {
        enum Kind {
            case parameter(Tensor)
            case buffer(Tensor)
            case child(Module)
        }
        let name: String
        let kind: Kind
    }

    private func reflectedMembers() -> [Member] {
        var mirrors: [Mirror] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let current = mirror, current.subjectType != Module.self {
            mirrors.append(current)
            mirror = current.superclassMirror
        }
        return mirrors.reversed().flatMap { mirror in
            mirror.children.flatMap { child -> [Member] in
                guard let label = child.label else { return [] }
                if let buffer = child.value as? Buffer {
                    return [Member(name: snakeCase(String(label.dropFirst())), kind: .buffer(buffer.wrappedValue))]
                }
                if label.hasPrefix("_") { return [] }
                let name = snakeCase(label)
                if let tensor = child.value as? Tensor { return [Member(name: name, kind: .parameter(tensor))] }
                if let module = child.value as? Module { return [Member(name: name, kind: .child(module))] }
                if let modules = child.value as? [Module] {
                    return modules.enumerated().map { Member(name: "\(name).\($0.offset)", kind: .child($0.element)) }
                }
                return []
            }
        }
    }
}

/// Marks a stored tensor as a buffer: state saved with the module but not trained
/// (PyTorch's `register_buffer`).
@propertyWrapper
public struct Buffer {
    public var wrappedValue: Tensor
    public init(wrappedValue: Tensor) { self.wrappedValue = wrappedValue }
}

/// A module that maps one tensor to another.
public protocol Layer: Module {
    func callAsFunction(_ input: Tensor) -> Tensor
}

/// `runningMean` → `running_mean`.
func snakeCase(_ name: String) -> String {
    var result = ""
    for character in name {
        if character.isUppercase {
            if !result.isEmpty { result += "_" }
            result += character.lowercased()
        } else {
            result.append(character)
        }
    }
    return result
}
