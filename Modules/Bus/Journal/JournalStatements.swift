import ConcordKit
import Foundation
import GRDB

/// The statements the writer runs for every write of a group: the write's savepoint and the insert of each
/// event it emits, bound from the bytes the journal already holds (see ``BoundStatement``).
///
/// Made inside one `write` of the database, and used only there.
struct JournalStatements {
    private let savepoint: BoundStatement
    private let release: BoundStatement
    private let rollback: BoundStatement
    private let insertEvent: BoundStatement
    private let insertSubject: BoundStatement
    private let insertKey: BoundStatement

    init(_ db: Database) throws {
        savepoint = try BoundStatement(db, sql: "SAVEPOINT concord_write")
        release = try BoundStatement(db, sql: "RELEASE SAVEPOINT concord_write")
        rollback = try BoundStatement(db, sql: "ROLLBACK TO SAVEPOINT concord_write")
        insertEvent = try BoundStatement(
            db,
            sql:
                "INSERT INTO bus_journal(seq, id, topic, time, source, correlation_id, payload, idempotency_key, "
                + "idempotency_command, idempotency_reply) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        insertSubject = try BoundStatement(db, sql: "INSERT OR IGNORE INTO bus_subjects(subject, seq) VALUES (?, ?)")
        insertKey = try BoundStatement(
            db, sql: "INSERT INTO bus_idempotency(key, command, reply, created_at) VALUES (?, ?, ?, ?)")
    }

    /// Opens the savepoint that isolates one write from the others of its group.
    func beginWrite() throws { try savepoint.run() }

    /// Keeps the write's changes in the group transaction.
    func keepWrite() throws { try release.run() }

    /// Undoes the write's changes and closes its savepoint.
    func undoWrite() throws {
        try rollback.run()
        try release.run()
    }

    /// Journals one event; `payload` is its JSON, stored as text. `key` is the idempotency key the event's row
    /// keeps for its write: the key, its command and, when the write returned it, the reply.
    func insertEvent(
        seq: UInt64,
        id: UUID,
        topic: String,
        time: Double,
        source: String,
        correlationID: String?,
        payload: Data,
        key: (key: String, command: String, reply: Data?)? = nil
    ) throws {
        insertEvent.bind(Int64(seq), at: 1)
        insertEvent.bind(id, at: 2)
        insertEvent.bind(topic, at: 3)
        insertEvent.bind(time, at: 4)
        insertEvent.bind(source, at: 5)
        insertEvent.bind(correlationID, at: 6)
        insertEvent.bind(utf8: payload, at: 7)
        // Parameters left unbound are NULL (`run` clears them).
        if let key {
            insertEvent.bind(key.key, at: 8)
            insertEvent.bind(key.command, at: 9)
            if let reply = key.reply { insertEvent.bind(utf8: reply, at: 10) }
        }
        try insertEvent.run()
    }

    /// Appends an idempotency key with its command and, when the write returned it, its reply (see
    /// ``IdempotencyLedger``); returns the row.
    func insertKey(_ key: String, command: String, reply: Data?, at time: Double, db: Database) throws -> Int64 {
        insertKey.bind(key, at: 1)
        insertKey.bind(command, at: 2)
        if let reply { insertKey.bind(utf8: reply, at: 3) } else { insertKey.bind(nil as String?, at: 3) }
        insertKey.bind(time, at: 4)
        try insertKey.run()
        return db.lastInsertedRowID
    }

    /// Indexes the entities an event's payload names (``EventSubjects``).
    func insertSubjects(seq: UInt64, payload: Data) throws {
        try EventSubjects.forEachID(in: payload) { subject in
            insertSubject.bind(subject, at: 1)
            insertSubject.bind(Int64(seq), at: 2)
            try insertSubject.run()
        }
    }
}
