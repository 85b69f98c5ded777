import Foundation
import NervaRL
import Testing

/// A helper that has already answered: its reply frames, replayed; requests are recorded.
final class RecordedChannel: GymnasiumChannel {
    private var replies: [UInt8]
    private(set) var requests: [String] = []
    private(set) var isClosed = false

    init(_ replies: [String]) {
        self.replies = replies.flatMap {
            withUnsafeBytes(of: UInt32($0.utf8.count).littleEndian, Array.init) + Array($0.utf8)
        }
    }

    func write(_ data: Data) -> Bool {
        requests.append(String(decoding: data.dropFirst(4), as: UTF8.self))
        return true
    }

    func read(count: Int) -> Data? {
        guard count <= replies.count else { return nil }
        defer { replies.removeFirst(count) }
        return Data(replies.prefix(count))
    }

    func endError() -> GymnasiumBridgeError { .helperExited(status: 0, stderr: "end of the recording") }

    func close() { isClosed = true }
}

/// The bridge's frames without Python: a session over a recorded conversation.
@Suite struct GymnasiumChannelTests {
    static let make =
        #"{"ok": true, "observation_space": {"type": "box", "low": [-1, null], "high": [1, null]}, "#
        + #""action_space": {"type": "discrete", "n": 2, "start": 1}, "max_episode_steps": 10, "gymnasium_version": "1.1.1"}"#

    @Test func aRecordedEpisodeIsReadAndActionsAreShiftedByStart() throws {
        let channel = RecordedChannel([
            Self.make, #"{"ok": true, "observation": [0.5, 2]}"#,
            #"{"ok": true, "observation": [0.25, 3], "reward": 1.5, "terminated": true, "truncated": false}"#
        ])
        var environment = try GymnasiumEnvironment(
            session: GymnasiumSession(environmentID: "Recorded-v0", channel: channel))
        #expect(environment.observationSpace == .box(low: [-1, -.infinity], high: [1, .infinity]))
        #expect(environment.reset(seed: 3) == [0.5, 2])
        let step = environment.step(1)
        #expect(step.observation == [0.25, 3] && step.reward == 1.5 && step.isTerminated)
        #expect(channel.requests.last == #"{"cmd":"step","action":2}"#)
        #expect(environment.session.maxEpisodeSteps == 10 && environment.failure == nil)
    }

    /// Found while adding the Gymnasium fuzz target (issue #18): a Discrete `start` near the end
    /// of 64-bit integers made `start + action` overflow and trap at the first step.
    @Test func aStartThatWouldOverflowIsAMalformedReply() {
        let make = Self.make.replacingOccurrences(of: #""start": 1"#, with: #""start": 9223372036854775807"#)
        let channel = RecordedChannel([make])
        #expect(throws: GymnasiumBridgeError.self) {
            try GymnasiumSession(environmentID: "Recorded-v0", channel: channel)
        }
        #expect(channel.isClosed)
    }

    @Test func aConversationThatEndsIsTheHelperExiting() throws {
        let session = try GymnasiumSession(environmentID: "Recorded-v0", channel: RecordedChannel([Self.make]))
        #expect(throws: GymnasiumBridgeError.helperExited(status: 0, stderr: "end of the recording")) {
            try session.reset(seed: nil)
        }
    }
}
