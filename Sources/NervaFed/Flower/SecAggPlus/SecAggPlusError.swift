/// Why a node cannot take part in a SecAgg+ stage.
public enum SecAggPlusError: Error, CustomStringConvertible, Equatable {
    /// A message out of order, a missing or mistyped config key, a threshold not met, shares or
    /// ciphertexts that do not belong to this node.
    case protocolViolation(String)
    /// A key, token or share that cannot be read or verified.
    case cryptography(String)

    public var description: String {
        switch self {
        case .protocolViolation(let problem): "SecAgg+: \(problem)"
        case .cryptography(let problem): "SecAgg+ cryptography: \(problem)"
        }
    }
}
