import Foundation
import NervaNN
import NervaTensor

extension ImageClassification {
    /// The architectures on offer: an MLP 784→256→128→10, LeNet-5 (the benchmark's and the
    /// federated tour's CNN), and LeNet with more filters and units for higher accuracy.
    public enum Architecture: String, CaseIterable, Sendable {
        case mlp, cnn
        case cnnWide = "cnn-wide"

        /// A new, randomly initialised model of this architecture.
        public func makeModel(generator: RandomGenerator) -> any FeatureClassifier {
            switch self {
            case .mlp: MLPClassifier(generator: generator)
            case .cnn: LeNet(generator: generator)
            case .cnnWide: LeNet(channels: (16, 32), hidden: (128, 84), generator: generator)
            }
        }
    }

    /// How training images are varied each time they are seen.
    public enum Augmentation: String, CaseIterable, Sendable {
        /// The images as they are.
        case none
        /// Each image mirrored left–right with probability ½ (garments are nearly symmetric).
        case flip
    }

    /// The classifier of a checkpoint written by `ClassificationRun` (`nerva classify`), in
    /// evaluation mode; its metadata names the architecture (`cnn` when it names none).
    ///
    /// - Throws: `ClassifierCheckpointError` for an unknown architecture or tensors that do not
    ///   fit it, `SafetensorsError` for a file that is not safetensors.
    public static func loadClassifier(from url: URL) throws -> any FeatureClassifier {
        try loadClassifier(Safetensors.read(from: url), source: url.path)
    }

    /// The classifier in the bytes of a checkpoint, as `loadClassifier(from:)`; `source` names it
    /// in errors.
    public static func loadClassifier(checkpoint bytes: [UInt8], source: String = "<memory>") throws
        -> any FeatureClassifier
    {
        try loadClassifier(Safetensors.decode(bytes, source: source), source: source)
    }

    private static func loadClassifier(
        _ file: (tensors: [String: Tensor], metadata: [String: String]),
        source: String
    ) throws -> any FeatureClassifier {
        let name = file.metadata["architecture"] ?? Architecture.cnn.rawValue
        guard let architecture = Architecture(rawValue: name) else {
            throw ClassifierCheckpointError.unknownArchitecture(file: source, name: name)
        }
        // Fixed sizes, no random numbers needed: the weights come from the file.
        let model = architecture.makeModel(generator: RandomGenerator(seed: 0))
        do {
            try model.load(stateDictionary: file.tensors, strict: true)
        } catch {
            throw ClassifierCheckpointError.mismatchedTensors(file: source, architecture: name, reason: "\(error)")
        }
        model.eval()
        return model
    }
}

/// A classifier checkpoint that cannot be used.
public enum ClassifierCheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The metadata names an architecture Nerva does not know.
    case unknownArchitecture(file: String, name: String)
    /// The tensors are not those of the architecture the metadata names.
    case mismatchedTensors(file: String, architecture: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownArchitecture(file, name):
            "\(file): unknown architecture '\(name)' (expected "
                + "\(ImageClassification.Architecture.allCases.map(\.rawValue).joined(separator: ", ")))"
        case let .mismatchedTensors(file, architecture, reason):
            "\(file) does not hold a \(architecture) classifier: \(reason)"
        }
    }
}
