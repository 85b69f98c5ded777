/// An environment of a locally installed Python Gymnasium with Box observations and Discrete
/// actions, for DQN: `nerva rl train --gymnasium ENV_ID`.
///
/// Copies share the one helper process (and so the episode in progress): give each user that
/// needs its own episodes (a selection evaluation beside training) its own instance.
/// Failures cannot be thrown from `reset`/`step`; they end the episode and are kept in `failure`.
///
/// ```swift
/// var env = try GymnasiumEnvironment("CartPole-v1")
/// var observation = env.reset(seed: 42)
/// let step = env.step(1)
/// if let failure = env.failure { throw failure }
/// ```
public struct GymnasiumEnvironment: Environment {
    /// The connection to the helper.
    public let session: GymnasiumSession
    private var last: [Float]

    /// Starts a helper and makes `id`, which must have Box observations and Discrete actions.
    ///
    /// - Throws: `GymnasiumBridgeError`.
    public init(_ id: String, python: String? = nil, helper: String? = nil, options: String = "{}") throws {
        try self.init(session: GymnasiumSession(environmentID: id, python: python, helper: helper, options: options))
    }

    /// Uses a started session, which must have Box observations.
    public init(session: GymnasiumSession) throws {
        guard !session.hasDiscreteObservations else {
            throw GymnasiumBridgeError.unsupportedSpace(
                "\(session.environmentID) has Discrete observations; train it with a tabular algorithm.")
        }
        self.session = session
        last = [Float](repeating: 0, count: session.observationSpace.flatSize)
    }

    public var observationSpace: Space { session.observationSpace }
    public var actionSpace: Space { session.actionSpace }
    /// The first error of the bridge, if any.
    public var failure: GymnasiumBridgeError? { session.failure }

    public mutating func reset(seed: UInt64?) -> [Float] {
        do { last = try GymnasiumJSON.vector(try session.reset(seed: seed), size: last.count) } catch {
            session.record(error)
        }
        return last
    }

    public mutating func step(_ action: Int) -> Step<[Float]> {
        do {
            let reply = try session.step(action)
            last = try GymnasiumJSON.vector(reply.observation, size: last.count)
            return Step(
                observation: last, reward: reply.reward, isTerminated: reply.isTerminated,
                isTruncated: reply.isTruncated)
        } catch {
            session.record(error)
            return Step(observation: last, reward: 0, isTerminated: true)
        }
    }
}

/// An environment of a locally installed Python Gymnasium with Discrete observations and
/// actions, for the tabular learners. Sharing and failures as `GymnasiumEnvironment`.
public struct GymnasiumTabularEnvironment: Environment {
    /// The connection to the helper.
    public let session: GymnasiumSession
    private var last = 0

    /// Starts a helper and makes `id`, which must have Discrete observations and actions.
    ///
    /// - Throws: `GymnasiumBridgeError`.
    public init(_ id: String, python: String? = nil, helper: String? = nil, options: String = "{}") throws {
        try self.init(session: GymnasiumSession(environmentID: id, python: python, helper: helper, options: options))
    }

    /// Uses a started session, which must have Discrete observations.
    public init(session: GymnasiumSession) throws {
        guard session.hasDiscreteObservations else {
            throw GymnasiumBridgeError.unsupportedSpace(
                "\(session.environmentID) has Box observations; train it with --algorithm dqn.")
        }
        self.session = session
    }

    public var observationSpace: Space { session.observationSpace }
    public var actionSpace: Space { session.actionSpace }
    /// The first error of the bridge, if any.
    public var failure: GymnasiumBridgeError? { session.failure }

    public mutating func reset(seed: UInt64?) -> Int {
        do { last = try GymnasiumJSON.index(try session.reset(seed: seed), count: observationSpace.count) } catch {
            session.record(error)
        }
        return last
    }

    public mutating func step(_ action: Int) -> Step<Int> {
        do {
            let reply = try session.step(action)
            last = try GymnasiumJSON.index(reply.observation, count: observationSpace.count)
            return Step(
                observation: last, reward: reply.reward, isTerminated: reply.isTerminated,
                isTruncated: reply.isTruncated)
        } catch {
            session.record(error)
            return Step(observation: last, reward: 0, isTerminated: true)
        }
    }
}
