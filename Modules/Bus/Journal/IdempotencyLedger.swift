import ConcordKit
import Foundation
import GRDB
import Synchronization

/// Makes a retried mutating command return its first reply and change nothing, for 24 hours.
///
/// The key and the reply are written by the journal in the transaction of the command's own writes (see
/// ``ReplyCapture``): on the row of the write's last event, or appended to `bus_idempotency` for a write that
/// emits none. Concurrent retries of a command still running wait for its reply. A handler whose reply is not
/// what its write returned has the reply written in a second transaction.
///
/// Which keys exist, and the row of each, is held in memory (read at start-up and hourly, with the purge), so a
/// new key (the usual case) needs no read and no key index, which would cost every commit a page. Past
/// `knownLimit` keys within the retention the ledger indexes the keys on disk and looks them up there instead.
final class IdempotencyLedger: Sendable {
    static let retention: TimeInterval = 24 * 60 * 60
    /// The most keys held in memory by default (about 100 bytes each).
    static let defaultKnownLimit = 1_000_000

    private let journal: Journal
    private let clock: any WallClock

    /// What is known of a key.
    private enum Entry {
        /// A command is running under it; the promise, made by the first retry that waits, gets its reply.
        case running(Promise<Data>?, kept: KeyRow?)
        /// Its row within the retention: its last one with a reply, else its last one.
        case kept(KeyRow)
    }

    private struct State {
        /// The keys running, and (while `complete`) every key kept.
        var entries: [String: Entry] = [:]
        /// Whether `entries` holds every key kept; until then (and past the limit) keys are read from disk.
        var complete = false
        /// The first event that may still keep a key within the retention (`bus_meta.keys_seq`).
        var keysSeq: Int64 = 0
    }

    /// One lock, one dictionary: a command looks its key up once as it starts and once as it ends.
    private let state = Mutex(State())
    private let knownLimit: Int

    init(journal: Journal, clock: any WallClock, knownLimit: Int = IdempotencyLedger.defaultKnownLimit) {
        self.journal = journal
        self.clock = clock
        self.knownLimit = knownLimit
    }

    /// How a command under a key starts.
    private enum Start {
        /// Another sender runs it: wait for its reply.
        case waiting(Promise<Data>)
        /// A key that is new, as the complete set of known keys says: nothing to read.
        case new
        /// A key to read from disk: at `row`, or looked up by key (from event `keysSeq` on) when `row` is `nil`.
        case read(row: KeyRow?, keysSeq: Int64)
    }

    /// Returns the stored reply for `key`, or runs `body` with a capture that keeps its reply as it commits.
    ///
    /// The first sender of a key runs the command and gets its reply as the handler made it; a retry sent
    /// meanwhile waits for it, and a later one reads it back, decoded from the JSON that was kept.
    func perform<R: Codable & Sendable>(
        key: String,
        command: String,
        codec: ReplyCodec,
        _ body: @Sendable (ReplyCapture) async throws -> R
    ) async throws -> R {
        let start = state.withLock { state -> Start in
            let kept: KeyRow?
            switch state.entries[key] {
            case .running(let promise, let row):
                if let promise { return .waiting(promise) }
                let promise = Promise<Data>()
                state.entries[key] = .running(promise, kept: row)
                return .waiting(promise)
            case .kept(let row): kept = row
            case nil: kept = nil
            }
            state.entries[key] = .running(nil, kept: kept)
            return state.complete && kept == nil ? .new : .read(row: kept, keysSeq: state.keysSeq)
        }
        switch start {
        case .waiting(let running):
            return try ConcordJSON.decoder().decode(R.self, from: try await running.value)
        case .new:
            break
        case .read(let row, let keysSeq):
            do {
                if let stored = try await stored(key: key, row: row, keysSeq: keysSeq, command: command) {
                    finish(key, row: nil, result: .success(stored))
                    return try ConcordJSON.decoder().decode(R.self, from: stored)
                }
            } catch {
                finish(key, row: nil, result: .failure(error))
                throw error
            }
        }
        let capture = ReplyCapture(key: key, command: command, codec: codec)
        do {
            let reply = try await body(capture)
            if let kept = capture.keptJSON(for: reply), let row = capture.row {
                finish(key, row: row, result: .success(kept))
            } else {
                let json = try JSONStreamEncoder.encode(reply)
                let row = try await journal.write(module: "bus") { transaction in
                    try Self.record(key: key, command: command, reply: json, in: transaction.db, at: transaction.now)
                }
                finish(key, row: row, result: .success(json))
            }
            return reply
        } catch {
            finish(key, row: capture.row, result: .failure(error))
            throw error
        }
    }

