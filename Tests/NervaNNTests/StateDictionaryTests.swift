import NervaNN
import NervaTensor
import NervaTestSupport
import Testing

/// `Linear(3→4) · ReLU · BatchNorm1d(4) · Linear(4→2)`, drawn from `seed`.
private func network(seed: UInt64) -> Sequential {
    let g = RandomGenerator(seed: seed)
    return Sequential(
        Linear(inputSize: 3, outputSize: 4, generator: g), ReLU(),
        BatchNorm1d(featureCount: 4), Linear(inputSize: 4, outputSize: 2, generator: g))
}

/// Every value of the module's state, by name, copied out.
private func snapshot(_ module: Module) -> [String: [Float]] {
    module.stateDictionary().mapValues(\.scalars)
}

@Suite struct StateDictionaryTests {
    @Test func keysInDeclarationOrderAndSharedStorage() {
        let net = network(seed: 1)
        #expect(
            net.stateDictionaryKeys() == [
                "0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias",
                "2.running_mean", "2.running_var", "2.num_batches_tracked"
            ])
        let state = net.stateDictionary()
        #expect(Set(state.keys) == Set(net.stateDictionaryKeys()))
        #expect(state["0.weight"]!.shape == [4, 3])
        #expect(state["2.num_batches_tracked"]!.shape == [])
        // The dictionary holds the module's own tensors, like PyTorch's state_dict().
        let bias = net.layers[0] as! Linear
        #expect(state["0.bias"] === bias.bias)
        #expect(state["2.running_var"] === (net.layers[2] as! BatchNorm1d).runningVar)
    }

    @Test func roundTripBetweenTwoModules() {
        let source = network(seed: 2), target = network(seed: 3)
        // Move the source's buffers away from their initial values.
        _ = source(Tensor.normal([8, 3], generator: RandomGenerator(seed: 4)))
        #expect(snapshot(source) != snapshot(target))
        let before = target.stateDictionary()
        let parametersBefore = target.parameters()

        try! target.load(stateDictionary: source.stateDictionary())

        #expect(snapshot(target) == snapshot(source))
        // In place: the very same tensor objects now hold the loaded values.
        let after = target.stateDictionary()
        for (name, tensor) in before { #expect(after[name] === tensor, "\(name) was replaced") }
        for (old, new) in zip(parametersBefore, target.parameters()) { #expect(old === new) }
        // Copied, not aliased: changing the source later leaves the target alone.
        let sourceWeight = (source.layers[0] as! Linear).weight
        sourceWeight.assign(Tensor.zeros(sourceWeight.shape))
        #expect((target.layers[0] as! Linear).weight.scalars != sourceWeight.scalars)
        // Same function afterwards, in evaluation mode.
        source.eval()
        target.eval()
        try! target.load(stateDictionary: source.stateDictionary())
        let x = Tensor.normal([5, 3], generator: RandomGenerator(seed: 5))
        #expect(target(x).scalars == source(x).scalars)
    }

    @Test func mismatchesAreAllListedAndNothingIsModified() {
        let source = network(seed: 6), target = network(seed: 7)
        var state = source.stateDictionary()
        state["0.bias"] = nil
        state["2.running_mean"] = nil
        state["extra.weight"] = Tensor.zeros([2])
        state["0.gamma"] = Tensor.zeros([4])
        state["3.weight"] = Tensor.zeros([1, 1])
        let before = snapshot(target)
        #expect(
            throws: StateDictionaryError.mismatch(
                missing: ["0.bias", "2.running_mean"],
                unexpected: ["0.gamma", "extra.weight"],
                wrongShapes: ["3.weight: checkpoint [1, 1], module [2, 4]"])
        ) {
            try target.load(stateDictionary: state)
        }
        #expect(snapshot(target) == before)
    }

    @Test func eachKindOfMismatchAloneIsAnError() {
        let target = network(seed: 8)
        let before = snapshot(target)
        var missing = network(seed: 9).stateDictionary()
        missing["3.bias"] = nil
        #expect(throws: StateDictionaryError.mismatch(missing: ["3.bias"], unexpected: [], wrongShapes: [])) {
            try target.load(stateDictionary: missing)
        }
        var unexpected = network(seed: 9).stateDictionary()
        unexpected["4.weight"] = Tensor.zeros([1])
        #expect(throws: StateDictionaryError.mismatch(missing: [], unexpected: ["4.weight"], wrongShapes: [])) {
            try target.load(stateDictionary: unexpected)
        }
        var wrongShape = network(seed: 9).stateDictionary()
        wrongShape["2.num_batches_tracked"] = Tensor.zeros([1])
        #expect(
            throws: StateDictionaryError.mismatch(
                missing: [], unexpected: [], wrongShapes: ["2.num_batches_tracked: checkpoint [1], module []"])
        ) {
            try target.load(stateDictionary: wrongShape)
        }
        #expect(snapshot(target) == before)
    }

    @Test func errorDescriptionNamesEveryProblem() {
        let error = StateDictionaryError.mismatch(
            missing: ["a", "b"], unexpected: ["c"], wrongShapes: ["d: checkpoint [1], module [2]"])
        #expect(
            error.description
                == "state dictionary does not fit the module: missing keys: a, b; unexpected keys: c; shape mismatches: d: checkpoint [1], module [2]"
        )
    }

    @Test func nonStrictLoadSkipsMissingAndUnexpectedKeys() throws {
        let source = network(seed: 10), target = network(seed: 11)
        let before = snapshot(target)
        var state = source.stateDictionary()
        state["3.weight"] = nil
        state["3.bias"] = nil
        state["head.weight"] = Tensor.zeros([3])
        try target.load(stateDictionary: state, strict: false)
        let after = snapshot(target), expected = snapshot(source)
        for name in target.stateDictionaryKeys() {
            if name.hasPrefix("3.") {
                #expect(after[name] == before[name], "\(name) should keep its value")
            } else {
                #expect(after[name] == expected[name], "\(name) should be loaded")
            }
        }
    }

    @Test func nonStrictLoadStillRejectsShapeMismatches() {
        let target = network(seed: 12)
        let before = snapshot(target)
        var state = network(seed: 13).stateDictionary()
        state["0.weight"] = Tensor.zeros([3, 4])
        state["1.weight"] = Tensor.zeros([5])
        state["0.bias"] = nil
        #expect(
            throws: StateDictionaryError.mismatch(
                missing: [], unexpected: [], wrongShapes: ["0.weight: checkpoint [3, 4], module [4, 3]"])
        ) {
            try target.load(stateDictionary: state, strict: false)
        }
        #expect(snapshot(target) == before)
    }

    @Test func loadingIntoAModelKeepsOptimisableIdentityAndGradients() throws {
        let model = Linear(inputSize: 2, outputSize: 1, generator: RandomGenerator(seed: 14))
        try model.load(stateDictionary: ["weight": Tensor([3, -1], shape: [1, 2]), "bias": Tensor([0.5])])
        #expect(model.weight.requiresGradient)
        let y = model(Tensor([2, 4], shape: [1, 2]))
        expectClose(y, Tensor([3 * 2 - 4 + 0.5], shape: [1, 1]))
        y.sum().backward()
        expectClose(model.weight.gradient!, Tensor([2, 4], shape: [1, 2]))
    }
}
