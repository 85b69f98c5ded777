import Foundation

/// The classifiers of the federated Fashion-MNIST runs: McMahan et al.'s MLP (784→200→200→10
/// unless told otherwise) or the NIID-Bench CNN (LeNet-5).
public enum FashionMNISTArchitecture: String, CaseIterable, Sendable {
    case mlp, cnn

    /// The architecture as a `ModelDescription`; `hiddenSizes` (the MLP's hidden widths, `nil`
    /// for `ModelDescription.mlp`'s default) applies to the MLP only.
    public func modelDescription(hiddenSizes: [Int]? = nil) -> ModelDescription {
        switch self {
        case .mlp: hiddenSizes.map { .mlp(hiddenSizes: $0) } ?? .mlp()
        case .cnn: .lenet()
        }
    }
}
