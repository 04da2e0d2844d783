import ConcordKit
import Synchronization

/// The journal's ``WriteSession``: a queue of steps between the module that appends them and the journal's writer,
/// which runs them in one open transaction.
///
/// At most ``room`` steps wait at a time, so a caller that prepares steps faster than they are written waits
/// instead of piling them up in memory. The writer waits at most `idleTimeout` for each next step.
final class JournalSession: WriteSession {
    enum Step {
        case write(any Journal.WriteJob)
        case commit(any Journal.WriteJob)
    }

    private struct State: ~Copyable {
        var steps: [Step] = []
        /// The writer, waiting for the next step.
        var writer: CheckedContinuation<Step?, Never>?
        /// What wakes the writer when no step came in time.
        var idleTimer: Task<Void, Never>?
        /// Appenders waiting for room.
        var appenders: [CheckedContinuation<Void, Never>] = []
        /// Why the session ended, once it has; every later call throws it.
        var ended: (any Error)?
    }

    /// Steps that may wait for the writer.
    static let room = 2

    private let journal: Journal
    let module: String
    let idleTimeout: Duration
    private let state = Mutex(State())

    init(journal: Journal, module: String, idleTimeout: Duration) {
        self.journal = journal
        self.module = module
        self.idleTimeout = idleTimeout
    }

    // MARK: The module's side

    func append(_ body: @escaping @Sendable (WriteTransaction) throws -> Void) async throws {
        // Steps answer no one: a failure ends the session, and the commit reports it.
        let job = journal.makeJob(module: module, keepingIdempotency: false, body: body)
        while true {
            enum Outcome { case queued, full, ended(any Error) }
            let (outcome, writer) = state.withLock { state -> (Outcome, CheckedContinuation<Step?, Never>?) in
                if let ended = state.ended { return (.ended(ended), nil) }
                guard state.steps.count < Self.room else { return (.full, nil) }
                return (.queued, Self.queue(.write(job), &state))
            }
            switch outcome {
            case .queued:
                writer?.resume(returning: .write(job))
                return
            case .ended(let error):
                throw error
            case .full:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { state in
                        if state.steps.count < Self.room || state.ended != nil { return true }
                        state.appenders.append(continuation)
                        return false
                    }
                    if ready { continuation.resume() }
                }
            }
        }
    }

    func commit<T: Sendable>(_ body: @escaping @Sendable (WriteTransaction) throws -> T) async throws -> T {
        let job = journal.makeJob(module: module, keepingIdempotency: true, body: body)
        return try await withUnsafeThrowingContinuation { continuation in
            job.continuation = continuation
            let (ended, writer) = state.withLock { state -> ((any Error)?, CheckedContinuation<Step?, Never>?) in
                if let ended = state.ended { return (ended, nil) }
                return (nil, Self.queue(.commit(job), &state))
            }
            if let ended {
                job.finish(ended)
            } else {
                writer?.resume(returning: .commit(job))
            }
        }
    }

    func rollback() async {
        end(ConcordError.unavailable("the write session was rolled back"))
    }

    // MARK: The writer's side

    /// The next step, waiting for it up to the idle timeout; `nil` once the session has ended, by a rollback,
    /// the timeout or a failure.
    func next() async -> Step? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Step?, Never>) in
            enum Ready { case step(Step?, [CheckedContinuation<Void, Never>]), waiting }
            let ready = state.withLock { state -> Ready in
                if state.ended != nil { return .step(nil, []) }
                if !state.steps.isEmpty {
                    // Room for one more: the appenders waiting for it try again.
                    defer { state.appenders.removeAll() }
                    return .step(state.steps.removeFirst(), state.appenders)
                }
                state.writer = continuation
                let timeout = idleTimeout
                state.idleTimer = Task { [weak self] in
                    do { try await Task.sleep(for: timeout) } catch { return }
                    self?.end(
                        ConcordError.unavailable(
                            "the write session had no next step for \(timeout) while it held the writer, so it was "
                                + "rolled back"))
                }
                return .waiting
            }
            guard case .step(let step, let appenders) = ready else { return }
            for appender in appenders { appender.resume() }
            continuation.resume(returning: step)
        }
    }

    /// Ends the session with `error` unless it has ended: the writer stops waiting, appenders wake, and a queued
    /// commit fails with `error`.
    func end(_ error: any Error) {
        typealias Ended = (CheckedContinuation<Step?, Never>?, [CheckedContinuation<Void, Never>], [Step])
        let (writer, appenders, steps) = state.withLock { state -> Ended in
            guard state.ended == nil else { return (nil, [], []) }
            state.ended = error
            state.idleTimer?.cancel()
            state.idleTimer = nil
            defer {
                state.appenders.removeAll()
                state.steps.removeAll()
            }
            return (state.writer.take(), state.appenders, state.steps)
        }
        writer?.resume(returning: nil)
        for appender in appenders { appender.resume() }
        for case .commit(let job) in steps { job.finish(error) }
    }

    /// Queues `step`, or, when the writer is waiting (so nothing else is queued), returns the writer for the caller
    /// to hand it the step directly.
    private static func queue(_ step: Step, _ state: inout State) -> CheckedContinuation<Step?, Never>? {
        guard let writer = state.writer.take() else {
            state.steps.append(step)
            return nil
        }
        state.idleTimer?.cancel()
        state.idleTimer = nil
        return writer
    }
}
