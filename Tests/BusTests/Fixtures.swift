import ConcordKit
import Foundation
import GRDB

/// A small module that owns a table, emits events, sets timers and can be told to fail: the bus's test subject.
struct LedgerModule: Module {
    struct RecordEntry: Command {
        static let topic: Topic = "ledger.entry.record"
        typealias Reply = Recorded

        var name: String
        var amount: Int
        var failAfterWrite: Bool?
        /// Emit the event as JSON only: `valid`, or `invalid` (JSON that is not an `EntryRecorded`).
        var json: JSONEmission?

        enum JSONEmission: String, Codable, Sendable {
            case valid, invalid
        }

        enum CodingKeys: String, CodingKey {
            case name, amount, json
            case failAfterWrite = "fail_after_write"
        }
    }

    struct Recorded: Codable, Sendable, Equatable {
        var id: Int64
    }

    struct CountEntries: Query {
        static let topic: Topic = "ledger.entries.count"
        typealias Reply = Int
    }

    struct SetReminder: Command {
        static let topic: Topic = "ledger.reminder.set"
        typealias Reply = Acknowledged

        var key: String
        var due: Date
    }

    struct CancelReminder: Command {
        static let topic: Topic = "ledger.reminder.cancel"
        typealias Reply = Acknowledged

        var key: String
    }

    struct EntryRecorded: Event {
        static let topic: Topic = "ledger.entry.recorded"
        var id: Int64
        var name: String
    }

    struct ReminderDue: Event {
        static let topic: Topic = "ledger.reminder.due"
        var key: String
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "failed on purpose after writing" }
    }

    var name = "ledger"
    /// Delays every `RecordEntry`, to keep commands in flight.
    var handlerDelay: Duration?

    var descriptor: ModuleDescriptor {
        ModuleDescriptor(
            name: name,
            version: "1.0.0",
            commands: [RecordEntry.self, CountEntries.self, SetReminder.self, CancelReminder.self],
            publishes: [EntryRecorded.self, ReminderDue.self]
        )
    }

    var migrations: [Migration] {
        [
            Migration("v1") { db in
                try db.execute(
                    sql: "CREATE TABLE ledger_entries (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount INTEGER)")
            }
        ]
    }

    func start(context: ModuleContext) async throws {
        let delay = handlerDelay
        try context.handle(RecordEntry.self) { command, _ in
            if let delay { try await Task.sleep(for: delay) }
            return try await context.store.write { transaction in
                try transaction.db.execute(
                    sql: "INSERT INTO ledger_entries(name, amount) VALUES (?, ?)",
                    arguments: [command.name, command.amount]
                )
                let id = transaction.db.lastInsertedRowID
                switch command.json {
                case nil: transaction.emit(EntryRecorded(id: id, name: command.name))
                case .valid:
                    transaction.emit(
                        EntryRecorded.self,
                        json: try JSONStreamEncoder.encode(EntryRecorded(id: id, name: command.name)))
                case .invalid: transaction.emit(EntryRecorded.self, json: Data(#"{"entry":"not one"}"#.utf8))
                }
                if command.failAfterWrite == true { throw Failure() }
                return Recorded(id: id)
            }
        }
        try context.handle(CountEntries.self) { _, _ in
            try await context.store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_entries") ?? 0 }
        }
        try context.handle(SetReminder.self) { command, _ in
            try await context.store.write { transaction in
                transaction.schedule(ReminderDue(key: command.key), at: command.due, key: command.key)
            }
            return Acknowledged()
        }
        try context.handle(CancelReminder.self) { command, _ in
            try await context.store.write { transaction in transaction.cancelTimer(key: command.key) }
            return Acknowledged()
        }
    }
}

/// A module whose start fails.
struct BrokenModule: Module {
    struct Broken: Error, CustomStringConvertible {
        var description: String { "cannot reach its configuration" }
    }

    var descriptor: ModuleDescriptor { ModuleDescriptor(name: "broken", version: "0.0.1") }

    func start(context: ModuleContext) async throws { throw Broken() }
}
