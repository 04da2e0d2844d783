import ConcordKit
import Foundation
import GRDB
import Synchronization

/// Makes a retried mutating command return its first reply and change nothing, for 24 hours.
///
/// The key and the reply are written by the journal in the transaction of the command's own writes (see
/// ``ReplyCapture``); concurrent retries of a command still running wait for its reply. A handler whose reply is
/// not what its write returned has the reply written in a second transaction, as a fallback.
final class IdempotencyLedger: Sendable {
    static let retention: TimeInterval = 24 * 60 * 60

    private let journal: Journal
    private let clock: any WallClock
    private let running = Mutex<[String: Task<Data, any Error>]>([:])

    init(journal: Journal, clock: any WallClock) {
        self.journal = journal
        self.clock = clock
    }

    /// Returns the stored reply for `key`, or runs `body` with a capture that records its reply as it commits.
    func perform<R: Codable & Sendable>(
        key: String,
        command: String,
        _ body: @escaping @Sendable (ReplyCapture) async throws -> R
    ) async throws -> R {
        let (task, owner) = running.withLock { running -> (Task<Data, any Error>, Bool) in
            if let task = running[key] { return (task, false) }
            let task = Task { try await self.firstOrStored(key: key, command: command, body) }
            running[key] = task
            return (task, true)
        }
        defer {
            if owner { _ = running.withLock { $0.removeValue(forKey: key) } }
        }
        let reply = try await task.value
        return try ConcordJSON.decoder().decode(R.self, from: reply)
    }

    private func firstOrStored<R: Codable & Sendable>(
        key: String,
        command: String,
        _ body: @escaping @Sendable (ReplyCapture) async throws -> R
    ) async throws -> Data {
        let since = clock.now().timeIntervalSince1970 - Self.retention
        let stored = try await journal.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT command, reply FROM bus_idempotency WHERE key = ? AND created_at > ?",
                arguments: [key, since]
            ).map { (command: $0["command"] as String, reply: $0["reply"] as String?) }
        }
        if let stored {
            guard stored.command == command else {
                throw ConcordError.conflict(
                    "idempotency_key \"\(key)\" was already used for \(stored.command); use a new key for \(command)"
                )
            }
            guard let text = stored.reply else {
                // Only a handler whose reply is not what its write returned can leave this (see the type's notes).
                throw ConcordError.conflict(
                    "idempotency_key \"\(key)\": the command was applied but the daemon stopped before its reply "
                        + "was kept; it is not applied again"
                )
            }
            return Data(text.utf8)
        }
        let capture = ReplyCapture(key: key, command: command, reply: R.self)
        let reply = try JSONStreamEncoder.encode(try await body(capture))
        if capture.committedReply != reply {
            try await journal.write(module: "bus") { transaction in
                try Self.record(key: key, command: command, reply: reply, in: transaction.db, at: transaction.now)
            }
        }
        return reply
    }

    /// Writes `key` with its command and, when given, its reply; a write without a reply keeps one written before.
    static func record(key: String, command: String, reply: Data?, in db: Database, at now: Date) throws {
        try db.execute(
            sql: """
                INSERT INTO bus_idempotency(key, command, reply, created_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET command = excluded.command,
                    reply = COALESCE(excluded.reply, bus_idempotency.reply), created_at = excluded.created_at
                """,
            arguments: [key, command, reply.map { String(decoding: $0, as: UTF8.self) }, now.timeIntervalSince1970]
        )
    }

    /// Forgets keys older than the retention.
    func purge() async throws {
        try await journal.write(module: "bus") { transaction in
            try transaction.db.execute(
                sql: "DELETE FROM bus_idempotency WHERE created_at <= ?",
                arguments: [transaction.now.timeIntervalSince1970 - Self.retention]
            )
        }
    }
}
