import ConcordKit
import Foundation
import GRDB
import Synchronization

/// Makes a retried mutating command return its first reply and change nothing, for 24 hours.
///
/// The key and the reply are written by the journal in the transaction of the command's own writes (see
/// ``ReplyCapture``), appended to `bus_idempotency`; concurrent retries of a command still running wait for its
/// reply. A handler whose reply is not what its write returned has the reply written in a second transaction.
///
/// Which keys exist, and the row of each, is held in memory (read at start-up and hourly, with the purge), so a
/// new key (the usual case) needs no read and the table needs no key index, which would cost every commit a
/// page. Past `knownLimit` keys within the retention the ledger indexes the keys on disk and looks them up
/// there instead.
final class IdempotencyLedger: Sendable {
    static let retention: TimeInterval = 24 * 60 * 60
    /// The most keys held in memory by default (about 100 bytes each).
    static let defaultKnownLimit = 1_000_000

    private let journal: Journal
    private let clock: any WallClock
    /// The commands running under a key, with the reply JSON their retries wait for.
    private let running = Mutex<[String: Promise<Data>]>([:])

    private struct Known {
        /// The row of each key within the retention: its last one with a reply, else its last one.
        var rows: [String: Int64] = [:]
        /// Whether `rows` holds every key in the table; until then (and past the limit) keys are read from disk.
        var complete = false
    }

    private let known = Mutex(Known())
    private let knownLimit: Int

    init(journal: Journal, clock: any WallClock, knownLimit: Int = IdempotencyLedger.defaultKnownLimit) {
        self.journal = journal
        self.clock = clock
        self.knownLimit = knownLimit
    }

    /// Returns the stored reply for `key`, or runs `body` with a capture that keeps its reply as it commits.
    ///
    /// The first sender of a key runs the command and gets its reply as the handler made it; a retry sent
    /// meanwhile waits for it, and a later one reads it back, decoded from the JSON that was kept.
    func perform<R: Codable & Sendable>(
        key: String,
        command: String,
        _ body: @Sendable (ReplyCapture) async throws -> R
    ) async throws -> R {
        let (promise, owner) = running.withLock { running -> (Promise<Data>, Bool) in
            if let promise = running[key] { return (promise, false) }
            let promise = Promise<Data>()
            running[key] = promise
            return (promise, true)
        }
        guard owner else { return try ConcordJSON.decoder().decode(R.self, from: try await promise.value) }
        defer { _ = running.withLock { $0.removeValue(forKey: key) } }
        do {
            if let stored = try await stored(key: key, command: command) {
                promise.fulfill(.success(stored))
                return try ConcordJSON.decoder().decode(R.self, from: stored)
            }
            let capture = ReplyCapture(key: key, command: command, reply: R.self)
            let reply: R
            do {
                reply = try await body(capture)
            } catch {
                if let row = capture.row { remember(key, row: row) }
                throw error
            }
            if let kept = capture.keptJSON(for: reply), let row = capture.row {
                remember(key, row: row)
                promise.fulfill(.success(kept))
            } else {
                let json = try JSONStreamEncoder.encode(reply)
                let row = try await journal.write(module: "bus") { transaction in
                    try Self.record(key: key, command: command, reply: json, in: transaction.db, at: transaction.now)
                }
                remember(key, row: row)
                promise.fulfill(.success(json))
            }
            return reply
        } catch {
            promise.fulfill(.failure(error))
            throw error
        }
    }

    /// The reply kept for `key` within the retention; `conflict` when the key belongs to another command.
    private func stored(key: String, command: String) async throws -> Data? {
        let (complete, row) = known.withLock { ($0.complete, $0.rows[key]) }
        if complete && row == nil { return nil }
        let since = clock.now().timeIntervalSince1970 - Self.retention
        let stored = try await journal.read { db in
            let statement =
                try row == nil
                ? db.cachedStatement(
                    sql: """
                        SELECT command, reply FROM bus_idempotency WHERE key = ? AND created_at > ?
                        ORDER BY reply IS NOT NULL DESC, seq DESC LIMIT 1
                        """)
                : db.cachedStatement(sql: "SELECT command, reply FROM bus_idempotency WHERE seq = ? AND created_at > ?")
            let arguments: StatementArguments = row.map { [$0, since] } ?? [key, since]
            return try Row.fetchOne(statement, arguments: arguments)
                .map { (command: $0["command"] as String, reply: $0["reply"] as String?) }
        }
        guard let stored else { return nil }
        guard stored.command == command else {
            throw ConcordError.conflict(
                "idempotency_key \"\(key)\" was already used for \(stored.command); use a new key for \(command)"
            )
        }
        guard let text = stored.reply else {
            // Only a handler that failed after a write can leave a key without its reply.
            throw ConcordError.conflict(
                "idempotency_key \"\(key)\": the command was applied but failed before its reply was kept; it is not "
                    + "applied again"
            )
        }
        return Data(text.utf8)
    }

    /// Appends `key` with its command and, when given, its reply; returns the row. The last row of a key with a
    /// reply is the one a retry reads.
    @discardableResult
    static func record(key: String, command: String, reply: Data?, in db: Database, at now: Date) throws -> Int64 {
        // Prepared once per connection: the writer runs it with every idempotent command.
        try db.cachedStatement(
            sql: "INSERT INTO bus_idempotency(key, command, reply, created_at) VALUES (?, ?, ?, ?)"
        ).execute(arguments: [
            key, command, reply.map { String(decoding: $0, as: UTF8.self) }, now.timeIntervalSince1970,
        ])
        return db.lastInsertedRowID
    }

    private func remember(_ key: String, row: Int64) {
        let overflowed = known.withLock { known -> Bool in
            guard known.complete else { return false }
            known.rows[key] = row
            guard known.rows.count > knownLimit else { return false }
            known = Known()
            return true
        }
        // Past the limit keys are read from disk: index them now rather than at the next hourly purge.
        if overflowed { Task { try? await self.purge() } }
    }

    /// Forgets keys older than the retention and reads the keys kept into memory again (at start-up, before
    /// commands are taken, then hourly). Past `knownLimit` keys, they are indexed on disk instead.
    ///
    /// The keys are read inside the writer's transaction, so no commit falls between the read and the
    /// replacement of what is known; a key remembered late is in what was read already.
    func purge() async throws {
        let knownLimit = self.knownLimit
        let rows = try await journal.write(module: "bus") { transaction -> [String: Int64]? in
            let since = transaction.now.timeIntervalSince1970 - Self.retention
            let db = transaction.db
            try db.execute(sql: "DELETE FROM bus_idempotency WHERE created_at <= ?", arguments: [since])
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bus_idempotency") ?? 0
            if count > knownLimit {
                try db.execute(sql: "CREATE INDEX IF NOT EXISTS bus_idempotency_by_key ON bus_idempotency(key)")
                return nil
            }
            try db.execute(sql: "DROP INDEX IF EXISTS bus_idempotency_by_key")
            var rows: [String: Int64] = [:]
            // In row order, a row with a reply replacing what came before it, and one without only a missing key.
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT seq, key, reply IS NOT NULL AS replied FROM bus_idempotency")
            while let row = try cursor.next() {
                let key: String = row["key"]
                if row["replied"] as Bool || rows[key] == nil { rows[key] = row["seq"] }
            }
            return rows
        }
        known.withLock { known in known = rows.map { Known(rows: $0, complete: true) } ?? Known() }
    }
}
