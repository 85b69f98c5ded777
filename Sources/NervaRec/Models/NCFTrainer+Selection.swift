import Foundation

extension NCFTrainer {
    /// Trains `network` for at most `epochs`; with `validation`, measures HR@10/NDCG@10 on it
    /// after every epoch, stops after `settings.patience` epochs without a better NDCG and
    /// restores the parameters of the best epoch. Returns the epochs the network kept.
    func fitStage(
        _ network: any NCFNetwork, epochs: Int, learningRate: Float, validation: SampledRankingEvaluation?,
        onEpoch: (EpochReport) throws -> Void
    ) throws -> Int {
        let optimizer = makeOptimizer(network, learningRate: learningRate)
        let parameters = network.parameters()
        var best: (epoch: Int, ndcg: Double, snapshot: [[Float]])?
        var recent: [[[Float]]] = []
        network.train()
        var epoch = 1
        while epoch <= max(1, epochs) {
            var report = try runEpoch(epoch, network, optimizer: optimizer, onStep: nil)
            // With tail averaging the network holds the average while it is judged, then goes
            // back to its own parameters to train on.
            var trained: [[Float]]?
            if settings.averagedEpochs > 1 {
                trained = parameters.map(\.scalars)
                recent.append(trained!)
                if recent.count > settings.averagedEpochs { recent.removeFirst() }
                Self.assign(Self.mean(recent), to: parameters)
            }
            if let validation {
                network.eval()
                let (hitRate, ndcg) = validation.evaluate(NCFRecommender(network, name: "validation"), cutoff: 10)
                network.train()
                report.validationHitRate = hitRate
                report.validationNDCG = ndcg
                if best == nil || ndcg > best!.ndcg {
                    best = (epoch, ndcg, parameters.map(\.scalars))
                }
            }
            try onEpoch(report)
            if let best, epoch - best.epoch >= settings.patience { break }
            if let trained, epoch < max(1, epochs) { Self.assign(trained, to: parameters) }
            epoch += 1
        }
        network.eval()
        guard let best else { return max(1, epochs) }
        Self.assign(best.snapshot, to: parameters)
        return best.epoch
    }

    private static func assign(_ values: [[Float]], to parameters: [Tensor]) {
        withoutGradients {
            for (parameter, values) in zip(parameters, values) {
                parameter.assign(Tensor(values, shape: parameter.shape))
            }
        }
    }

    /// The element-wise mean of parameter snapshots.
    private static func mean(_ snapshots: [[[Float]]]) -> [[Float]] {
        let scale = 1 / Float(snapshots.count)
        return snapshots[0].indices.map { k in
            var sum = [Float](repeating: 0, count: snapshots[0][k].count)
            for snapshot in snapshots { for i in sum.indices { sum[i] += snapshot[k][i] } }
            return sum.map { $0 * scale }
        }
    }

    /// Trains an NCF model on `train` as `settings` ask. With `settings.validation`, each user's
    /// latest training interaction is held out (leave-one-out, ties broken by the larger item
    /// id) to choose the epochs, never the test set; with `settings.refit` the model is then
    /// trained again on all of `train` for the chosen epochs. `onEpoch` receives the stage
    /// ("gmf", "mlp", "neumf"; "refit-" before each when refitting), its report and the network.
    public static func trainModel(
        settings: NCFSettings, train: InteractionDataset,
        onNetwork: (any NCFNetwork) -> Void = { _ in },
        onEpoch: (String, EpochReport) throws -> Void = { _, _ in }
    ) throws -> any NCFNetwork {
        guard settings.validation else {
            return try NCFTrainer(settings: settings, train: train).trainModel(onNetwork: onNetwork, onEpoch: onEpoch)
        }
        let inner = SplitRule.leaveOneOut.split(train)
        let validation = SampledRankingEvaluation(split: inner, negativeCount: 99, seed: settings.seed &+ 0x5EED)
        let selected = try NCFTrainer(settings: settings, train: inner.train)
            .trainModel(validation: validation, onNetwork: onNetwork, onEpoch: onEpoch)
        guard settings.refit else { return selected.network }
        return try NCFTrainer(settings: settings, train: train)
            .trainModel(
                validation: nil, stageEpochs: selected.epochs, onNetwork: onNetwork,
                onEpoch: { try onEpoch("refit-" + $0, $1) }
            ).network
    }
}

extension NCFSettings {
    /// Exactly the paper's settings (He et al. 2017, §4.1, and the authors' code): 8 GMF factors,
    /// MLP 64→32→16→8, 4 negatives per positive, Adam at 0.001, batch 256, 20 epochs, no
    /// pretraining, no validation. `nerva bench rec` measures these.
    public static var paper: NCFSettings {
        var settings = NCFSettings()
        settings.factors = 8
        settings.layers = [64, 32, 16, 8]
        settings.negatives = 4
        settings.learningRate = 0.001
        settings.batchSize = 256
        settings.epochs = 20
        settings.pretrain = false
        settings.weightDecay = 0
        settings.validation = false
        settings.refit = false
        settings.averagedEpochs = 1
        return settings
    }
}
