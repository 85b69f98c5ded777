/// The training loop and best-network selection of `DQN`.
extension DQN {
    /// Trains for `config.totalTimesteps` steps from now (CleanRL's loop; `config.gradientSteps`
    /// gradient steps every `config.trainFrequency` steps once learning has started).
    ///
    /// - Parameters:
    ///   - environment: Where the agent collects its transitions.
    ///   - seed: Seeds the environment at the first reset.
    ///   - steps: Steps to take instead of `config.totalTimesteps`.
    ///   - selectionEnvironment: Where selection evaluations run (`config.selectionFrequency`); by
    ///     default a copy of `environment`. Pass a separate one when copies share state (a bridge).
    ///   - shouldStop: Asked after each episode; `true` ends training early (a failed environment).
    ///   - onEpisode: Called when an episode ends, with its summary.
    ///   - onUpdate: Called after each gradient step.
    /// - Throws: `TrainingDivergedError` at the first gradient step whose loss is NaN or infinite
    ///   (the networks then hold that step's values; save nothing from them).
    public func train<E: Environment>(
        on environment: inout E, seed: UInt64 = 0, steps: Int? = nil,
        selectionEnvironment: (any Environment<[Float], Int>)? = nil, shouldStop: () -> Bool = { false },
        onEpisode: (EpisodeSummary) -> Void = { _ in },
        onUpdate: (UpdateSummary) -> Void = { _ in }
    ) throws
    where E.Observation == [Float], E.Action == Int {
        let schedule = config.epsilon
        var selection: any Environment<[Float], Int> = selectionEnvironment ?? environment
        var observation = environment.reset(seed: globalStep == 0 ? seed : nil)
        var episodeReturn = 0.0, episodeLength = 0, episodes = 0
        let end = globalStep + (steps ?? config.totalTimesteps)
        while globalStep < end {
            let epsilon = schedule.value(at: globalStep)
            let action = self.action(observation, epsilon: epsilon)
            let step = environment.step(action)
            episodeReturn += step.reward
            episodeLength += 1
            let slot = buffer.position
            // The final observation of a truncated episode is kept: its value is bootstrapped.
            buffer.add(
                observation: observation, action: action, reward: Float(step.reward),
                nextObservation: step.observation, isTerminated: step.isTerminated)
            priorities?.added(slot: slot)
            if step.isDone {
                onEpisode(
                    EpisodeSummary(
                        episode: episodes, episodeReturn: episodeReturn, length: episodeLength,
                        isTerminated: step.isTerminated, epsilon: epsilon, totalSteps: globalStep + 1))
                if shouldStop() { return }
                episodes += 1
                episodeReturn = 0
                episodeLength = 0
                observation = environment.reset()
            } else {
                observation = step.observation
            }
            if globalStep > config.learningStarts {
                if globalStep % config.trainFrequency == 0 {
                    for _ in 0..<config.gradientSteps {
                        let summary = updateFromReplay()
                        guard summary.loss.isFinite else {
                            throw TrainingDivergedError(
                                what: "DQN training", position: "step \(globalStep)", detail: "TD loss \(summary.loss)")
                        }
                        onUpdate(summary)
                    }
                }
                if globalStep % config.targetNetworkFrequency == 0 {
                    targetNetwork.update(from: qNetwork, tau: config.tau)
                }
                if let frequency = config.selectionFrequency, globalStep % frequency == 0 {
                    selectBest(on: &selection, seed: seed &+ UInt64(globalStep))
                }
            }
            globalStep += 1
        }
        if config.selectionFrequency != nil {
            selectBest(on: &selection, seed: seed &+ UInt64(globalStep))
            restoreBest()
        }
    }

    /// Evaluates the greedy policy on `environment` and remembers the network if it is the best
    /// so far (ties go to the later network). With `config.selectionConfirmationEpisodes`, a
    /// network whose first `selectionEpisodes` episodes reach the best mean so far plays that many
    /// episodes in all, and that longer mean decides (a race: weak networks cost few episodes).
    func selectBest<E: Environment>(on environment: inout E, seed: UInt64)
    where E.Observation == [Float], E.Action == Int {
        var result = evaluate(greedyAction, on: &environment, episodes: config.selectionEpisodes, seed: seed)
        selectionSteps += result.lengths.reduce(0, +)
        if let total = config.selectionConfirmationEpisodes, total > config.selectionEpisodes,
            bestSelectionReturn.map({ result.meanReturn >= $0 }) ?? true
        {
            // The same stream continues: the further episodes start where Gymnasium's would.
            let more = evaluate(greedyAction, on: &environment, episodes: total - config.selectionEpisodes, seed: nil)
            selectionSteps += more.lengths.reduce(0, +)
            result.returns += more.returns
            result.lengths += more.lengths
        }
        let meanReturn = result.meanReturn
        if bestSelectionReturn.map({ meanReturn >= $0 }) ?? true {
            bestSelectionReturn = meanReturn
            bestSelectionStep = globalStep
            bestParameters = qNetwork.parameters().map(\.scalars)
        }
    }

    /// Puts the kept network back into `qNetwork` and `targetNetwork`.
    func restoreBest() {
        guard let bestParameters else { return }
        for (parameter, values) in zip(qNetwork.parameters(), bestParameters) {
            parameter.withUnsafeMutableBufferPointer { buffer in for i in buffer.indices { buffer[i] = values[i] } }
        }
        targetNetwork.update(from: qNetwork)
    }
}
