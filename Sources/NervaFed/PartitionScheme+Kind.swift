import Foundation

extension PartitionScheme {
    /// The schemes by name, without their parameters (`nerva fed simulate --partition`).
    public enum Kind: String, CaseIterable, Sendable {
        case iid, dirichlet, labels, shards, quantity
    }

    /// β of the Dirichlet (label or quantity) skew when none is given.
    public static let defaultBeta = 0.5
    /// Classes per participant of `labelsPerClient` when none is given.
    public static let defaultLabelsPerClient = 2
    /// Shards per participant of `shards` when none is given (McMahan et al.: 2).
    public static let defaultShardsPerClient = 2

    /// The scheme of `kind` with the given parameters (`nil`: the defaults above); the
    /// parameters other schemes take are ignored.
    public init(kind: Kind, beta: Double? = nil, labelsPerClient: Int? = nil, shardsPerClient: Int? = nil) {
        switch kind {
        case .iid: self = .iid
        case .dirichlet: self = .dirichlet(beta: beta ?? Self.defaultBeta)
        case .labels: self = .labelsPerClient(labelsPerClient ?? Self.defaultLabelsPerClient)
        case .shards: self = .shards(perClient: shardsPerClient ?? Self.defaultShardsPerClient)
        case .quantity: self = .quantitySkew(beta: beta ?? Self.defaultBeta)
        }
    }

    /// The scheme's name without its parameters.
    public var kind: Kind {
        switch self {
        case .iid: .iid
        case .dirichlet: .dirichlet
        case .labelsPerClient: .labels
        case .shards: .shards
        case .quantitySkew: .quantity
        }
    }
}
