import Foundation
import NervaData
import NervaTensor
import Testing

@testable import NervaFed

/// Flower message content → participant → reply content, without a network.
@Suite struct FlowerMessageHandlerTests {
    /// 40 random 28×28 images in 10 classes, one participant holding 30 of them.
    static func handler(mu: Float = 0) throws -> FlowerMessageHandler {
        let generator = RandomGenerator(seed: 3)
        let images = Tensor.uniform([40, 1, 28, 28], generator: generator)
        let data = LabeledImages(images: images, labels: (0..<40).map { $0 % 10 })
        let participant = ClassificationParticipant(id: "p", data: data, trainIndices: Array(0..<30))
        return try FlowerMessageHandler(
            participant: participant, model: .mlp(hiddenSizes: [8]),
            defaults: FlowerTrainingDefaults(localEpochs: 1, batchSize: 10, learningRate: 0.1, seed: 1))
    }

    /// The model's initial parameters as a Flower ArrayRecord (names in the model's order).
    static func arrays(_ handler: FlowerMessageHandler, names: [String]? = nil) throws -> (
        names: [String], arrays: [NumpyArray]
    ) {
        let parameters = ParameterSet(module: try handler.model.makeModel(generator: RandomGenerator(seed: 9)))
        let arrays = parameters.layout.entries.map {
            NumpyArray(scalars: Array(parameters.values[$0.offset..<$0.offset + $0.count]), shape: $0.shape)
        }
        return (names ?? parameters.layout.names, arrays)
    }

    static func trainMessage(_ names: [String], _ arrays: [NumpyArray], config: [String: FlowerValue] = [:])
        -> FlowerContent
    {
        FlowerContent(records: [
            "arrays": .arrays(names: names, arrays: arrays),
            "config": .config(["server-round": .integer(1), "lr": .double(0.1)].merging(config) { $1 })
        ])
    }

    @Test func trainRepliesTrainedArraysWithTheReceivedNamesAndNumExamples() throws {
        let handler = try Self.handler()
        #expect(handler.layout.names == ["1.weight", "1.bias", "3.weight", "3.bias"])
        #expect(handler.layout.entries[0].shape == [8, 784], "PyTorch's Linear weight layout [out, in]")
        let (names, arrays) = try Self.arrays(handler)
        let reply = try handler.reply(to: "train", content: Self.trainMessage(names, arrays))
        guard case let .arrays(replyNames, replyArrays)? = reply.records["arrays"],
            case let .metrics(metrics)? = reply.records["metrics"]
        else {
            Issue.record("reply \(reply)")
            return
        }
        #expect(replyNames == names)
        #expect(replyArrays.map(\.shape) == arrays.map(\.shape))
        #expect(replyArrays != arrays, "training must change the model")
        #expect(metrics["num-examples"] == .integer(30))
        #expect((metrics["train_loss"]?.number ?? .nan) > 0)
    }

    @Test func arraysAreMappedByNameInAnyOrderAndByOrderOtherwise() throws {
        let handler = try Self.handler()
        let (names, arrays) = try Self.arrays(handler)
        let shuffled = [3, 1, 0, 2]
        let mapping = try FlowerArrayMapping(
            names: shuffled.map { names[$0] }, arrays: shuffled.map { arrays[$0] }, layout: handler.layout)
        #expect(mapping.byName)
        let inOrder = try FlowerArrayMapping(names: names, arrays: arrays, layout: handler.layout).parameters(
            from: arrays)
        #expect(mapping.parameters(from: shuffled.map { arrays[$0] }) == inOrder)
        let legacy = try FlowerArrayMapping(names: ["0", "1", "2", "3"], arrays: arrays, layout: handler.layout)
        #expect(!legacy.byName)
        #expect(legacy.parameters(from: arrays) == inOrder)
    }