    /// The reply kept for `key` within the retention; `conflict` when the key belongs to another command.
    private func stored(key: String, row: KeyRow?, keysSeq: Int64, command: String) async throws -> Data? {
        let since = clock.now().timeIntervalSince1970 - Self.retention
        let stored = try await journal.read { db in
            let statement: Statement
            let arguments: StatementArguments
            switch row {
            case .key(let seq):
                statement = try db.cachedStatement(
                    sql: "SELECT command, reply FROM bus_idempotency WHERE seq = ? AND created_at > ?")
                arguments = [seq, since]
            case .event(let seq):
                statement = try db.cachedStatement(
                    sql: """
                        SELECT idempotency_command AS command, idempotency_reply AS reply FROM bus_journal
                        WHERE seq = ? AND time > ? AND idempotency_key IS NOT NULL
                        """)
                arguments = [seq, since]
            case nil:
                statement = try db.cachedStatement(
                    sql: """
                        SELECT command, reply, reply IS NOT NULL AS replied, created_at AS time FROM bus_idempotency
                        WHERE key = ? AND created_at > ?
                        UNION ALL
                        SELECT idempotency_command, idempotency_reply, idempotency_reply IS NOT NULL, time
                        FROM bus_journal WHERE idempotency_key = ? AND seq >= ? AND time > ?
                        ORDER BY replied DESC, time DESC LIMIT 1
                        """)
                arguments = [key, since, key, keysSeq, since]
            }
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
    static func record(key: String, command: String, reply: Data?, in db: Database, at now: Date) throws -> KeyRow {
        // Prepared once per connection: the writer runs it with every idempotent command.
        try db.cachedStatement(
            sql: "INSERT INTO bus_idempotency(key, command, reply, created_at) VALUES (?, ?, ?, ?)"
        ).execute(arguments: [
            key, command, reply.map { String(decoding: $0, as: UTF8.self) }, now.timeIntervalSince1970,
        ])
        return .key(db.lastInsertedRowID)
    }

    /// Ends the command running under `key`, remembering the row it committed, if any, and hands `result` to the
    /// retries that wait for it.
    private func finish(_ key: String, row: KeyRow?, result: Result<Data, any Error>) {
        let knownLimit = self.knownLimit
        let (waiting, overflowed) = state.withLock { state -> (Promise<Data>?, Bool) in
            guard case .running(let promise, let kept) = state.entries[key] else { return (nil, false) }
            guard state.complete, let row = row ?? kept else {
                state.entries[key] = nil
                return (promise, false)
            }
            state.entries[key] = .kept(row)
            guard state.entries.count > knownLimit else { return (promise, false) }
            state.entries = state.entries.filter { if case .running = $0.value { true } else { false } }
            state.complete = false
            return (promise, true)
        }
        waiting?.fulfill(result)
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
        let loaded = try await journal.write(module: "bus") {
            transaction -> (rows: [String: KeyRow]?, keysSeq: Int64) in
            let since = transaction.now.timeIntervalSince1970 - Self.retention
            let db = transaction.db
            try db.execute(sql: "DELETE FROM bus_idempotency WHERE created_at <= ?", arguments: [since])
            // Events keep their keys for the retention only; the first event still keeping one is where the
            // next purge, and every read of keys, starts.
            let from =
                try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM bus_meta WHERE key = 'keys_seq'") ?? 0
            try db.execute(
                sql: """
                    UPDATE bus_journal SET idempotency_key = NULL, idempotency_command = NULL, idempotency_reply = NULL
                    WHERE seq >= ? AND idempotency_key IS NOT NULL AND time <= ?
                    """,
                arguments: [from, since])
            let keysSeq =
                try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT COALESCE(
                            (SELECT MIN(seq) FROM bus_journal WHERE seq >= ? AND idempotency_key IS NOT NULL),
                            (SELECT COALESCE(MAX(seq), 0) + 1 FROM bus_journal))
                        """,
                    arguments: [from]) ?? from
            try db.execute(sql: "UPDATE bus_meta SET value = ? WHERE key = 'keys_seq'", arguments: ["\(keysSeq)"])
            let count =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT (SELECT COUNT(*) FROM bus_idempotency)
                            + (SELECT COUNT(*) FROM bus_journal WHERE seq >= ? AND idempotency_key IS NOT NULL)
                        """,
                    arguments: [keysSeq]) ?? 0
            if count > knownLimit {
                try db.execute(
                    sql: """
                        CREATE INDEX IF NOT EXISTS bus_idempotency_by_key ON bus_idempotency(key);
                        CREATE INDEX IF NOT EXISTS bus_journal_by_idempotency_key ON bus_journal(idempotency_key)
                            WHERE idempotency_key IS NOT NULL;
                        """)
                return (nil, keysSeq)
            }
            try db.execute(
                sql: "DROP INDEX IF EXISTS bus_idempotency_by_key; DROP INDEX IF EXISTS bus_journal_by_idempotency_key")
            // Of a key's rows, the newest with a reply is the one a retry reads; else its newest.
            var rows: [String: (row: KeyRow, replied: Bool, time: Double)] = [:]
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT 0 AS event, seq, key, reply IS NOT NULL AS replied, created_at AS time FROM bus_idempotency
                    UNION ALL
                    SELECT 1, seq, idempotency_key, idempotency_reply IS NOT NULL, time FROM bus_journal
                    WHERE seq >= ? AND idempotency_key IS NOT NULL
                    """,
                arguments: [keysSeq])
            while let row = try cursor.next() {
                let key: String = row["key"]
                let seq: Int64 = row["seq"]
                let found = (
                    row: row["event"] as Bool ? KeyRow.event(seq) : .key(seq), replied: row["replied"] as Bool,
                    time: row["time"] as Double
                )
                if let kept = rows[key], kept.replied != found.replied ? kept.replied : kept.time > found.time {
                    continue
                }
                rows[key] = found
            }
            return (rows.mapValues(\.row), keysSeq)
        }
        state.withLock { state in
            // The commands running keep their entries; what they commit is remembered as they finish.
            var entries = state.entries.filter { if case .running = $0.value { true } else { false } }
            for (key, row) in loaded.rows ?? [:] where entries[key] == nil { entries[key] = .kept(row) }
            state.entries = entries
            state.complete = loaded.rows != nil
            state.keysSeq = loaded.keysSeq
        }
    }
}

/// Where an idempotency key was kept: on the row of an event (its `seq`), or in `bus_idempotency` (its row).
enum KeyRow: Hashable, Sendable {
    case event(Int64)
    case key(Int64)
}
