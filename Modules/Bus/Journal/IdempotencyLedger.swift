import ConcordKit
import Foundation
import GRDB
import Synchronization

/// Makes a retried mutating command return its first reply and change nothing, for 24 hours.
///
/// The key is written in the same transaction as the command's own writes (see ``Journal``), and its
/// reply right after; concurrent retries of a command still running wait for its reply.
final class IdempotencyLedger: Sendable {
    static let retention: TimeInterval = 24 * 60 * 60

    private let journal: Journal
    private let clock: any WallClock
    private let running = Mutex<[String: Task<JSONValue, any Error>]>([:])

    init(journal: Journal, clock: any WallClock) {
        self.journal = journal
        self.clock = clock
    }

    func perform<R: Codable & Sendable>(
        key: String,
        command: String,
        _ body: @escaping @Sendable () async throws -> R
    ) async throws -> R {
        let (task, owner) = running.withLock { running -> (Task<JSONValue, any Error>, Bool) in
            if let task = running[key] { return (task, false) }
            let task = Task { try await self.firstOrStored(key: key, command: command, body) }
            running[key] = task
            return (task, true)
        }
        defer {
            if owner { _ = running.withLock { $0.removeValue(forKey: key) } }
        }
        let reply = try await task.value
        return try ConcordJSON.decoder().decode(R.self, from: try ConcordJSON.encoder().encode(reply))
    }

    private func firstOrStored<R: Codable & Sendable>(
        key: String,
        command: String,
        _ body: @escaping @Sendable () async throws -> R
    ) async throws -> JSONValue {
        let since = clock.now().timeIntervalSince1970 - Self.retention
        let stored = try await journal.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT command, reply FROM bus_idempotency WHERE key = ? AND created_at > ?",
                arguments: [key, since]
            ).map { (command: $0["command"] as String, reply: $0["reply"] as String?) }
        }
        if let stored {
            let storedCommand = stored.command
            guard storedCommand == command else {
                throw ConcordError.conflict(
                    "idempotency_key \"\(key)\" was already used for \(storedCommand); use a new key for \(command)"
                )
            }
            guard let text = stored.reply, let reply = JSONValue.parse(Data(text.utf8)) else {
                throw ConcordError.conflict(
                    "idempotency_key \"\(key)\": the command was applied but the daemon stopped before its reply "
                        + "was kept; it is not applied again"
                )
            }
            return reply
        }
        let reply = try JSONValue(encoding: try await body())
        let text = String(decoding: try ConcordJSON.encoder().encode(reply), as: UTF8.self)
        try await journal.write(module: "bus") { transaction in
            try transaction.db.execute(
                sql: """
                    INSERT INTO bus_idempotency(key, command, reply, created_at) VALUES (?, ?, ?, ?)
                    ON CONFLICT(key) DO UPDATE SET command = excluded.command, reply = excluded.reply,
                        created_at = excluded.created_at
                    """,
                arguments: [key, command, text, transaction.now.timeIntervalSince1970]
            )
        }
        return reply
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
