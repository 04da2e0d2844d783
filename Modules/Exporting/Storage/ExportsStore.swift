import ConcordKit
import Contracts
import Foundation
import GRDB

/// The module's tables: every run (with the folder it wrote, for retention and for `unchanged`) and the schedules,
/// each as a JSON document.
struct ExportsStore {
    let db: Database

    private static let decoder = ConcordJSON.decoder()

    static let migrations: [Migration] = [
        Migration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE exporting_runs (
                        ord INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        target TEXT NOT NULL,
                        schedule TEXT,
                        format TEXT NOT NULL,
                        status TEXT NOT NULL,
                        doc TEXT NOT NULL
                    );
                    CREATE INDEX exporting_runs_target ON exporting_runs (target, ord);
                    CREATE INDEX exporting_runs_schedule ON exporting_runs (schedule, ord);
                    CREATE TABLE exporting_schedules (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
                    """)
        }
    ]

    func insert(_ run: ExportRun, target: String) throws {
        try db.execute(
            sql: "INSERT INTO exporting_runs (id, target, schedule, format, status, doc) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                run.id, target, run.schedule, run.format.rawValue, run.status.rawValue, try JSONStreamEncoder.text(run),
            ])
    }

    /// The runs, newest first.
    func runs(schedule: String?, format: ExportFormat?, limit: Int) throws -> [ExportRun] {
        var request = Table("exporting_runs").select(GRDB.Column("doc"), as: String.self)
        if let schedule { request = request.filter(GRDB.Column("schedule") == schedule) }
        if let format { request = request.filter(GRDB.Column("format") == format.rawValue) }
        return try request.order(GRDB.Column("ord").desc).limit(limit).fetchAll(db)
            .map { try Self.decoder.decode(ExportRun.self, from: Data($0.utf8)) }
    }

    /// The last run of a target that wrote files.
    func lastWritten(target: String) throws -> ExportRun? {
        try String.fetchOne(
            db,
            sql: """
                SELECT doc FROM exporting_runs WHERE target = ? AND status = 'completed' ORDER BY ord DESC LIMIT 1
                """,
            arguments: [target]
        ).map { try Self.decoder.decode(ExportRun.self, from: Data($0.utf8)) }
    }

    /// The runs of a target that wrote files, beyond the newest `keep`: their folders go.
    func expired(target: String, keep: Int) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                SELECT id FROM exporting_runs WHERE target = ? AND status = 'completed'
                ORDER BY ord DESC LIMIT -1 OFFSET ?
                """,
            arguments: [target, keep])
    }

    func schedule(_ id: String) throws -> ExportSchedule? {
        try String.fetchOne(db, sql: "SELECT doc FROM exporting_schedules WHERE id = ?", arguments: [id])
            .map { try Self.decoder.decode(ExportSchedule.self, from: Data($0.utf8)) }
    }

    func schedules() throws -> [ExportSchedule] {
        try String.fetchAll(db, sql: "SELECT doc FROM exporting_schedules ORDER BY id")
            .map { try Self.decoder.decode(ExportSchedule.self, from: Data($0.utf8)) }
    }

    func save(_ schedule: ExportSchedule) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO exporting_schedules (id, doc) VALUES (?, ?)",
            arguments: [schedule.id, try JSONStreamEncoder.text(schedule)])
    }

    func removeSchedule(_ id: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM exporting_schedules WHERE id = ?", arguments: [id])
        return db.changesCount > 0
    }

    /// For `system.status`.
    func counts() throws -> (schedules: Int, runs: Int, failed: Int) {
        (
            try Int.fetchOne(db, sql: "SELECT count(*) FROM exporting_schedules") ?? 0,
            try Int.fetchOne(db, sql: "SELECT count(*) FROM exporting_runs") ?? 0,
            try Int.fetchOne(db, sql: "SELECT count(*) FROM exporting_runs WHERE status = 'failed'") ?? 0
        )
    }
}
