public import ConcordKit
public import GRDB

/// A module's ``ModuleStore``: its writes go through the journal's group commit under the module's name.
public struct JournalStore: ModuleStore {
    public let journal: Journal
    public let module: String

    public init(journal: Journal, module: String) {
        self.journal = journal
        self.module = module
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (WriteTransaction) throws -> T) async throws -> T {
        try await journal.write(module: module, body)
    }

    public func beginSession(idleTimeout: Duration) async throws -> any WriteSession {
        try await journal.beginSession(module: module, idleTimeout: idleTimeout)
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await journal.read(body)
    }
}
