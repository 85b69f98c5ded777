import NervaNN
import NervaTensor
import Testing

/// A custom module mixing every kind of member that reflection must sort out.
private final class Encoder: Module, Layer {
    let projection: Linear
    let gain: Tensor
    @Buffer var runningMean: Tensor
    @Buffer var stepCount: Tensor
    /// Ignored: the name starts with `_`.
    let _scratch: Tensor
    /// Not tensors or modules: ignored.
    let label = "encoder"
    let rate: Float = 0.5

    init(generator: RandomGenerator) {
        projection = Linear(inputSize: 3, outputSize: 2, generator: generator)
        gain = Tensor.ones([2]).requiringGradient()
        runningMean = .zeros([2])
        stepCount = .zeros([])
        _scratch = Tensor.zeros([7]).requiringGradient()
    }

    func callAsFunction(_ input: Tensor) -> Tensor { projection(input) * gain }
}

private final class Model: Module, Layer {
    let encoder: Encoder
    let heads: [Linear]
    let outputBias: Tensor
    let norm: BatchNorm1d
    let _cachedHead: Linear

    init(generator: RandomGenerator) {
        encoder = Encoder(generator: generator)
        heads = [
            Linear(inputSize: 2, outputSize: 2, generator: generator),
            Linear(inputSize: 2, outputSize: 2, bias: false, generator: generator)
        ]
        outputBias = Tensor.zeros([2]).requiringGradient()
        norm = BatchNorm1d(featureCount: 2)
        _cachedHead = Linear(inputSize: 9, outputSize: 9, generator: generator)
    }

    func callAsFunction(_ input: Tensor) -> Tensor {
        norm(heads[1](heads[0](encoder(input)).relu())) + outputBias
    }

    override var settingsDescription: String { "heads: \(heads.count)" }
}

