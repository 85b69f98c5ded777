import Foundation
import NervaRL

// MARK: - The Gymnasium bridge's reply frames

extension FuzzTarget {
    /// The input is what the helper would write to its stdout: reply frames (4-byte
    /// little-endian length, then JSON) to `make`, `reset` and a few `step`s.
    static let gymnasiumFrames = FuzzTarget(
        name: "gymnasium-frames",
        reader: "GymnasiumSession over a GymnasiumChannel, GymnasiumEnvironment and GymnasiumTabularEnvironment",
        run: { bytes in
            guard let session = try? GymnasiumSession(environmentID: "Fuzz-v0", channel: ReplayChannel(bytes)) else {
                return
            }
            func episode<E: Environment>(_ environment: inout E) where E.Action == Int {
                let actions = max(1, session.actionSpace.count)
                _ = environment.reset(seed: 7)
                for step in 0..<8 where environment.step(step % actions).isDone { break }
            }
            if session.hasDiscreteObservations, var environment = try? GymnasiumTabularEnvironment(session: session) {
                episode(&environment)
            } else if var environment = try? GymnasiumEnvironment(session: session) {
                episode(&environment)
            }
            _ = session.lastResetState
        },
        seeds: {
            func frames(_ replies: [String]) -> [UInt8] {
                replies.flatMap { reply in
                    withUnsafeBytes(of: UInt32(reply.utf8.count).littleEndian, Array.init) + Array(reply.utf8)
                }
            }
            let step =
                #"{"ok": true, "observation": [0.01, -0.2, 0.03, 0.25], "reward": 1.0, "terminated": false, "truncated": false}"#
            return [
                (
                    "cartpole.bin",
                    frames([
                        #"{"ok": true, "env_id": "CartPole-v1", "observation_space": {"type": "box", "shape": [4], "low": [-4.8, null, -0.42, null], "#
                            + #""high": [4.8, null, 0.42, null]}, "action_space": {"type": "discrete", "n": 2, "start": 0}, "#
                            + #""max_episode_steps": 500, "reward_threshold": 475.0, "gymnasium_version": "1.1.1"}"#,
                        #"{"ok": true, "observation": [0.01, 0.02, -0.03, 0.04], "state": [0.01, 0.02, -0.03, 0.04]}"#,
                        step, step,
                        #"{"ok": true, "observation": [0.1, 0.2, 0.3, 0.4], "reward": 1.0, "terminated": true, "truncated": false}"#
                    ])
                ),
                (
                    "frozenlake.bin",
                    frames([
                        #"{"ok": true, "env_id": "FrozenLake-v1", "observation_space": {"type": "discrete", "n": 16, "start": 0}, "#
                            + #""action_space": {"type": "discrete", "n": 4, "start": 0}, "max_episode_steps": 100, "reward_threshold": 0.7, "#
                            + #""gymnasium_version": "1.1.1"}"#,
                        #"{"ok": true, "observation": 0}"#,
                        #"{"ok": true, "observation": 4, "reward": 0.0, "terminated": false, "truncated": false}"#,
                        #"{"ok": true, "observation": 15, "reward": 1.0, "terminated": true, "truncated": false}"#
                    ])
                ),
                (
                    "remote-error.bin",
                    frames([#"{"ok": false, "error": "NameNotFound: Environment `Nope` doesn't exist."}"#])
                ),
                (
                    "start-offset.bin",
                    frames([
                        #"{"ok": true, "observation_space": {"type": "discrete", "n": 3, "start": -1}, "action_space": {"type": "discrete", "n": 2, "start": 5}}"#,
                        #"{"ok": true, "observation": 1}"#,
                        #"{"ok": false, "error": "ValueError: action 6 is not in Discrete(2, start=5)"}"#
                    ])
                )
            ]
        })
}

/// A helper that has already written `bytes` to its stdout and reads whatever it is sent.
final class ReplayChannel: GymnasiumChannel {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func write(_ data: Data) -> Bool { true }

    func read(count: Int) -> Data? {
        guard count <= bytes.count - position else { return nil }
        defer { position += count }
        return Data(bytes[position..<(position + count)])
    }

    func endError() -> GymnasiumBridgeError { .helperExited(status: 0, stderr: "") }

    func close() {}
}
