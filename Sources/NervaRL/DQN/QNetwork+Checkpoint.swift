import Foundation

extension QNetwork {
    /// The Q-network saved in `url` by `nerva rl train`, rebuilt from the layer sizes and head
    /// recorded in its metadata (`hidden_sizes`, default `120,84`; `dueling`).
    ///
    /// The sizes are checked before anything is allocated: they must be positive and every layer
    /// must fit in the values the file holds, so a damaged file is refused with a message.
    ///
    /// - Throws: `ConfigurationError` naming `hidden_sizes`, or the errors of reading and loading
    ///   the file (`SafetensorsError`, `StateDictionaryError` naming missing or unexpected tensors).
    public static func load(from url: URL, observationSize: Int, actionCount: Int) throws -> QNetwork {
        try load(
            from: Safetensors.read(from: url), source: url.path, observationSize: observationSize,
            actionCount: actionCount)
    }

    /// The Q-network in the bytes of a checkpoint written by `nerva rl train`, as `load(from:…)`;
    /// `source` names it in errors.
    public static func load(
        checkpoint bytes: [UInt8], source: String = "<memory>", observationSize: Int,
        actionCount: Int
    ) throws -> QNetwork {
        try load(
            from: Safetensors.decode(bytes, source: source), source: source, observationSize: observationSize,
            actionCount: actionCount)
    }

    private static func load(
        from file: (tensors: [String: Tensor], metadata: [String: String]), source: String,
        observationSize: Int, actionCount: Int
    ) throws -> QNetwork {
        let text = file.metadata["hidden_sizes"] ?? "120,84"
        let parsed = text.split(separator: ",", omittingEmptySubsequences: false).map {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard !parsed.isEmpty, !parsed.contains(nil) else {
            throw ConfigurationError(
                field: "\(source): metadata hidden_sizes", value: "\"\(text)\"",
                allowed: "a list of sizes such as 120,84")
        }
        let hidden = parsed.compactMap { $0 }
        let stored = file.tensors.values.reduce(0) { $0 + $1.scalarCount }
        try SizeLimits.checkLayers(
            [observationSize] + hidden + [actionCount], field: "\(source): metadata hidden_sizes",
            parameterBudget: stored)
        let network = QNetwork(
            inputSize: observationSize, actionCount: actionCount, hiddenSizes: hidden,
            isDueling: file.metadata["dueling"] == "true", generator: RandomGenerator(seed: 0))
        try network.load(stateDictionary: file.tensors)
        return network
    }
}
