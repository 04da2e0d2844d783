public import Foundation

/// A plugin's access to the one SQLite database: its own tables, written together with its events and timers.
///
/// The daemon runs every statement inside its journal's transaction, as it runs a built-in module's: a write's rows,
/// its events and its timers commit together (the outbox), grouped with other writes into one fsync. Values cross
/// as ``SQLValue``s; no GRDB type does.
public protocol PluginStore: Sendable {
    /// Runs `body` in a transaction and commits its statements, its emitted events and its timers together;
    /// returns after the commit. A `body` that throws leaves neither rows nor events.
    func write<T: Sendable>(_ body: @escaping @Sendable (any PluginTransaction) throws -> T) async throws -> T

    /// Runs one query on a consistent snapshot, concurrently with writes.
    func read(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow]
}

extension PluginStore {
    public func read(_ sql: String) async throws -> [SQLRow] { try await read(sql, []) }
}

/// A plugin's part of one write: statements on its tables, the events it emits and the timers it sets.
public protocol PluginTransaction {
    /// The time of the write, from the daemon's clock.
    var now: Date { get }

    /// Runs a statement that returns no rows.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> SQLChanges

    /// Runs a query inside the transaction, seeing its earlier statements.
    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]

    /// Emits `event` when, and only when, the write commits.
    func emit<E: Event>(_ event: E) throws

    /// Emits `event` at `due`, durably; scheduling again under `key` replaces the earlier timer.
    func schedule<E: Event>(_ event: E, at due: Date, key: String) throws

    /// Cancels the timer under `key`, if it has not fired.
    func cancelTimer(key: String) throws
}

extension PluginTransaction {
    @discardableResult
    public func execute(_ sql: String) throws -> SQLChanges { try execute(sql, []) }
    public func query(_ sql: String) throws -> [SQLRow] { try query(sql, []) }
}
