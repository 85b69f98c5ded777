import Foundation
import NIOCore
import Testing

@testable import NervaFed

@Suite struct FederationHubTests {
    /// Once a client has answered its task, asking for work again does not hand it the same task,
    /// even before the round loop has collected the answer (the client would run it twice, or
    /// would have to keep its answer to send it again).
    @Test func anAnsweredTaskIsNotHandedOutAgain() throws {
        let hub = FederationHub(heartbeatTimeout: 60)
        hub.touch("c")
        let done = DispatchSemaphore(value: 0)
        let collected = Collected()
        Thread {
            collected.answer = try? hub.perform(.evaluate, round: 1, body: [], for: "c", timeout: 30)
            done.signal()
        }.start()
        var task: FederationHub.Assignment?
        let deadline = Date().addingTimeInterval(30)
        while task == nil && Date() < deadline {
            task = hub.assignment(for: "c")
            if task == nil { Thread.sleep(forTimeInterval: 0.001) }
        }
        let assignment = try #require(task)
        #expect(
            hub.deliver(.evaluation(ParticipantEvaluation(loss: 1, exampleCount: 2)), task: assignment.id, from: "c"))
        #expect(hub.assignment(for: "c") == nil)
        #expect(!hub.deliver(.unreadable("again"), task: assignment.id, from: "c"))
        #expect(done.wait(timeout: .now() + 30) == .success)
        guard case .evaluation(let evaluation) = collected.answer else {
            Issue.record("the round loop did not get the answer")
            return
        }
        #expect(evaluation.loss == 1)
    }
}

/// The round loop's answer, handed from its thread to the test's (after the semaphore).
private final class Collected: @unchecked Sendable {
    var answer: FederationHub.Answer?
}
