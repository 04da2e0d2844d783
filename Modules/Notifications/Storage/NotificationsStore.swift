import ConcordKit
import Contracts
import Foundation
import GRDB

/// A delivery as the pipeline keeps it: the log entry and the message it carries, rendered once when queued so
/// that every retry sends the same bytes.
struct DeliveryRow: Sendable {
    var delivery: Delivery
    var text: String
    var html: String
    /// The webhook body (JSON), or the digest entry's event for a digest.
    var body: String
    /// When it was queued, and when it is due, in seconds since 1970, as the table keeps them.
    var queuedAt: Double
    var dueAt: Double?
    /// What the dispatcher limits concurrent attempts by: the webhook's host, or `email`.
    var lane: String = ""
}

/// The module's tables: recipients and subscriptions as JSON documents, deliveries as rows the dispatcher scans
/// by state and due time, and the journal position the intake has read up to.
struct NotificationsStore {
    let db: Database

    private static let decoder = ConcordJSON.decoder()

    static let migrations: [Migration] = [
        Migration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE notifications_recipients (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
                    CREATE TABLE notifications_subscriptions (
                        id TEXT PRIMARY KEY, recipient TEXT NOT NULL, doc TEXT NOT NULL);
                    CREATE TABLE notifications_deliveries (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        key TEXT NOT NULL UNIQUE,
                        subscription TEXT NOT NULL,
                        recipient TEXT NOT NULL,
                        channel TEXT NOT NULL,
                        topic TEXT NOT NULL,
                        seqs TEXT NOT NULL,
                        state TEXT NOT NULL,
                        subject TEXT NOT NULL,
                        text TEXT NOT NULL,
                        html TEXT NOT NULL,
                        body TEXT NOT NULL,
                        queued_at REAL NOT NULL,
                        due_at REAL,
                        held TEXT,
                        time_zone TEXT NOT NULL,
                        lane TEXT NOT NULL,
                        attempts TEXT NOT NULL DEFAULT '[]'
                    );
                    CREATE INDEX notifications_deliveries_due ON notifications_deliveries (state, due_at);
                    CREATE INDEX notifications_deliveries_recipient ON notifications_deliveries (recipient, id);
                    CREATE INDEX notifications_deliveries_waiting ON notifications_deliveries (recipient, state);
                    CREATE INDEX notifications_deliveries_lane ON notifications_deliveries (state, lane, due_at);
                    CREATE TABLE notifications_cursor (key INTEGER PRIMARY KEY CHECK (key = 1), seq INTEGER NOT NULL);
                    """)
        }
    ]

    // MARK: Recipients and subscriptions

    func save(_ recipient: Recipient) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO notifications_recipients VALUES (?, ?)",
            arguments: [recipient.id, try JSONStreamEncoder.text(recipient)])
    }

    func save(_ subscription: NotificationSubscription) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO notifications_subscriptions VALUES (?, ?, ?)",
            arguments: [subscription.id, subscription.fields.recipient, try JSONStreamEncoder.text(subscription)])
    }

    func deleteSubscription(_ id: String) throws {
        try db.execute(sql: "DELETE FROM notifications_subscriptions WHERE id = ?", arguments: [id])
    }

    func recipients() throws -> [Recipient] {
        try String.fetchAll(db, sql: "SELECT doc FROM notifications_recipients ORDER BY id").map {
            try Self.decoder.decode(Recipient.self, from: Data($0.utf8))
        }
    }

    func subscriptions() throws -> [NotificationSubscription] {
        try String.fetchAll(db, sql: "SELECT doc FROM notifications_subscriptions ORDER BY id").map {
            try Self.decoder.decode(NotificationSubscription.self, from: Data($0.utf8))
        }
    }

    // MARK: The intake's position

    func cursor() throws -> UInt64 {
        UInt64(try Int64.fetchOne(db, sql: "SELECT seq FROM notifications_cursor WHERE key = 1") ?? 0)
    }

    func setCursor(_ seq: UInt64) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO notifications_cursor VALUES (1, ?)", arguments: [Int64(seq)])
    }

    // MARK: Deliveries

    /// Queues a delivery unless one with its key exists; returns its id when it was new.
    @discardableResult
    func insert(_ row: DeliveryRow) throws -> Int64? {
        let statement = try BoundStatement(
            db,
            sql: """
                INSERT OR IGNORE INTO notifications_deliveries
                (key, subscription, recipient, channel, topic, seqs, state, subject, text, html, body, queued_at,
                 due_at, held, time_zone, lane)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
                """)
        let delivery = row.delivery
        statement.bind(delivery.key, at: 1)
        statement.bind(delivery.subscription, at: 2)
        statement.bind(delivery.recipient, at: 3)
        statement.bind(delivery.channel.rawValue, at: 4)
        statement.bind(delivery.topic, at: 5)
        statement.bind(delivery.seqs.map(String.init).joined(separator: ","), at: 6)
        statement.bind(delivery.state.rawValue, at: 7)
        statement.bind(delivery.subject, at: 8)
        statement.bind(row.text, at: 9)
        statement.bind(row.html, at: 10)
        statement.bind(row.body, at: 11)
        statement.bind(row.queuedAt, at: 12)
        if let due = row.dueAt { statement.bind(due, at: 13) } else { statement.bind(nil as String?, at: 13) }
        statement.bind(delivery.held, at: 14)
        statement.bind(delivery.timeZone, at: 15)
        statement.bind(row.lane, at: 16)
        try statement.run()
        return db.changesCount > 0 ? db.lastInsertedRowID : nil
    }

    private static let columns =
        "id, key, subscription, recipient, channel, topic, seqs, state, subject, text, html, body, queued_at, due_at, held, time_zone, lane, attempts"

    private func rows(_ sql: String, _ arguments: StatementArguments = []) throws -> [DeliveryRow] {
        try Row.fetchAll(db, sql: "SELECT \(Self.columns) FROM notifications_deliveries " + sql, arguments: arguments)
            .map { row in
                let due: Double? = row["due_at"]
                let seqs: String = row["seqs"]
                let delivery = Delivery(
                    id: row["id"], key: row["key"], subscription: row["subscription"], recipient: row["recipient"],
                    channel: NotificationChannel(rawValue: row["channel"]) ?? .webhook, topic: row["topic"],
                    seqs: seqs.split(separator: ",").compactMap { UInt64($0) },
                    state: DeliveryState(rawValue: row["state"]) ?? .queued, subject: row["subject"],
                    queuedAt: Timestamps.text(row["queued_at"]), dueAt: due.map(Timestamps.text), held: row["held"],
                    timeZone: row["time_zone"],
                    attempts: try Self.decoder.decode(
                        [DeliveryAttempt].self, from: Data((row["attempts"] as String).utf8)))
                return DeliveryRow(
                    delivery: delivery, text: row["text"], html: row["html"], body: row["body"],
                    queuedAt: row["queued_at"], dueAt: due, lane: row["lane"])
            }
    }

    /// How many deliveries wait (queued, or gathered for a digest) for each of `recipients` that has any:
    /// counted one by one for a few, in one pass over what waits for many.
    func waiting(for recipients: Set<String>) throws -> [String: Int] {
        let sql = "SELECT recipient, COUNT(*) AS n FROM notifications_deliveries WHERE state IN ('queued', 'digest')"
        let rows =
            recipients.count > 64
            ? try Row.fetchAll(db, sql: sql + " GROUP BY recipient")
            : try recipients.sorted().flatMap { id in
                try Row.fetchAll(db, sql: sql + " AND recipient = ? GROUP BY recipient", arguments: [id])
            }
        var counts: [String: Int] = [:]
        for row in rows { counts[row["recipient"]] = row["n"] }
        return counts
    }

    func delivery(_ id: Int64) throws -> DeliveryRow? {
        try rows("WHERE id = ?", [id]).first
    }

    /// Queued deliveries due by `now`, the earliest first, leaving out those in flight and the lanes that are full.
    ///
    /// Read lane by lane through the `(state, lane, due_at)` index, so a full lane's backlog (a dead endpoint's
    /// thousands of retries) is never walked past by the scans that the other lanes' attempts cause.
    func due(by now: Double, excluding ids: Set<Int64>, lanes full: Set<String>, limit: Int) throws -> [DeliveryRow] {
        let lanes = try String.fetchAll(
            db, sql: "SELECT DISTINCT lane FROM notifications_deliveries WHERE state = 'queued' AND due_at <= ?",
            arguments: [now])
        var found: [DeliveryRow] = []
        for lane in lanes where !full.contains(lane) {
            var sql = "WHERE state = 'queued' AND lane = ? AND due_at <= ?"
            var arguments: StatementArguments = [lane, now]
            if !ids.isEmpty {
                sql += " AND id NOT IN (\(Array(repeating: "?", count: ids.count).joined(separator: ",")))"
                arguments += StatementArguments(Array(ids))
            }
            found += try rows(sql + " ORDER BY due_at, id LIMIT ?", arguments + [limit])
        }
        return Array(found.sorted { ($0.dueAt ?? 0, $0.delivery.id) < ($1.dueAt ?? 0, $1.delivery.id) }.prefix(limit))
    }

    /// The earliest time after `now` something is due (a delivery or a digest cut).
    func nextDue(after now: Double) throws -> Double? {
        try Double.fetchOne(
            db,
            sql: "SELECT MIN(due_at) FROM notifications_deliveries WHERE state IN ('queued', 'digest') AND due_at > ?",
            arguments: [now])
    }

    /// Digest entries whose cut has come, by subscription and cut, in order.
    func digestEntries(by now: Double) throws -> [DeliveryRow] {
        try rows("WHERE state = 'digest' AND due_at <= ? ORDER BY subscription, due_at, id", [now])
    }

    func log(recipient: String?, state: DeliveryState?, limit: Int) throws -> [Delivery] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let recipient {
            conditions.append("recipient = ?")
            arguments += [recipient]
        }
        if let state {
            conditions.append("state = ?")
            arguments += [state.rawValue]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try rows("\(filter) ORDER BY id DESC LIMIT ?", arguments + [limit]).map(\.delivery)
    }

    /// Moves a delivery to `state`, with its next due time, why it waits and one more attempt in its log.
    func update(
        _ id: Int64, state: DeliveryState, dueAt: Double?, held: String?, attempt: DeliveryAttempt?
    ) throws {
        guard let attempt else {
            try db.execute(
                sql: "UPDATE notifications_deliveries SET state = ?, due_at = ?, held = ? WHERE id = ?",
                arguments: [state.rawValue, dueAt, held, id])
            return
        }
        try db.execute(
            sql: """
                UPDATE notifications_deliveries SET state = ?, due_at = ?, held = ?,
                    attempts = json_insert(attempts, '$[#]', json(?)) WHERE id = ?
                """,
            arguments: [state.rawValue, dueAt, held, try JSONStreamEncoder.text(attempt), id])
    }

    func markDigested(_ ids: [Int64]) throws {
        for id in ids {
            try db.execute(
                sql: "UPDATE notifications_deliveries SET state = 'digested', due_at = NULL WHERE id = ?",
                arguments: [id])
        }
    }

    func counts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT state, COUNT(*) AS n FROM notifications_deliveries GROUP BY state")
        {
            counts[row["state"]] = row["n"]
        }
        return counts
    }

    /// Dead letters by id, or all of them.
    func deadLetters(_ ids: [Int64]?) throws -> [Int64] {
        let all = try Int64.fetchAll(db, sql: "SELECT id FROM notifications_deliveries WHERE state = 'dead_lettered'")
        guard let ids else { return all }
        let wanted = Set(ids)
        return all.filter(wanted.contains)
    }

    func delete(_ ids: [Int64]) throws {
        for id in ids { try db.execute(sql: "DELETE FROM notifications_deliveries WHERE id = ?", arguments: [id]) }
    }
}

/// Instants as the tables keep them (seconds since 1970) and as replies show them (RFC 3339 UTC).
enum Timestamps {
    static func text(_ seconds: Double) -> String { EnvelopeTime.format(Date(timeIntervalSince1970: seconds)) }

    static func seconds(_ text: String) -> Double {
        EnvelopeTime.parse(text)?.timeIntervalSince1970 ?? 0
    }
}
