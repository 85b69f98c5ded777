import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Splitting kernel work across the cores.
///
/// Kernels hand out a few tasks of a millisecond or less, back to back, many times per training
/// step. Dispatch's `concurrentPerform` wakes its workers too slowly for that (tens of
/// microseconds, and not at all for back-to-back calls), so Nerva keeps its own workers: one
/// thread per extra core (up to `threadCount`) that spins briefly after each job, waiting for the
/// next, and then sleeps.
enum Parallel {
    /// The number of online processors.
    static let coreCount = Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// How many threads kernels split work across: one per core, at most 8 (kernel tasks are
    /// too short to feed more, and idle workers spin for a moment after each job).
    static let threadCount = Swift.min(coreCount, 8)

    /// Runs `body(task, range)` for `tasks` contiguous shares of `0..<count`, on the calling
    /// thread and the pool's workers; returns when all are done. Tasks must write disjoint
    /// memory. Runs them one after another when `tasks <= 1`, when the pool is busy (another
    /// thread's job, or a task starting a job of its own), or on a single core.
    static func forEachPart(count: Int, tasks: Int, _ body: (Int, Range<Int>) -> Void) {
        let tasks = Swift.max(1, Swift.min(tasks, count))
        guard tasks > 1, let pool = WorkerPool.shared, pool.tryAcquire() else {
            for task in 0..<tasks { body(task, share(task, of: tasks, count)) }
            return
        }
        defer { pool.release() }
        withoutActuallyEscaping(body) { body in
            pool.run(tasks: tasks) { task in body(task, share(task, of: tasks, count)) }
        }
    }

    /// Task `task`'s share of `0..<count` split into `tasks` nearly equal ranges.
    @inline(__always)
    static func share(_ task: Int, of tasks: Int, _ count: Int) -> Range<Int> {
        (count * task / tasks)..<(count * (task + 1) / tasks)
    }
}

/// The threads behind `Parallel.forEachPart`: `threadCount − 1` workers that claim tasks of the
/// current job from a shared counter, as the calling thread does.
final class WorkerPool: @unchecked Sendable {
    /// `nil` on a single core.
    static let shared: WorkerPool? = Parallel.threadCount > 1 ? WorkerPool(workers: Parallel.threadCount - 1) : nil

    /// How long an idle worker spins for the next job before it sleeps, in nanoseconds.
    static let spinNanoseconds: UInt64 = 300_000

    private let isBusy = Atomic<Bool>(false) // a thread's job owns the pool
    private let generation = Atomic<Int>(0) // bumped once per job
    private let isActive = Atomic<Bool>(false) // workers may join the current job
    private let inside = Atomic<Int>(0) // workers between joining and leaving a job
    private let nextTask = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private nonisolated(unsafe) var taskCount = 0
    private nonisolated(unsafe) var body: ((Int) -> Void)?
    private let sleepMutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wakeUp = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    private init(workers: Int) {
        pthread_mutex_init(sleepMutex, nil)
        pthread_cond_init(wakeUp, nil)
        for _ in 0..<workers {
            let context = Unmanaged.passRetained(self).toOpaque()
            #if canImport(Glibc)
                var thread = pthread_t()
                let started = pthread_create(
                    &thread, nil,
                    { context in
                        Unmanaged<WorkerPool>.fromOpaque(context!).takeRetainedValue().work()
                        return nil
                    }, context)
                if started == 0 { pthread_detach(thread) }
            #else
                var thread: pthread_t?
                let started = pthread_create(
                    &thread, nil,
                    { context in
                        Unmanaged<WorkerPool>.fromOpaque(context).takeRetainedValue().work()
                        return nil
                    }, context)
                if started == 0, let thread { pthread_detach(thread) }
            #endif
            precondition(started == 0, "WorkerPool: cannot start a worker thread (error \(started)).")
        }
    }

    /// Takes the pool for one job; `false` if another job has it.
    func tryAcquire() -> Bool {
        isBusy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    /// Gives the pool back after `run`.
    func release() { isBusy.store(false, ordering: .releasing) }

    /// Runs `tasks` calls of `body` on this thread and the workers, between `tryAcquire()` and
    /// `release()`.
    func run(tasks: Int, _ body: @escaping (Int) -> Void) {
        self.body = body
        taskCount = tasks
        nextTask.store(0, ordering: .sequentiallyConsistent)
        finished.store(0, ordering: .sequentiallyConsistent)
        isActive.store(true, ordering: .sequentiallyConsistent)
        generation.add(1, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(sleepMutex)
            pthread_cond_broadcast(wakeUp)
            pthread_mutex_unlock(sleepMutex)
        }
        claimTasks(body, tasks)
        while finished.load(ordering: .acquiring) < tasks { spinHint() }
        // Late workers must not start on a job that is over, nor read `body` once it is gone.
        isActive.store(false, ordering: .sequentiallyConsistent)
        while inside.load(ordering: .sequentiallyConsistent) > 0 { spinHint() }
        self.body = nil
    }

    private func claimTasks(_ body: (Int) -> Void, _ tasks: Int) {
        while true {
            let task = nextTask.add(1, ordering: .acquiringAndReleasing).oldValue
            guard task < tasks else { return }
            body(task)
            finished.add(1, ordering: .releasing)
        }
    }

    /// A worker's loop: join each new job, spin a while for the next one, then sleep.
    private func work() {
        var seen = generation.load(ordering: .sequentiallyConsistent)
        while true {
            let deadline = now() + WorkerPool.spinNanoseconds
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins & 15 == 0 && now() > deadline {
                    sleep(until: seen)
                    break
                }
                spinHint()
            }
            seen = generation.load(ordering: .sequentiallyConsistent)
            inside.add(1, ordering: .sequentiallyConsistent)
            if isActive.load(ordering: .sequentiallyConsistent) { joinCurrentJob() }
            inside.subtract(1, ordering: .sequentiallyConsistent)
        }
    }

    /// Claims tasks of the current job. A function of its own so that the worker's reference to
    /// `body` is gone before it leaves the job: `Parallel.forEachPart` lends the pool a
    /// non-escaping closure, and debug builds check that nothing holds it once the job is over.
    @inline(never)
    private func joinCurrentJob() {
        guard let body else { return }
        claimTasks(body, taskCount)
    }

    /// Blocks until the generation moves on from `seen`.
    private func sleep(until seen: Int) {
        pthread_mutex_lock(sleepMutex)
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while generation.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(wakeUp, sleepMutex) }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(sleepMutex)
    }

    private func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    @inline(__always)
    private func spinHint() {
        // Swift has no pause instruction; yielding keeps the spin polite, handing the core to
        // any other runnable thread.
        sched_yield()
    }
}
