/// A network that maps an observation to the Q-value of every action.
///
/// The plain network is CleanRL's `QNetwork`: `Linear → ReLU → … → Linear(actions)` in a
/// `Sequential` named `network`, so a checkpoint loads into CleanRL's PyTorch model
/// (`network.0.weight`, `network.2.weight`, `network.4.weight`). The dueling variant (Wang et al.
/// 2016, https://arxiv.org/abs/1511.06581) ends the trunk with two heads,
/// `Q = V + A − mean(A)`.
///
/// Batch-1 action selection (`greedyAction(_:)`) runs on the weights directly, without tensors
/// or graph nodes: at a few microseconds per call it is not what limits training.
public final class QNetwork: Module, Layer {
    /// The trunk (and, without dueling, the output layer).
    public let network: Sequential
    /// Dueling heads `[value, advantage]`; empty for the plain network.
    public let heads: [Linear]
    /// The observation size.
    public let inputSize: Int
    /// The number of actions.
    public let actionCount: Int
    private var _scratch: [[Float]]
    /// The linear layers in order (trunk, then heads), cached for `qValues(_:)`.
    private let _linearLayers: [Linear]

    /// - Parameters:
    ///   - inputSize: The observation size.
    ///   - actionCount: The number of actions (one Q-value each).
    ///   - hiddenSizes: The width of each hidden layer (CleanRL: 120, 84).
    ///   - isDueling: Separate value and advantage heads.
    ///   - generator: The source of the initial weights.
    public init(
        inputSize: Int, actionCount: Int, hiddenSizes: [Int] = [120, 84], isDueling: Bool = false,
        generator: RandomGenerator
    ) {
        precondition(!hiddenSizes.isEmpty, "QNetwork: needs at least one hidden layer.")
        var layers: [any Layer] = []
        var width = inputSize
        for size in hiddenSizes {
            layers.append(Linear(inputSize: width, outputSize: size, generator: generator))
            layers.append(ReLU())
            width = size
        }
        if isDueling {
            heads = [
                Linear(inputSize: width, outputSize: 1, generator: generator),
                Linear(inputSize: width, outputSize: actionCount, generator: generator)
            ]
        } else {
            layers.append(Linear(inputSize: width, outputSize: actionCount, generator: generator))
            heads = []
        }
        network = Sequential(layers)
        self.inputSize = inputSize
        self.actionCount = actionCount
        _scratch = (hiddenSizes + [actionCount, 1]).map { [Float](repeating: 0, count: Swift.max($0, actionCount)) }
        _linearLayers = network.layers.compactMap { $0 as? Linear } + heads
    }

    /// Q-values `[batch, actions]` of observations `[batch, inputSize]`.
    public func callAsFunction(_ observations: Tensor) -> Tensor {
        let features = network(observations)
        guard heads.count == 2 else { return features }
        let advantage = heads[1](features)
        return heads[0](features) + advantage - advantage.mean(alongAxis: 1, keepingDimensions: true)
    }

    /// The linear layers in order (trunk, then heads).
    public var linearLayers: [Linear] { _linearLayers }

    /// The Q-values of one observation, computed on the weights directly (no tensors, no graph).
    public func qValues(_ observation: [Float]) -> [Float] {
        precondition(
            observation.count == inputSize,
            "QNetwork: observation of \(observation.count) values, expected \(inputSize).")
        let layers = linearLayers
        let trunkCount = layers.count - heads.count
        var input = observation
        for (index, layer) in layers[..<trunkCount].enumerated() {
            let isHidden = heads.isEmpty ? index < trunkCount - 1 : true
            Self.dense(layer, input: input, output: &_scratch[index], relu: isHidden)
            input = _scratch[index]
        }
        guard heads.count == 2 else { return Array(input[0..<actionCount]) }
        var value = [Float](repeating: 0, count: 1), advantage = [Float](repeating: 0, count: actionCount)
        Self.dense(heads[0], input: input, output: &value, relu: false)
        Self.dense(heads[1], input: input, output: &advantage, relu: false)
        let mean = advantage.reduce(0, +) / Float(actionCount)
        return advantage.map { value[0] + $0 - mean }
    }

    /// The action of largest Q-value (the first on ties, as `argmax`).
    public func greedyAction(_ observation: [Float]) -> Int {
        let values = qValues(observation)
        var best = 0
        for action in 1..<values.count where values[action] > values[best] { best = action }
        return best
    }

    /// `output[o] = Σ_i weight[o, i] · input[i] + bias[o]`, optionally through ReLU, in SIMD chunks.
    static func dense(_ layer: Linear, input: [Float], output: inout [Float], relu: Bool) {
        let inCount = layer.inputSize, outCount = layer.outputSize
        layer.weight.withUnsafeBufferPointer { weight in
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    let w = weight.baseAddress!, xs = x.baseAddress!
                    for o in 0..<outCount {
                        let row = w + o * inCount
                        var accumulator = SIMD8<Float>.zero
                        var i = 0
                        while i + 8 <= inCount {
                            let a = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self)
                            let b = UnsafeRawPointer(xs + i).loadUnaligned(as: SIMD8<Float>.self)
                            accumulator += a * b
                            i += 8
                        }
                        var sum = accumulator.sum()
                        while i < inCount {
                            sum += row[i] * xs[i]
                            i += 1
                        }
                        y[o] = sum
                    }
                }
            }
        }
        if let bias = layer.bias {
            bias.withUnsafeBufferPointer { b in for o in 0..<outCount { output[o] += b[o] } }
        }
        if relu { for o in 0..<outCount where output[o] < 0 { output[o] = 0 } }
    }

    /// Copies `other`'s parameters into this network: `θ ← τ · θ_other + (1 − τ) · θ` (a hard
    /// copy when `tau` is 1).
    public func update(from other: QNetwork, tau: Float = 1) {
        for (mine, theirs) in zip(parameters(), other.parameters()) {
            if tau == 1 {
                mine.assign(theirs)
                continue
            }
            mine.withUnsafeMutableBufferPointer { target in
                theirs.withUnsafeBufferPointer { source in
                    for i in target.indices { target[i] = tau * source[i] + (1 - tau) * target[i] }
                }
            }
        }
    }
}
