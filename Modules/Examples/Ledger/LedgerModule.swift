public import ConcordKit
import Foundation
import GRDB

/// The example module, the template for new ones: a ledger of entries with durable reminders.
///
/// What it shows, once each:
/// - the descriptor names the module and the events it emits (`publishes`); emitting another fails the write;
/// - the module's tables, prefixed with its name, come with its migrations;
/// - each command is declared by registering its handler, with where it runs (`runsOn`); the catalog and
///   `system.status` list what was registered;
/// - a mutating handler returns what its write returns, so its rows, its events and (with an idempotency key)
///   its reply commit in one transaction;
/// - a durable timer is set and cancelled in the write that decides it, and fires as an event.
///
/// It must not import another module, `Bus` or `Gateway`: only `ConcordKit` (and `Contracts` for the vocabulary
/// of other modules).
public struct LedgerModule: Module {
    /// The module's name; tests start two ledgers under different names.
    public var name: String

    public init(name: String = "ledger") {
        self.name = name
    }

    public var descriptor: ModuleDescriptor {
        ModuleDescriptor(name: name, version: "1.0.0", publishes: [EntryRecorded.self, ReminderDue.self])
    }

    public var migrations: [Migration] {
        [
            Migration("v1") { db in
                try db.execute(
                    sql: "CREATE TABLE ledger_entries (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount INTEGER)")
            }
        ]
    }

    public func start(context: ModuleContext) async throws {
        let store = context.store
        try context.handle(RecordEntry.self, runsOn: .inline) { command, _ in
            guard !command.name.isEmpty else { throw ConcordError.badRequest("name: expected 1 or more characters") }
            return try await store.write { transaction in
                try Self.insert(name: command.name, amount: command.amount, db: transaction.db)
                let recorded = EntryRecorded(
                    id: transaction.db.lastInsertedRowID, name: command.name, amount: command.amount)
                transaction.emit(recorded)
                return recorded
            }
        }
        try context.handle(CountEntries.self, runsOn: .inline) { _, _ in
            try await store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_entries") ?? 0 }
        }
        try context.handle(SetReminder.self, runsOn: .inline) { command, _ in
            try await store.write { transaction in
                try transaction.schedule(ReminderDue(key: command.key), at: command.due, key: command.key)
                return Acknowledged()
            }
        }
        try context.handle(CancelReminder.self, runsOn: .inline) { command, _ in
            try await store.write { transaction in
                transaction.cancelTimer(key: command.key)
                return Acknowledged()
            }
        }
    }

    /// Inserts one entry; the statement is prepared once per connection.
    static func insert(name: String, amount: Int, db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO ledger_entries(name, amount) VALUES (?, ?)")
            .execute(arguments: [name, amount])
    }
}