@Suite struct ModuleTests {
    @Test func namedParametersOfNestedCustomModulesInOrder() {
        let model = Model(generator: RandomGenerator(seed: 1))
        #expect(
            model.namedParameters().map(\.name) == [
                "output_bias",
                "encoder.gain",
                "encoder.projection.weight", "encoder.projection.bias",
                "heads.0.weight", "heads.0.bias",
                "heads.1.weight",
                "norm.weight", "norm.bias"
            ])
        // The names point at the very tensors the modules hold.
        let byName = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.name, $0.tensor) })
        #expect(byName["encoder.projection.weight"] === model.encoder.projection.weight)
        #expect(byName["heads.0.bias"] === model.heads[0].bias)
        #expect(byName["output_bias"] === model.outputBias)
        #expect(
            model.parameters().map(ObjectIdentifier.init) == model.namedParameters().map { ObjectIdentifier($0.tensor) }
        )
    }

    @Test func ownParametersExcludeChildren() {
        let encoder = Encoder(generator: RandomGenerator(seed: 2))
        #expect(encoder.ownParameters().map(\.name) == ["gain"])
        #expect(encoder.namedChildren().map(\.name) == ["projection"])
        #expect(encoder.ownBuffers().map(\.name) == ["running_mean", "step_count"])
    }

    @Test func underscorePrefixedPropertiesAreIgnored() {
        let model = Model(generator: RandomGenerator(seed: 3))
        let names = model.namedParameters().map(\.name) + model.namedBuffers().map(\.name)
        #expect(!names.contains { $0.contains("scratch") || $0.contains("cached") })
        #expect(!model.parameters().contains { $0 === model.encoder._scratch })
        #expect(!model.modules().contains { $0 === model._cachedHead })
    }

    @Test func buffersAreNamedInSnakeCase() {
        let model = Model(generator: RandomGenerator(seed: 4))
        #expect(
            model.namedBuffers().map(\.name) == [
                "encoder.running_mean", "encoder.step_count",
                "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"
            ])
        #expect(model.namedBuffers()[0].tensor === model.encoder.runningMean)
        // Buffers are not parameters.
        #expect(!model.parameters().contains { $0 === model.encoder.runningMean })
        #expect(!model.parameters().contains { $0 === model.norm.runningVar })
    }

    @Test func sequentialNamesChildrenByIndex() {
        let g = RandomGenerator(seed: 5)
        let mlp = Sequential(
            Linear(inputSize: 4, outputSize: 3, generator: g), ReLU(),
            BatchNorm1d(featureCount: 3), Linear(inputSize: 3, outputSize: 2, generator: g))
        #expect(mlp.namedParameters().map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"])
        #expect(mlp.namedBuffers().map(\.name) == ["2.running_mean", "2.running_var", "2.num_batches_tracked"])
        #expect(mlp.namedChildren().map(\.name) == ["0", "1", "2", "3"])
        #expect(mlp.ownParameters().isEmpty)
    }

    @Test func sequentialInsideACustomModuleAndViceVersa() {
        final class Wrapper: Module, Layer {
            let body: Sequential
            init(_ g: RandomGenerator) {
                body = Sequential(
                    Linear(inputSize: 2, outputSize: 2, generator: g), Tanh(),
                    Sequential(Linear(inputSize: 2, outputSize: 1, bias: false, generator: g)))
            }
            func callAsFunction(_ x: Tensor) -> Tensor { body(x) }
        }
        let wrapper = Wrapper(RandomGenerator(seed: 6))
        #expect(wrapper.namedParameters().map(\.name) == ["body.0.weight", "body.0.bias", "body.2.0.weight"])
        let outer = Sequential(wrapper, Encoder(generator: RandomGenerator(seed: 7)))
        #expect(
            outer.namedParameters().map(\.name) == [
                "0.body.0.weight", "0.body.0.bias", "0.body.2.0.weight",
                "1.gain", "1.projection.weight", "1.projection.bias"
            ])
        #expect(outer.namedBuffers().map(\.name) == ["1.running_mean", "1.step_count"])
    }

    @Test func arraysOfModules() {
        final class Stack: Module {
            let blocks: [Linear]
            let extras: [Module]
            init(_ g: RandomGenerator) {
                blocks = (0..<3).map { _ in Linear(inputSize: 2, outputSize: 2, generator: g) }
                extras = [ReLU(), BatchNorm1d(featureCount: 2)]
            }
        }
        let stack = Stack(RandomGenerator(seed: 8))
        #expect(stack.namedChildren().map(\.name) == ["blocks.0", "blocks.1", "blocks.2", "extras.0", "extras.1"])
        #expect(
            stack.namedParameters().map(\.name) == [
                "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias",
                "blocks.2.weight", "blocks.2.bias", "extras.1.weight", "extras.1.bias"
            ])
        #expect(
            stack.namedBuffers().map(\.name) == [
                "extras.1.running_mean", "extras.1.running_var", "extras.1.num_batches_tracked"
            ])
        #expect(stack.namedParameters()[2].tensor === stack.blocks[1].weight)
    }

    @Test func subclassOfACustomModuleListsInheritedMembersFirst() {
        class Base: Module {
            let first = Tensor.zeros([1]).requiringGradient()
        }
        final class Derived: Base {
            let second = Tensor.zeros([2]).requiringGradient()
        }
        #expect(Derived().namedParameters().map(\.name) == ["first", "second"])
    }

    @Test func parameterCount() {
        let model = Model(generator: RandomGenerator(seed: 9))
        // output_bias 2 + gain 2 + projection 3·2+2 + heads 2·2+2 and 2·2 + norm 2+2.
        #expect(model.parameterCount == 2 + 2 + 8 + 6 + 4 + 4)
        let g = RandomGenerator(seed: 10)
        let mlp = Sequential(
            Linear(inputSize: 784, outputSize: 256, generator: g), ReLU(),
            Linear(inputSize: 256, outputSize: 10, generator: g))
        #expect(mlp.parameterCount == 784 * 256 + 256 + 256 * 10 + 10)
        #expect(ReLU().parameterCount == 0)
    }

    @Test func sharedParameterIsListedOnceButSavedUnderEveryName() {
        // Weight tying (an output projection sharing the embedding table), as in language models.
        // PyTorch: named_parameters() yields a shared tensor once (first name), state_dict() under every name,
        // so that `Adam(model.parameters())` sees each tensor once.
        final class Tied: Module {
            let embedding: Embedding
            let outputWeight: Tensor
            override init() {
                embedding = Embedding(count: 10, dimension: 4, generator: RandomGenerator(seed: 17))
                outputWeight = embedding.weight
            }
        }
        let model = Tied()
        #expect(model.parameters().count == 1)
        #expect(model.namedParameters().map(\.name) == ["output_weight"])
        #expect(model.parameterCount == 40)
        #expect(model.stateDictionaryKeys() == ["output_weight", "embedding.weight"])
    }

    @Test func modulesAreListedDepthFirst() {
        let model = Model(generator: RandomGenerator(seed: 11))
        let modules = model.modules()
        #expect(modules.count == 6)
        #expect(modules[0] === model)
        #expect(modules[1] === model.encoder)
        #expect(modules[2] === model.encoder.projection)
        #expect(modules[3] === model.heads[0])
        #expect(modules[4] === model.heads[1])
        #expect(modules[5] === model.norm)
    }

    @Test func trainAndEvalRecurse() {
        let g = RandomGenerator(seed: 12)
        let dropout = Dropout(probability: 0.5, generator: g)
        let inner = Sequential(Linear(inputSize: 2, outputSize: 2, generator: g), dropout)
        let model = Sequential(inner, BatchNorm1d(featureCount: 2))
        #expect(model.modules().count == 5)
        #expect(model.modules().allSatisfy { $0.isTraining })
        model.eval()
        #expect(model.modules().allSatisfy { !$0.isTraining })
        // Evaluation mode reaches the nested dropout: it is now the identity.
        let x = Tensor.ones([3, 2])
        #expect(dropout(x).scalars == x.scalars)
        model.train()
        #expect(model.modules().allSatisfy { $0.isTraining })
        model.train(false)
        #expect(model.modules().allSatisfy { !$0.isTraining })
        // Switching a child does not switch its parent.
        inner.train()
        #expect(!model.isTraining)
        #expect(inner.isTraining && dropout.isTraining)
    }

    @Test func zeroGradientsClearsEveryParameter() {
        let model = Model(generator: RandomGenerator(seed: 13))
        let x = Tensor.normal([4, 3], generator: RandomGenerator(seed: 14))
        model(x).squared().sum().backward()
        #expect(model.parameters().allSatisfy { $0.gradient != nil })
        #expect(model.encoder._scratch.gradient == nil)
        model.zeroGradients()
        #expect(model.parameters().allSatisfy { $0.gradient == nil })
    }

    @Test func descriptionTree() {
        let g = RandomGenerator(seed: 15)
        let mlp = Sequential(
            Linear(inputSize: 4, outputSize: 3, generator: g),
            ReLU(),
            Sequential(
                Linear(inputSize: 3, outputSize: 2, bias: false, generator: g), Dropout(probability: 0.25, generator: g)
            ),
            LeakyReLU(negativeSlope: 0.2),
            Softmax(axis: 1)
        )
        #expect(
            mlp.description == """
                Sequential(
                  (0): Linear(inputSize: 4, outputSize: 3, bias: true)
                  (1): ReLU()
                  (2): Sequential(
                    (0): Linear(inputSize: 3, outputSize: 2, bias: false)
                    (1): Dropout(probability: 0.25)
                  )
                  (3): LeakyReLU(negativeSlope: 0.2)
                  (4): Softmax(axis: 1)
                )
                """)
        #expect(
            Linear(inputSize: 784, outputSize: 256, generator: g).description
                == "Linear(inputSize: 784, outputSize: 256, bias: true)")
        #expect(Embedding(count: 10, dimension: 4, generator: g).description == "Embedding(count: 10, dimension: 4)")
        #expect(Flatten().description == "Flatten()")
    }

    @Test func descriptionOfACustomModuleWithSettingsAndArrays() {
        let model = Model(generator: RandomGenerator(seed: 16))
        #expect(
            model.description == """
                Model(heads: 2
                  (encoder): Encoder(
                    (projection): Linear(inputSize: 3, outputSize: 2, bias: true)
                  )
                  (heads.0): Linear(inputSize: 2, outputSize: 2, bias: true)
                  (heads.1): Linear(inputSize: 2, outputSize: 2, bias: false)
                  (norm): BatchNorm1d(featureCount: 2, epsilon: 1e-05, momentum: 0.1)
                )
                """)
    }
}
