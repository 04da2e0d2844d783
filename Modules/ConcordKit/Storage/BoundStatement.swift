public import Foundation
public import GRDB
import GRDBSQLite

/// A statement that returns no row, run many times in a row with values bound straight through SQLite's C
/// interface: for the hot loops of a write (the journal's events, a bulk import's rows), where GRDB's
/// per-execution bookkeeping (an array of argument values, access checks, observation) costs more than
/// SQLite's own work.
///
/// GRDB prepares and owns the statement (a cached statement, finalized with its connection), so a
/// `BoundStatement` is only used inside the database access it was made in. Statements run this way are not
/// seen by GRDB's transaction observers; Concord registers none.
///
/// Bind every parameter, then ``run()``; parameters are numbered from 1, as in SQLite.
public struct BoundStatement {
    private let statement: Statement

    public init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
    }

    public func bind(_ value: Int64, at index: Int32) {
        sqlite3_bind_int64(statement.sqliteStatement, index, value)
    }

    public func bind(_ value: Double, at index: Int32) {
        sqlite3_bind_double(statement.sqliteStatement, index, value)
    }

    /// Binds text; `nil` binds NULL.
    public func bind(_ value: String?, at index: Int32) {
        guard var value else {
            sqlite3_bind_null(statement.sqliteStatement, index)
            return
        }
        value.withUTF8 { bytes in bindText(UnsafeRawBufferPointer(bytes), at: index) }
    }

    /// Binds UTF-8 bytes (such as encoded JSON) as text, without making a `String` of them.
    public func bind(utf8 value: Data, at index: Int32) {
        value.withUnsafeBytes { bytes in bindText(bytes, at: index) }
    }

    /// Binds the 16 bytes of a UUID as a blob, as GRDB stores a `UUID`.
    public func bind(_ value: UUID, at index: Int32) {
        withUnsafeBytes(of: value.uuid) { bytes in
            _ = sqlite3_bind_blob(statement.sqliteStatement, index, bytes.baseAddress, CInt(bytes.count), transient)
        }
    }

    /// Runs the statement with what is bound, then clears it for the next run, whether it failed or not.
    ///
    /// - Throws: GRDB's `DatabaseError` with SQLite's code and message, such as a constraint that failed.
    public func run() throws {
        let handle = statement.sqliteStatement
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        let code = sqlite3_step(handle)
        guard code != SQLITE_DONE else { return }
        let connection = sqlite3_db_handle(handle)
        throw DatabaseError(
            resultCode: ResultCode(rawValue: sqlite3_extended_errcode(connection)),
            message: String(cString: sqlite3_errmsg(connection)),
            sql: statement.sql
        )
    }

    /// An empty buffer binds the empty string, not NULL.
    private func bindText(_ bytes: UnsafeRawBufferPointer, at index: Int32) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            sqlite3_bind_text(statement.sqliteStatement, index, "", 0, transient)
            return
        }
        sqlite3_bind_text(
            statement.sqliteStatement, index, base.assumingMemoryBound(to: CChar.self), CInt(bytes.count), transient)
    }
}

/// SQLite copies what is bound (`SQLITE_TRANSIENT`), so the Swift buffers need not outlive the call.
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
