public import GRDB

/// A module's access to the one SQLite database: its own tables, written together with its events.
public protocol ModuleStore: Sendable {
    /// Runs `body` in a transaction and commits its writes, its emitted events and its timers together.
    ///
    /// Concurrent writes are grouped into one transaction and one fsync; each runs in its own savepoint,
    /// so one that throws leaves neither rows nor events and does not disturb the others.
    /// Returns after the commit, when the events have their `seq`.
    func write<T: Sendable>(_ body: @escaping @Sendable (WriteTransaction) throws -> T) async throws -> T

    /// Reads from a consistent snapshot, concurrently with writes.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T

    /// Takes the writer for one long transaction, written step by step (``WriteSession``); returns once the
    /// transaction is open. Until it ends, every other write waits; reads go on from the last commit.
    ///
    /// - Parameter idleTimeout: how long the session may leave the writer waiting for its next step; past it,
    ///   everything is rolled back and the writer goes back to the others.
    func beginSession(idleTimeout: Duration) async throws -> any WriteSession
}

/// One transaction built over many calls, for writes too large to check first and then write at once: each step
/// is written while the caller prepares the next, and nothing of it is seen, journaled or delivered unless the
/// session commits.
///
/// A step that throws ends the session: it is rolled back, and every later call throws that error.
public protocol WriteSession: Sendable {
    /// Queues `body` to run after the steps before it, inside the transaction, and returns without waiting for it
    /// (only for room, while two steps are already waiting). The events it emits are journaled in step order and
    /// reach subscribers only after the commit.
    ///
    /// Throws why the session ended, if it has.
    func append(_ body: @escaping @Sendable (WriteTransaction) throws -> Void) async throws

    /// Runs `body` after every step, then commits them all; returns once the commit is durable.
    func commit<T: Sendable>(_ body: @escaping @Sendable (WriteTransaction) throws -> T) async throws -> T

    /// Rolls back every step and gives the writer back; nothing of the session is kept. Does nothing once ended.
    func rollback() async
}

/// A named schema change of a module's tables; names are prefixed with the module's name when applied.
public struct Migration: Sendable {
    public var name: String
    public var migrate: @Sendable (Database) throws -> Void

    public init(_ name: String, migrate: @escaping @Sendable (Database) throws -> Void) {
        self.name = name
        self.migrate = migrate
    }
}
