import Foundation
import NervaRec

/// The architecture of a federated NCF model (He et al. 2017, trained as in FedNCF, Perifanis &
/// Efraimidis 2022, https://arxiv.org/abs/2106.04405) and the split of its tensors into what is
/// shared and what stays on the device.
///
/// Shared (the global `ParameterSet`): the item embedding tables and the dense weights (GMF's
/// and the MLP's final layer, the MLP tower). Private: the user embedding tables, one row per
/// participant, which never enter a message. The architecture is agreed when a participant
/// enrols, so the `ModelDescription` of the generic protocol is not used for it.
public struct FederatedNCFModel: Sendable, Equatable {
    /// GMF, the MLP or NeuMF.
    public var architecture: NCFSettings.Architecture
    /// The number of items of the catalogue (rows of each item table).
    public var itemCount: Int
    /// GMF's predictive factors.
    public var factors: Int
    /// The MLP sizes (`layers[0]` is the concatenated embedding size).
    public var layers: [Int]
    /// Sampled negatives per local positive in each local epoch.
    public var negatives: Int
    /// Epochs in which a participant first fits its private user embedding alone to the shared
    /// weights it receives (those held fixed), before local training and before ranking: the
    /// user step first, as in FCF (Ammad-ud-din et al. 2019). 0: off.
    public var refitEpochs: Int

    public init(
        architecture: NCFSettings.Architecture = .neumf, itemCount: Int, factors: Int = 8,
        layers: [Int] = [64, 32, 16, 8], negatives: Int = 4, refitEpochs: Int = 1
    ) {
        precondition(
            itemCount > 0 && factors > 0 && negatives >= 0 && refitEpochs >= 0,
            "FederatedNCFModel: item count and factors must be positive, negatives and refit epochs non-negative.")
        self.architecture = architecture
        self.itemCount = itemCount
        self.factors = factors
        self.layers = layers
        self.negatives = negatives
        self.refitEpochs = refitEpochs
    }

    /// The NCF settings of this architecture (NervaRec's), seeded.
    public func settings(seed: UInt64) -> NCFSettings {
        var settings = NCFSettings()
        settings.architecture = architecture
        settings.factors = factors
        settings.layers = layers
        settings.negatives = negatives
        settings.seed = seed
        return settings
    }

    /// A network with `users` user rows and every item.
    func makeNetwork(users: Int, seed: UInt64) -> any NCFNetwork {
        settings(seed: seed).makeNetwork(users: users, items: itemCount)
    }

    /// The initial global (shared) parameters: NervaRec's initialisation without the user tables.
    public func initialParameters(seed: UInt64) -> ParameterSet {
        NCFTables(makeNetwork(users: 1, seed: seed)).sharedParameters()
    }

    /// The layout of the shared parameters.
    public var sharedLayout: ParameterLayout { initialParameters(seed: 0).layout }

    /// The widths of the private user tables, in order (GMF's then the MLP's for NeuMF).
    public var userDimensions: [Int] {
        switch architecture {
        case .gmf: [factors]
        case .mlp: [layers[0] / 2]
        case .neumf: [factors, layers[0] / 2]
        }
    }

    /// A participant's initial private user embedding, `N(0, 0.01²)` as in NCF, from its own seed.
    public func initialUserEmbedding(seed: UInt64) -> [Float] {
        var row = [Float](repeating: 0, count: userDimensions.reduce(0, +))
        row.withUnsafeMutableBufferPointer { RandomGenerator(seed: seed).fillNormal($0, standardDeviation: 0.01) }
        return row
    }

    /// A placeholder for the protocol's `ModelDescription`: the NCF architecture is agreed at
    /// enrolment, so the instruction carries no layers.
    public static let protocolDescription = ModelDescription(inputShape: [2], layers: [])
}

/// Which tensors of an NCF network are the user tables, the item tables and the dense weights.
struct NCFTables {
    let network: any NCFNetwork
    /// The user embedding tables (private).
    let user: [Embedding]
    /// The item embedding tables (shared, row by row).
    let item: [Embedding]

    init(_ network: any NCFNetwork) {
        self.network = network
        switch network {
        case let gmf as GMF: (user, item) = ([gmf.userEmbedding], [gmf.itemEmbedding])
        case let mlp as NCFMLP: (user, item) = ([mlp.userEmbedding], [mlp.itemEmbedding])
        case let neumf as NeuMF:
            (user, item) = (
                [neumf.gmfUserEmbedding, neumf.mlpUserEmbedding], [neumf.gmfItemEmbedding, neumf.mlpItemEmbedding]
            )
        default: preconditionFailure("NCFTables: unknown NCF network \(type(of: network)).")
        }
    }

    /// Every named tensor except the user tables, in declaration order, sharing storage.
    func sharedTensors() -> [(name: String, tensor: Tensor)] {
        let privateTensors = Set(user.map { ObjectIdentifier($0.weight) })
        let dictionary = network.stateDictionary()
        return network.stateDictionaryKeys().compactMap { name in
            let tensor = dictionary[name]!
            return privateTensors.contains(ObjectIdentifier(tensor)) ? nil : (name, tensor)
        }
    }

    /// A copy of the shared tensors.
    func sharedParameters() -> ParameterSet { ParameterSet(tensors: sharedTensors()) }
}
