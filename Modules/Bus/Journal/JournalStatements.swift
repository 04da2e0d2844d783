import Foundation
import GRDB
import GRDBSQLite

/// The statements the writer runs for every write of a group: the write's savepoint and the insert of each
/// event it emits. They run straight on SQLite's C interface, with values bound from the bytes the journal
/// already holds, because GRDB's per-statement bookkeeping (argument arrays, access checks, observation)
/// cost more than SQLite's own work for these small fixed statements.
///
/// GRDB owns the prepared statements (they are its cached statements, finalized with the connection), so
/// this value lives only inside one `write` of the database it was made from. No transaction observer is
/// registered on the journal's connection, so none misses these statements.
struct JournalStatements {
    private let savepoint: Statement
    private let release: Statement
    private let rollback: Statement
    private let insertEvent: Statement

    init(_ db: Database) throws {
        savepoint = try db.cachedStatement(sql: "SAVEPOINT concord_write")
        release = try db.cachedStatement(sql: "RELEASE SAVEPOINT concord_write")
        rollback = try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT concord_write")
        insertEvent = try db.cachedStatement(
            sql:
                "INSERT INTO bus_journal(seq, id, topic, time, source, correlation_id, payload) VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
    }

    /// Opens the savepoint that isolates one write from the others of its group.
    func beginWrite() throws { try Self.run(savepoint) }

    /// Keeps the write's changes in the group transaction.
    func keepWrite() throws { try Self.run(release) }

    /// Undoes the write's changes and closes its savepoint.
    func undoWrite() throws {
        try Self.run(rollback)
        try Self.run(release)
    }

    /// Journals one event; `payload` is its JSON, stored as text.
    func insertEvent(
        seq: UInt64,
        id: UUID,
        topic: String,
        time: Double,
        source: String,
        correlationID: String?,
        payload: Data
    ) throws {
        let statement = insertEvent.sqliteStatement
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        sqlite3_bind_int64(statement, 1, Int64(seq))
        withUnsafeBytes(of: id.uuid) { bytes in
            _ = sqlite3_bind_blob(statement, 2, bytes.baseAddress, CInt(bytes.count), transient)
        }
        Self.bindText(topic, to: statement, at: 3)
        sqlite3_bind_double(statement, 4, time)
        Self.bindText(source, to: statement, at: 5)
        if let correlationID {
            Self.bindText(correlationID, to: statement, at: 6)
        } else {
            sqlite3_bind_null(statement, 6)
        }
        payload.withUnsafeBytes { bytes in Self.bindText(bytes, to: statement, at: 7) }
        try Self.step(insertEvent)
    }

    private static func bindText(_ text: String, to statement: SQLiteStatement, at index: CInt) {
        var text = text
        text.withUTF8 { bytes in bindText(UnsafeRawBufferPointer(bytes), to: statement, at: index) }
    }

    /// Binds UTF-8 bytes as text; an empty buffer binds the empty string, not NULL.
    private static func bindText(_ bytes: UnsafeRawBufferPointer, to statement: SQLiteStatement, at index: CInt) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            sqlite3_bind_text(statement, index, "", 0, transient)
            return
        }
        sqlite3_bind_text(statement, index, base.assumingMemoryBound(to: CChar.self), CInt(bytes.count), transient)
    }

    private static func run(_ statement: Statement) throws {
        defer { sqlite3_reset(statement.sqliteStatement) }
        try step(statement)
    }

    /// Steps a statement that returns no row; a failure becomes GRDB's `DatabaseError` with SQLite's message.
    private static func step(_ statement: Statement) throws {
        let code = sqlite3_step(statement.sqliteStatement)
        guard code != SQLITE_DONE else { return }
        let connection = sqlite3_db_handle(statement.sqliteStatement)
        throw DatabaseError(
            resultCode: ResultCode(rawValue: sqlite3_extended_errcode(connection)),
            message: String(cString: sqlite3_errmsg(connection)),
            sql: statement.sql
        )
    }
}

/// SQLite copies what is bound (`SQLITE_TRANSIENT`), so the Swift buffers need not outlive the call.
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