    @Test func wrongArchitectureIsANamedError() throws {
        let handler = try Self.handler()
        let (names, arrays) = try Self.arrays(handler)
        let wrong = [NumpyArray(scalars: [Float](repeating: 0, count: 16 * 784), shape: [16, 784])] + arrays.dropFirst()
        #expect(throws: FlowerProtocolError.self) {
            try FlowerArrayMapping(names: names, arrays: wrong, layout: handler.layout)
        }
        do {
            _ = try handler.reply(to: "train", content: Self.trainMessage(["a", "b", "c", "d"], wrong))
            Issue.record("accepted a model of another shape")
        } catch {
            #expect("\(error)".contains("--model"), "\(error)")
        }
        #expect(throws: FlowerProtocolError.self) {
            try handler.reply(to: "predict", content: Self.trainMessage(names, arrays))
        }
        #expect(throws: FlowerProtocolError.self) {
            try handler.reply(to: "train", content: Self.trainMessage(names, arrays, config: ["lr": .string("fast")]))
        }
    }

    @Test func configSettingsReachTheParticipant() throws {
        let handler = try Self.handler()
        let configuration = try handler.fitConfiguration([
            "server-round": .integer(4), "lr": .double(0.5), "local-epochs": .integer(2),
            "batch-size": .integer(5), "proximal-mu": .double(0.1)
        ])
        #expect(configuration.round == 4 && configuration.learningRate == 0.5 && configuration.localEpochs == 2)
        #expect(configuration.batchSize == 5 && configuration.proximalMu == 0.1)
        let defaults = try handler.fitConfiguration([:])
        #expect(defaults.learningRate == 0.1 && defaults.batchSize == 10 && defaults.proximalMu == 0)
    }

    @Test func proximalTermKeepsTheUpdateCloserToTheGlobalModel() throws {
        let handler = try Self.handler()
        let (names, arrays) = try Self.arrays(handler)
        func updateNorm(_ config: [String: FlowerValue]) throws -> Double {
            let reply = try handler.reply(
                to: "train",
                content: Self.trainMessage(names, arrays, config: config.merging(["local-epochs": .integer(3)]) { $1 }))
            guard case let .arrays(_, trained)? = reply.records["arrays"] else { return .nan }
            return zip(trained, arrays).reduce(0.0) { sum, pair in
                sum + zip(pair.0.scalars, pair.1.scalars).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
            }.squareRoot()
        }
        #expect(try updateNorm(["proximal-mu": .double(5)]) < updateNorm([:]))
    }

    @Test func clippingNormBoundsTheUpdateAndReportsTheNormBit() throws {
        let handler = try Self.handler()
        let (names, arrays) = try Self.arrays(handler)
        let reply = try handler.reply(
            to: "train", content: Self.trainMessage(names, arrays, config: ["clipping_norm": .double(0.01)]))
        guard case let .arrays(_, trained)? = reply.records["arrays"],
            case let .metrics(metrics)? = reply.records["metrics"]
        else {
            Issue.record("reply \(reply)")
            return
        }
        let norm = zip(trained, arrays).reduce(0.0) { sum, pair in
            sum + zip(pair.0.scalars, pair.1.scalars).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        }.squareRoot()
        #expect(abs(norm - 0.01) < 1e-4, "clipped update norm \(norm)")
        #expect(metrics["norm_bit"] == .integer(1))
    }

    @Test func evaluateAndQueryReplies() throws {
        let handler = try Self.handler()
        let (names, arrays) = try Self.arrays(handler)
        let evaluation = try handler.reply(to: "evaluate", content: Self.trainMessage(names, arrays))
        guard case let .metrics(metrics)? = evaluation.records["metrics"] else {
            Issue.record("\(evaluation)")
            return
        }
        #expect(metrics["num-examples"] == .integer(30))
        #expect((metrics["eval_loss"]?.number ?? .nan) > 0)
        #expect(metrics["eval_acc"] != nil && evaluation.records["arrays"] == nil)
        let query = try handler.reply(to: "query", content: FlowerContent())
        guard case let .config(values)? = query.records["config"] else {
            Issue.record("\(query)")
            return
        }
        #expect(
            values["framework"] == .string("nerva")
                && values["parameter-count"] == .integer(Int64(handler.layout.scalarCount)))
    }

    /// Found while adding the Flower fuzz target (issue #18): an evaluate message whose
    /// server-round is not a whole number (NaN, 1e300) trapped converting it to an `Int`, and
    /// a learning rate beyond Float32 became infinite.
    @Test func roundsAndRatesOutsideTheirTypesAreNamedErrors() throws {
        let handler = try Self.handler()
        let (names, arrays) = try Self.arrays(handler)
        for round in [Double.nan, 1e300, -1, 2.5] {
            let content = Self.trainMessage(names, arrays, config: ["server-round": .double(round)])
            #expect(throws: FlowerProtocolError.self) { try handler.reply(to: "evaluate", content: content) }
        }
        let huge = Self.trainMessage(names, arrays, config: ["lr": .double(1e300)])
        #expect(throws: FlowerProtocolError.self) { try handler.reply(to: "train", content: huge) }
    }

    /// `DefaultWorkflow` + `flwr.server.strategy.FedAvg` (and SecAgg+) send `fitins.*` and
    /// `evaluateins.*`; the replies must be in the `fitres.*` / `evaluateres.*` layout.
    @Test func legacyInstructionsGetLegacyReplies() throws {
        let handler = try Self.handler()
        let (_, arrays) = try Self.arrays(handler)
        let legacyNames = ["0", "1", "2", "3"]
        // Arrays arrive in JSON order, which need not be numeric ("10" before "2"): reversed here.
        let instruction = { (prefix: String) in
            FlowerContent(records: [
                "\(prefix).parameters": .arrays(
                    names: legacyNames.reversed(),
                    arrays: arrays.reversed()),
                "\(prefix).config": .config(["server-round": .integer(1), "lr": .double(0.1)])
            ])
        }
        let fit = try handler.reply(to: "train", content: instruction("fitins"))
        #expect(
            Set(fit.records.keys)
                == ["fitres.parameters", "fitres.num_examples", "fitres.metrics", "fitres.status"])
        guard case let .arrays(names, trained)? = fit.records["fitres.parameters"] else {
            Issue.record("\(fit)")
            return
        }
        #expect(names == legacyNames && trained.map(\.shape) == arrays.map(\.shape) && trained != arrays)
        #expect(fit.records["fitres.num_examples"] == .metrics(["num_examples": .integer(30)]))
        #expect(fit.records["fitres.status"] == .config(["code": .integer(0), "message": .string("Success")]))
        guard case let .config(trainMetrics)? = fit.records["fitres.metrics"] else {
            Issue.record("\(fit)")
            return
        }
        #expect(trainMetrics["train_loss"] != nil && trainMetrics["num-examples"] == nil)
        let evaluation = try handler.reply(to: "evaluate", content: instruction("evaluateins"))
        #expect(
            Set(evaluation.records.keys)
                == ["evaluateres.loss", "evaluateres.num_examples", "evaluateres.metrics", "evaluateres.status"])
        guard case let .metrics(loss)? = evaluation.records["evaluateres.loss"] else {
            Issue.record("\(evaluation)")
            return
        }
        #expect((loss["loss"]?.number ?? .nan) > 0)
        #expect(evaluation.records["evaluateres.num_examples"] == .metrics(["num_examples": .integer(30)]))
    }

    @Test func metricKeysChooseWhatRepliesCarry() throws {
        let generator = RandomGenerator(seed: 3)
        let data = LabeledImages(
            images: Tensor.uniform([40, 1, 28, 28], generator: generator),
            labels: (0..<40).map { $0 % 10 })
        let participant = ClassificationParticipant(id: "p", data: data, trainIndices: Array(0..<30))
        let keys = FlowerMetricKeys(train: [], evaluate: try FlowerMetricKeys.keys("eval_loss"))
        let handler = try FlowerMessageHandler(
            participant: participant, model: .mlp(hiddenSizes: [8]),
            metricKeys: keys)
        let (names, arrays) = try Self.arrays(handler)
        let evaluation = try handler.reply(to: "evaluate", content: Self.trainMessage(names, arrays))
        guard case let .metrics(metrics)? = evaluation.records["metrics"] else {
            Issue.record("\(evaluation)")
            return
        }
        #expect(Set(metrics.keys) == ["eval_loss", "num-examples"])
        let fit = try handler.reply(to: "train", content: Self.trainMessage(names, arrays))
        #expect(fit.records["metrics"] == .metrics(["num-examples": .integer(30)]))
        let unknown = try FlowerMessageHandler(
            participant: participant, model: .mlp(hiddenSizes: [8]),
            metricKeys: FlowerMetricKeys(evaluate: ["eval_f1"]))
        do {
            _ = try unknown.reply(to: "evaluate", content: Self.trainMessage(names, arrays))
            Issue.record("an unknown metric key was accepted")
        } catch {
            #expect("\(error)".contains("\"eval_f1\" was asked for") && "\(error)".contains("eval_loss"), "\(error)")
        }
        #expect(try FlowerMetricKeys.keys("eval_loss, eval_acc") == ["eval_loss", "eval_acc"])
        #expect(try FlowerMetricKeys.keys("") == [])
        #expect(throws: FlowerProtocolError.self) { try FlowerMetricKeys.keys("a,,b") }
        #expect(throws: FlowerProtocolError.self) { try FlowerMetricKeys.keys("a,a") }
    }

    /// Issue #18: `nerva fed flower-client --momentum nan` and `--learning-rate inf` were accepted.
    @Test func trainingDefaultsOutOfRangeAreNamedErrors() throws {
        let cases: [(FlowerTrainingDefaults, String)] = [
            (FlowerTrainingDefaults(momentum: .nan), "momentum must be a finite number in [0, 1), got nan"),
            (FlowerTrainingDefaults(momentum: 1), "momentum must be a finite number in [0, 1), got 1.0"),
            (FlowerTrainingDefaults(learningRate: .infinity), "learning rate must be a finite number > 0, got inf"),
            (FlowerTrainingDefaults(learningRate: 0), "learning rate must be a finite number > 0, got 0.0"),
            (FlowerTrainingDefaults(batchSize: 0), "batch size must be ≥ 1, got 0"),
            (FlowerTrainingDefaults(localEpochs: -1), "local epochs must be ≥ 0, got -1")
        ]
        for (defaults, message) in cases {
            #expect(throws: FederatedError.invalidConfiguration(message)) { try defaults.validate() }
        }
        try FlowerTrainingDefaults().validate()
        let handler = try Self.handler()
        #expect(throws: FederatedError.self) {
            try FlowerMessageHandler(
                participant: handler.participant, model: handler.model,
                defaults: FlowerTrainingDefaults(momentum: .nan))
        }
    }
}
