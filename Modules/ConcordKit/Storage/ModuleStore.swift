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
