/// A problem with an environment's definition, reported with what is wrong.
public enum EnvironmentError: Error, CustomStringConvertible, Equatable {
    /// A FrozenLake map that cannot be used, with the reason.
    case invalidMap(String)
    /// An environment id that Nerva does not provide.
    case unknownEnvironment(String, known: [String])

    public var description: String {
        switch self {
        case let .invalidMap(reason): return "Invalid FrozenLake map: \(reason)"
        case let .unknownEnvironment(id, known):
            return "Unknown environment '\(id)'. Known environments: \(known.joined(separator: ", "))."
        }
    }
}
