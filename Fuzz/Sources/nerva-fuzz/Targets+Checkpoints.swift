import Foundation
import NervaFed
import NervaGAN
import NervaNN
import NervaRL
import NervaRec
import NervaVision

// MARK: - Each model kind's checkpoint loader, metadata included; what loads is used once

extension FuzzTarget {
    static let classifierCheckpoint = FuzzTarget(
        name: "classifier-checkpoint",
        reader: "ImageClassification.loadClassifier (a `nerva classify` checkpoint; architecture from metadata)",
        run: { bytes in
            guard let classifier = try? ImageClassification.loadClassifier(checkpoint: bytes) else { return }
            _ = withoutGradients { classifier(.zeros([1, 1, 28, 28])) }
        },
        seeds: {
            let lenet = LeNet(generator: RandomGenerator(seed: 1))
            return [
                (
                    "cnn.safetensors",
                    try Safetensors.encode(
                        lenet.stateDictionary(), metadata: ["architecture": "cnn", "dataset": "fashion-mnist"])
                ),
                (
                    "cnn-wide-with-cnn-tensors.safetensors",
                    try Safetensors.encode(lenet.stateDictionary(), metadata: ["architecture": "cnn-wide"])
                ),
                ("mlp-without-tensors.safetensors", try Safetensors.encode([:], metadata: ["architecture": "mlp"]))
            ]
        })

    /// A state that loads is restored into a trainer of its configuration, as a resume does.
    static let classificationState = FuzzTarget(
        name: "classification-state",
        reader: "ClassificationState(bytes:) and restore(into:) (`nerva classify --resume`)",
        run: { bytes in
            guard let state = try? ClassificationState(bytes: bytes) else { return }
            let training = ImageClassification(
                architecture: state.configuration.architecture,
                learningRate: state.configuration.learningRate,
                augmentation: state.configuration.augmentation,
                generator: RandomGenerator(seed: state.configuration.seed))
            guard (try? state.restore(into: training)) != nil else { return }
            _ = withoutGradients { training.model(.zeros([1, 1, 28, 28])) }
        },
        seeds: {
            // A LeNet state with its weights and Adam's moments, and an MLP state of settings and
            // measurements only (its 235,000 weights would make a 2.8 MB seed).
            func state(
                _ architecture: ImageClassification.Architecture, epochs: Int, limit: Int?,
                keepsWeights: Bool
            ) throws -> [UInt8] {
                var configuration = ClassificationConfiguration(architecture: architecture)
                configuration.epochs = epochs
                configuration.limit = limit
                let training = ImageClassification(
                    architecture: architecture, learningRate: configuration.learningRate,
                    generator: RandomGenerator(seed: 1))
                let images = Tensor.uniform([4, 1, 28, 28], generator: RandomGenerator(seed: 2))
                training.step(inputs: images, labels: [0, 1, 2, 3]) // the optimiser's moments exist
                let history = (1...epochs).map {
                    ImageClassification.EpochResult(
                        epoch: $0, trainLoss: 0.5, validationAccuracy: 0.8,
                        samplesPerSecond: 100, stepLosses: [0.7, 0.6])
                }
                let url = FileManager.default.temporaryDirectory
                    .appendingPathComponent("nerva-fuzz-classification-\(getpid()).safetensors")
                defer { try? FileManager.default.removeItem(at: url) }
                try ClassificationState(
                    configuration: configuration, history: history,
                    stepLosses: history.flatMap(\.stepLosses), training: training
                ).write(to: url)
                let bytes = [UInt8](try Data(contentsOf: url))
                guard !keepsWeights else { return bytes }
                let file = try Safetensors.decode(bytes)
                return try Safetensors.encode(file.tensors.filter { !$0.key.contains(".") }, metadata: file.metadata)
            }
            return [
                ("cnn.safetensors", try state(.cnn, epochs: 1, limit: nil, keepsWeights: true)),
                ("mlp-without-weights.safetensors", try state(.mlp, epochs: 2, limit: 100, keepsWeights: false))
            ]
        })

