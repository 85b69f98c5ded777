import Foundation

/// A task executor with threads of its own. The federation server's tasks prefer it, so the server
/// keeps answering while the program that embeds it (a training loop, a test runner) occupies
/// every thread of Swift's cooperative pool with synchronous work: `FederationServer.run` itself
/// blocks its caller's thread for the whole federation.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    /// The executor every `FederationServer` of the process shares: its handlers are short (decode,
    /// check, hand over to the round loop), so two threads serve any number of servers.
    static let servers = DedicatedThreadExecutor(threads: 2, name: "nerva-server")

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var next = 0

    /// Starts `threads` threads that run the jobs enqueued, first in first out. They live as long
    /// as the process.
    init(threads: Int, name: String) {
        for index in 0..<threads {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while next == jobs.count { condition.wait() }
            let job = jobs[next]
            next += 1
            if next == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                next = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
