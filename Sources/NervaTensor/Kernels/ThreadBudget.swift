/// The one place that decides how many threads a kernel gets.
///
/// Threads come from Nerva's worker pool (`Parallel`), whose tasks call the backend (oneDNN) on
/// one thread each, or from the backend itself for a single large call (a big product, a oneDNN
/// convolution) granted `withThreads` while the pool is reserved and idle. Either way two cores
/// never run more than two busy threads.
public enum ThreadBudget {
    /// How many threads kernels may use in all: one per core, at most 8.
    public static var threadCount: Int { Parallel.threadCount }

    /// Work (multiply-adds or element operations) below which a kernel stays on one thread: waking
    /// a worker costs a few microseconds, about what one core does with this much work.
    static let minimumWorkPerTask = 1 << 17

    /// How many tasks to split `work` (multiply-adds or element operations) into: 1 below the
    /// threshold, else up to one per thread (never more than `maximumParts`, so that each part
    /// stays big enough to be efficient). Every kernel that splits asks here.
    @inline(__always)
    public static func tasks(forWork work: Int, maximumParts: Int = .max) -> Int {
        guard threadCount > 1, work >= 2 * minimumWorkPerTask else { return 1 }
        return Swift.max(1, Swift.min(threadCount, work / minimumWorkPerTask, maximumParts))
    }

    /// Runs `body(task, range)` for `tasks` contiguous shares of `0..<count` on the worker pool and
    /// the calling thread; returns when all are done. Tasks must write disjoint memory. Nested
    /// calls (a task that splits again) run their parts one after another.
    public static func forEachPart(count: Int, tasks: Int, _ body: (_ task: Int, _ range: Range<Int>) -> Void) {
        Parallel.forEachPart(count: count, tasks: tasks, body)
    }

    /// Runs `body` with the number of threads a library call may use: `wanted` (at most the
    /// budget) while the worker pool is free, which stays reserved meanwhile; 1 when the pool is
    /// busy (inside a parallel task, or another thread's job).
    static func withThreads<R>(_ wanted: Int, _ body: (Int) -> R) -> R {
        guard wanted > 1, threadCount > 1, let pool = WorkerPool.shared, pool.tryAcquire() else { return body(1) }
        defer { pool.release() }
        return body(Swift.min(wanted, threadCount))
    }
}