    static let ganCheckpoint = FuzzTarget(
        name: "gan-checkpoint",
        reader: "GANTrainer(checkpoint:) and GANTrainer.loadGenerator (sizes and settings from metadata)",
        run: { bytes in
            // Each input takes one of the two ways in, by the parity of its byte sum (a one-byte
            // change of a valid checkpoint switches ways, so both see every kind of content).
            if bytes.reduce(0, &+) & 1 == 0 {
                _ = try? GANTrainer(checkpoint: bytes)
                return
            }
            guard let (generator, _) = try? GANTrainer.loadGenerator(checkpoint: bytes) else { return }
            let latent = Tensor.zeros([1, generator.latentSize])
            _ = withoutGradients { generator.generate(latent, labels: generator.classCount.map { _ in [0] }) }
        },
        seeds: {
            func checkpoint(_ model: GANModelConfiguration, emaDecay: Float? = nil) throws -> [UInt8] {
                var configuration = GANTrainingConfiguration(model: model)
                configuration.emaDecay = emaDecay
                let url = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "nerva-fuzz-gan-\(getpid()).safetensors")
                defer { try? FileManager.default.removeItem(at: url) }
                try GANTrainer(configuration).save(to: url)
                return [UInt8](try Data(contentsOf: url))
            }
            return [
                (
                    "mlp.safetensors",
                    try checkpoint(
                        GANModelConfiguration(
                            architecture: .mlp, latentSize: 2, generatorWidths: [1],
                            discriminatorWidths: [1]))
                ),
                (
                    "mlp-conditional-ema.safetensors",
                    try checkpoint(
                        GANModelConfiguration(
                            architecture: .mlp, latentSize: 1, generatorWidths: [1], discriminatorWidths: [1],
                            classCount: 2,
                            spectralNormalization: true), emaDecay: 0.9)
                ),
                (
                    "dcgan.safetensors",
                    try checkpoint(
                        GANModelConfiguration(
                            architecture: .dcgan, latentSize: 1, generatorWidths: [1],
                            discriminatorWidths: [1]))
                )
            ]
        })

    static let dqnCheckpoint = FuzzTarget(
        name: "dqn-checkpoint",
        reader: "QNetwork.load (a `nerva rl train` Q-network; hidden_sizes and dueling from metadata)",
        run: { bytes in
            guard let network = try? QNetwork.load(checkpoint: bytes, observationSize: 4, actionCount: 2) else {
                return
            }
            _ = withoutGradients { network(.zeros([1, 4])) }
        },
        seeds: {
            func checkpoint(_ hidden: [Int], dueling: Bool) throws -> [UInt8] {
                let network = QNetwork(
                    inputSize: 4, actionCount: 2, hiddenSizes: hidden, isDueling: dueling,
                    generator: RandomGenerator(seed: 1))
                return try Safetensors.encode(
                    network.stateDictionary(),
                    metadata: [
                        "hidden_sizes": hidden.map(String.init).joined(separator: ","), "dueling": "\(dueling)",
                        "algorithm": "dqn"
                    ])
            }
            return [
                ("plain.safetensors", try checkpoint([3, 2], dueling: false)),
                ("dueling.safetensors", try checkpoint([3], dueling: true))
            ]
        })

    static let qTableCheckpoint = FuzzTarget(
        name: "q-table-checkpoint",
        reader: "QTable.load (a `nerva rl train` Q-table / tabular policy: q_table [states, actions], finite values)",
        run: { bytes in
            // As `nerva rl evaluate` reads it for FrozenLake-v1, and with any shape.
            if let table = try? QTable.load(checkpoint: bytes, stateCount: 16, actionCount: 4),
                var env = try? EnvironmentRegistry.tabular("FrozenLake-v1")
            {
                let policy = table.greedyPolicy
                _ = evaluate({ policy.action(for: $0) }, on: &env, episodes: 1, seed: 0)
            }
            guard let table = try? QTable.load(checkpoint: bytes) else { return }
            _ = (table.greedyPolicy.actions.count, table.stateValues.values.count)
        },
        seeds: {
            func checkpoint(states: Int, actions: Int) throws -> [UInt8] {
                var table = QTable(stateCount: states, actionCount: actions)
                table.values = (0..<states * actions).map { Double($0 % 7) / 7 }
                let tensor = Tensor(table.values.map(Float.init), shape: [states, actions])
                return try Safetensors.encode(
                    ["q_table": tensor],
                    metadata: ["env": "FrozenLake-v1", "algorithm": "q-learning"])
            }
            return [
                ("frozen-lake.safetensors", try checkpoint(states: 16, actions: 4)),
                ("taxi-like.safetensors", try checkpoint(states: 5, actions: 6))
            ]
        })

    /// The input is the JSON description and the safetensors file (see `FuzzParts`).
    static let recommenderCheckpoint = FuzzTarget(
        name: "recommender-checkpoint",
        reader: "SavedRecommender.load (every RecommenderKind: model.safetensors + model.json)",
        run: { bytes in
            let parts = FuzzParts.split(bytes, count: 2)
            guard let saved = try? SavedRecommender.load(safetensors: parts[1], description: Data(parts[0])) else {
                return
            }
            for user in [0, saved.history.userCount - 1] where user >= 0 {
                _ = saved.model.recommend(user: user, count: 3, excluding: saved.history)
            }
        },
        seeds: {
            let data = SyntheticInteractions(users: 6, items: 12, meanInteractions: 4, clusterCount: 2, seed: 2).dataset
            return try RecommenderKind.allCases.map { kind in
                var training = RecommenderTraining(kind: kind, seed: 1)
                training.ncf.epochs = 1
                training.svd.epochs = 1
                training.bpr.epochs = 1
                training.als.iterations = 1
                let model = try training.train(data)
                let description = RecommenderDescription(
                    model: kind.rawValue, settings: training.settings, users: data.users.ids,
                    items: data.items.ids, titles: data.catalog?.titles ?? data.items.ids.map { _ in "" })
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nerva-fuzz-rec-\(getpid())")
                defer { try? FileManager.default.removeItem(at: folder) }
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                let url = folder.appendingPathComponent("model.safetensors")
                try SavedRecommender(model: model, description: description, history: UserItemMatrix(data)).save(
                    to: url)
                let json = [UInt8](try Data(contentsOf: SavedRecommender.descriptionURL(for: url)))
                return ("\(kind.rawValue).bin", FuzzParts.join([json, [UInt8](try Data(contentsOf: url))]))
            }
        })

    static let federationCheckpoint = FuzzTarget(
        name: "federation-checkpoint",
        reader: "FederationCheckpoint(bytes:) (`nerva fed server --resume`), then the model it describes",
        run: { bytes in
            guard let checkpoint = try? FederationCheckpoint(bytes: bytes) else { return }
            guard let model = try? checkpoint.model.makeModel(generator: RandomGenerator(seed: 0)) else { return }
            try? model.load(checkpoint.global)
        },
        seeds: {
            func checkpoint(_ model: ModelDescription, serverState: [String: [Float]] = [:]) throws -> [UInt8] {
                let network = try model.makeModel(generator: RandomGenerator(seed: 1))
                let url = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "nerva-fuzz-fed-\(getpid()).safetensors")
                defer { try? FileManager.default.removeItem(at: url) }
                try FederationCheckpoint(
                    model: model, global: ParameterSet(module: network), completedRounds: 3,
                    generatorState: [1, 2, 3, 4], serverState: serverState
                ).write(to: url)
                return [UInt8](try Data(contentsOf: url))
            }
            let mlp = ModelDescription.mlp(inputShape: [1, 2, 2], hiddenSizes: [3], classCount: 2)
            let cnn = ModelDescription(
                inputShape: [1, 4, 4],
                layers: [
                    .conv2d(inputChannels: 1, outputChannels: 2, kernelSize: 3, stride: 1, padding: 1, bias: true),
                    .batchNorm2d(featureCount: 2), .leakyReLU(negativeSlope: 0.1),
                    .maxPool2d(kernelSize: 2, stride: nil, padding: 0),
                    .avgPool2d(kernelSize: 2, stride: 1, padding: 1), .flatten, .dropout(probability: 0.5),
                    .batchNorm1d(featureCount: 18), .linear(inputSize: 18, outputSize: 2, bias: false), .sigmoid, .tanh
                ])
            return [
                ("mlp.safetensors", try checkpoint(mlp)),
                ("mlp-fedadam-state.safetensors", try checkpoint(mlp, serverState: ["m": [0, 1], "v": [2]])),
                ("cnn.safetensors", try checkpoint(cnn))
            ]
        })
}
