import ConcordKit
import Contracts
import Foundation
import GRDB

/// The module's tables. Each entity is stored whole as JSON (`doc`), with the columns queries filter on.
enum SchedulingSchema {
    static let migrations: [Migration] = [
        Migration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE scheduling_meetings (
                        id TEXT PRIMARY KEY,
                        network TEXT,
                        start_utc INTEGER NOT NULL,
                        end_utc INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        doc TEXT NOT NULL
                    );
                    CREATE INDEX scheduling_meetings_by_start ON scheduling_meetings(start_utc);
                    CREATE TABLE scheduling_meeting_actors (
                        actor TEXT NOT NULL,
                        meeting TEXT NOT NULL,
                        PRIMARY KEY (actor, meeting)
                    ) WITHOUT ROWID;
                    CREATE TABLE scheduling_series (
                        id TEXT PRIMARY KEY,
                        network TEXT,
                        doc TEXT NOT NULL
                    );
                    CREATE TABLE scheduling_overrides (
                        series TEXT NOT NULL,
                        original_start TEXT NOT NULL,
                        doc TEXT NOT NULL,
                        PRIMARY KEY (series, original_start)
                    ) WITHOUT ROWID;
                    CREATE TABLE scheduling_decisions (
                        series TEXT NOT NULL,
                        original_start TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        doc TEXT NOT NULL,
                        PRIMARY KEY (series, original_start, kind, actor)
                    ) WITHOUT ROWID;
                    CREATE TABLE scheduling_reminders (
                        key TEXT PRIMARY KEY,
                        owner TEXT NOT NULL,
                        due REAL NOT NULL
                    );
                    CREATE INDEX scheduling_reminders_by_owner ON scheduling_reminders(owner, due);
                    CREATE TABLE scheduling_working_hours (
                        actor TEXT PRIMARY KEY,
                        doc TEXT NOT NULL
                    );
                    CREATE TABLE scheduling_blackouts (
                        id TEXT PRIMARY KEY,
                        country TEXT,
                        actor TEXT,
                        from_date TEXT NOT NULL,
                        to_date TEXT NOT NULL,
                        doc TEXT NOT NULL
                    );
                    """
            )
        }
    ]
}

/// Reads and writes the module's tables on one connection (a read snapshot or a write transaction).
struct SchedulingStore {
    let db: Database

    private static let decoder = ConcordJSON.decoder()

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try decoder.decode(type, from: Data(text.utf8))
    }

    // MARK: Meetings

    func meeting(_ id: String) throws -> Meeting? {
        try String.fetchOne(db, sql: "SELECT doc FROM scheduling_meetings WHERE id = ?", arguments: [id])
            .map { try Self.decode(Meeting.self, $0) }
    }

    func requireMeeting(_ id: String, field: String = "id") throws -> Meeting {
        guard let meeting = try meeting(id) else {
            throw ConcordError(.notFound, "\(field): no meeting \(id)", details: ["field": .string(field)])
        }
        return meeting
    }

    func save(_ meeting: Meeting, start: Int64, end: Int64) throws {
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO scheduling_meetings(id, network, start_utc, end_utc, status, doc)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                meeting.id, meeting.fields.network, start, end, (meeting.fields.status ?? .planned).rawValue,
                try JSONStreamEncoder.text(meeting),
            ])
        try db.execute(sql: "DELETE FROM scheduling_meeting_actors WHERE meeting = ?", arguments: [meeting.id])
        for actor in Set(MeetingRules.actors(of: meeting.fields)) {
            try db.execute(
                sql: "INSERT INTO scheduling_meeting_actors(actor, meeting) VALUES (?, ?)",
                arguments: [actor, meeting.id])
        }
    }

    /// Meetings that overlap `[start, end)`, by start; cancelled ones only if asked.
    func meetings(overlapping start: Int64?, _ end: Int64?, includingCancelled: Bool = false) throws -> [Meeting] {
        var sql = "SELECT doc FROM scheduling_meetings WHERE 1"
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let end {
            sql += " AND start_utc < ?"
            arguments.append(end)
        }
        if let start {
            sql += " AND end_utc > ?"
            arguments.append(start)
        }
        if !includingCancelled { sql += " AND status <> 'cancelled'" }
        sql += " ORDER BY start_utc, id"
        return try String.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            .map { try Self.decode(Meeting.self, $0) }
    }

    /// The meetings, not cancelled, that overlap `[start, end)`, as bookings without their venue: what the slot
    /// finder needs, read from the columns and the actors' table without decoding each meeting.
    func meetingBookings(overlapping start: Int64, _ end: Int64) throws -> [Booking] {
        var found: [Booking] = []
        for row in try Row.fetchAll(
            db,
            sql: """
                SELECT m.id, m.start_utc, m.end_utc, json_extract(m.doc, '$.fields.title') AS title, a.actor
                FROM scheduling_meetings m JOIN scheduling_meeting_actors a ON a.meeting = m.id
                WHERE m.start_utc < ? AND m.end_utc > ? AND m.status <> 'cancelled'
                ORDER BY m.start_utc, m.id
                """,
            arguments: [end, start])
        {
            let id: String = row["id"]
            if found.last?.subject == id {
                found[found.count - 1].actors.insert(row["actor"])
            } else {
                found.append(
                    Booking(
                        subject: id, title: row["title"] ?? id, startUTC: row["start_utc"], endUTC: row["end_utc"],
                        actors: [row["actor"]], venue: nil))
            }
        }
        return found
    }

    /// Meetings, not cancelled, that overlap `[start, end)`, with the instants of their columns.
    func meetingsWithTimes(overlapping start: Int64, _ end: Int64) throws -> [(Meeting, Int64, Int64)] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT doc, start_utc, end_utc FROM scheduling_meetings
                WHERE start_utc < ? AND end_utc > ? AND status <> 'cancelled' ORDER BY start_utc, id
                """,
            arguments: [end, start]
        ).map { row in (try Self.decode(Meeting.self, row["doc"]), row["start_utc"], row["end_utc"]) }
    }

    func meetings(of actor: String) throws -> Set<String> {
        Set(
            try String.fetchAll(
                db, sql: "SELECT meeting FROM scheduling_meeting_actors WHERE actor = ?", arguments: [actor]))
    }

    // MARK: Series

    func series(_ id: String) throws -> Series? {
        try String.fetchOne(db, sql: "SELECT doc FROM scheduling_series WHERE id = ?", arguments: [id])
            .map { try Self.decode(Series.self, $0) }
    }

    func requireSeries(_ id: String, field: String = "series") throws -> Series {
        guard let series = try series(id) else {
            throw ConcordError(.notFound, "\(field): no series \(id)", details: ["field": .string(field)])
        }
        return series
    }

    /// Every series, or those whose network is one of `names` (lowercased), by id.
    func allSeries(networkNamedAnyOf names: Set<String>? = nil) throws -> [Series] {
        let rows =
            if let names {
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT doc FROM scheduling_series WHERE lower(network) IN (\(names.map { _ in "?" }.joined(separator: ",")))
                        ORDER BY id
                        """,
                    arguments: StatementArguments(names.sorted()))
            } else {
                try String.fetchAll(db, sql: "SELECT doc FROM scheduling_series ORDER BY id")
            }
        return try rows.map { try Self.decode(Series.self, $0) }
    }

    func save(_ series: Series) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO scheduling_series(id, network, doc) VALUES (?, ?, ?)",
            arguments: [series.id, series.fields.network, try JSONStreamEncoder.text(series)])
    }

    /// The series' overrides, by original start.
    func overrides(of series: String) throws -> [String: OccurrenceOverride] {
        var found: [String: OccurrenceOverride] = [:]
        for text in try String.fetchAll(
            db, sql: "SELECT doc FROM scheduling_overrides WHERE series = ?", arguments: [series])
        {
            let override = try Self.decode(OccurrenceOverride.self, text)
            found[override.originalStart] = override
        }
        return found
    }

    func save(_ override: OccurrenceOverride, of series: String) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO scheduling_overrides(series, original_start, doc) VALUES (?, ?, ?)",
            arguments: [series, override.originalStart, try JSONStreamEncoder.text(override)])
    }

    func removeOverride(_ originalStart: String, of series: String) throws {
        try db.execute(
            sql: "DELETE FROM scheduling_overrides WHERE series = ? AND original_start = ?",
            arguments: [series, originalStart])
    }

    /// Moves the overrides and decisions at or after `originalStart` (by instant key) to `target`.
    func move(from series: String, to target: String, keys: Set<String>) throws {
        for table in ["scheduling_overrides", "scheduling_decisions"] {
            for key in keys {
                try db.execute(
                    sql: "UPDATE \(table) SET series = ? WHERE series = ? AND original_start = ?",
                    arguments: [target, series, key])
            }
        }
    }

    // MARK: Host decisions

    func decisions(of series: String) throws -> [HostDecision] {
        try String.fetchAll(
            db, sql: "SELECT doc FROM scheduling_decisions WHERE series = ? ORDER BY original_start, kind, actor",
            arguments: [series]
        ).map { try Self.decode(HostDecision.self, $0) }
    }

    /// Records `decision`; an override or a confirmed rotation replaces the occurrence's earlier one.
    func record(_ decision: HostDecision, of series: String) throws {
        if decision.kind == .override || decision.kind == .rotation {
            try db.execute(
                sql: """
                    DELETE FROM scheduling_decisions
                    WHERE series = ? AND original_start = ? AND kind IN ('override', 'rotation')
                    """,
                arguments: [series, decision.originalStart])
        }
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO scheduling_decisions(series, original_start, kind, actor, doc)
                VALUES (?, ?, ?, ?, ?)
                """,
            arguments: [
                series, decision.originalStart, decision.kind.rawValue, decision.actor,
                try JSONStreamEncoder.text(decision),
            ])
    }

    // MARK: Reminders

    /// The keys of `owner`'s reminders due after `now` (pending), with their dues.
    func pendingReminders(of owner: String, after now: Date) throws -> [String: Double] {
        var found: [String: Double] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT key, due FROM scheduling_reminders WHERE owner = ? AND due > ?",
            arguments: [owner, now.timeIntervalSince1970])
        {
            found[row["key"]] = row["due"]
        }
        return found
    }

    func setReminder(key: String, owner: String, due: Date) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO scheduling_reminders(key, owner, due) VALUES (?, ?, ?)",
            arguments: [key, owner, due.timeIntervalSince1970])
    }

    func removeReminder(key: String) throws {
        try db.execute(sql: "DELETE FROM scheduling_reminders WHERE key = ?", arguments: [key])
    }

    /// Forgets the reminders due at or before `now`: they have fired (or fire once, late, at start-up).
    func forgetFiredReminders(of owner: String, now: Date) throws {
        try db.execute(
            sql: "DELETE FROM scheduling_reminders WHERE owner = ? AND due <= ?",
            arguments: [owner, now.timeIntervalSince1970])
    }

    // MARK: Working hours and blackouts

    func workingHours() throws -> [String: WorkingHours] {
        var found: [String: WorkingHours] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT actor, doc FROM scheduling_working_hours") {
            found[row["actor"]] = try Self.decode(WorkingHours.self, row["doc"])
        }
        return found
    }

    func setWorkingHours(_ hours: WorkingHours?, of actor: String) throws {
        if let hours {
            try db.execute(
                sql: "INSERT OR REPLACE INTO scheduling_working_hours(actor, doc) VALUES (?, ?)",
                arguments: [actor, try JSONStreamEncoder.text(hours)])
        } else {
            try db.execute(sql: "DELETE FROM scheduling_working_hours WHERE actor = ?", arguments: [actor])
        }
    }

    func blackouts(country: String? = nil, actor: String? = nil) throws -> [Blackout] {
        var sql = "SELECT doc FROM scheduling_blackouts WHERE 1"
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let country {
            sql += " AND country = ?"
            arguments.append(country)
        }
        if let actor {
            sql += " AND actor = ?"
            arguments.append(actor)
        }
        sql += " ORDER BY from_date, id"
        return try String.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            .map { try Self.decode(Blackout.self, $0) }
    }

    func save(_ blackout: Blackout) throws {
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO scheduling_blackouts(id, country, actor, from_date, to_date, doc)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                blackout.id, blackout.country, blackout.actor, blackout.from, blackout.to,
                try JSONStreamEncoder.text(blackout),
            ])
    }

    func removeBlackout(_ id: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM scheduling_blackouts WHERE id = ?", arguments: [id])
        return db.changesCount > 0
    }
}
