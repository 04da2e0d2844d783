import Synchronization
import ZeroMQ

/// Runs the gateway's command tasks on its I/O thread, between polls, the way swift-nio's event loops serve
/// as task executors: a command whose handler needs no other thread is parsed, handled and answered
/// without waking one. Work that suspends (a journal commit, an actor elsewhere) resumes here too.
///
/// Once the I/O thread has ended, jobs go to the global concurrent executor, so no task is ever stranded.
final class GatewayExecutor: TaskExecutor {
    private struct State {
        var jobs: [UnownedJob] = []
        var open = true
    }

    private let state = Mutex(State())
    private let wakeup: ZMQWakeup

    init(wakeup: ZMQWakeup) {
        self.wakeup = wakeup
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let (accepted, wasEmpty) = state.withLock { state -> (Bool, Bool) in
            guard state.open else { return (false, false) }
            state.jobs.append(job)
            return (true, state.jobs.count == 1)
        }
        if !accepted {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        } else if wasEmpty {
            wakeup.signal()
        }
    }

    /// Whether jobs are waiting.
    var hasJobs: Bool { state.withLock { !$0.jobs.isEmpty } }

    /// Runs the waiting jobs, and those they enqueue, up to `limit`; call it on the I/O thread only.
    func runJobs(limit: Int = 4096) {
        var run = 0
        while run < limit {
            let batch = state.withLock { state in
                defer { state.jobs.removeAll(keepingCapacity: true) }
                return state.jobs
            }
            if batch.isEmpty { return }
            for job in batch {
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
            run += batch.count
        }
    }

    /// Stops taking jobs and hands what is left to the global executor; the I/O thread calls it as it ends.
    func close() {
        let left = state.withLock { state in
            state.open = false
            defer { state.jobs = [] }
            return state.jobs
        }
        for job in left {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }
}
