public import ConcordKit

// MARK: Formats and scopes

/// What an export writes, each in the form its partners' tools read.
public enum ExportFormat: String, Codable, Sendable, CaseIterable {
    /// CSV files with a Frictionless `datapackage.json` (Table Schemas, primary and foreign keys).
    case datapackage
    /// Popolo JSON: organizations, memberships where an organization is the member, posts for focal points.
    case popolo
    /// An iCalendar feed (RFC 5545, RFC 7986) of a network's, a series' or a participant's meetings.
    case ical
    /// A GeoJSON FeatureCollection (RFC 7946) of the members with coordinates.
    case geojson
    /// A printable HTML progress-review report of a network at a review date.
    case report
}

/// What an export covers. Which keys a format takes: datapackage, popolo and geojson take `network` (absent: the
/// whole register); ical takes exactly one of `network`, `series` or `participant`; report takes `network` and
/// `review_date`, and `since`.
public struct ExportScope: Codable, Sendable, Equatable {
    /// A network's id or acronym.
    public var network: String?
    /// A series' id (ical).
    public var series: String?
    /// An actor's id: the meetings and series it takes part in (ical).
    public var participant: String?
    /// The day of the review (report), `YYYY-MM-DD`.
    public var reviewDate: String?
    /// The first day of the period the report covers (the meetings held from it to `review_date`); absent, six
    /// months before `review_date`. Indicator values are given at `review_date` and now.
    public var since: String?

    public init(
        network: String? = nil, series: String? = nil, participant: String? = nil, reviewDate: String? = nil,
        since: String? = nil
    ) {
        self.network = network
        self.series = series
        self.participant = participant
        self.reviewDate = reviewDate
        self.since = since
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case network, series, participant
        case reviewDate = "review_date"
        case since
    }

    public init(from decoder: any Decoder) throws {
        // A misspelt key would otherwise widen the export to the whole register without a word.
        let names = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = names.allKeys.first(where: { CodingKeys(rawValue: $0.stringValue) == nil }) {
            throw DecodingError.dataCorruptedError(
                forKey: unknown, in: names,
                debugDescription:
                    "unknown field; a scope takes \(CodingKeys.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        network = try container.decodeIfPresent(String.self, forKey: .network)
        series = try container.decodeIfPresent(String.self, forKey: .series)
        participant = try container.decodeIfPresent(String.self, forKey: .participant)
        reviewDate = try container.decodeIfPresent(String.self, forKey: .reviewDate)
        since = try container.decodeIfPresent(String.self, forKey: .since)
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

// MARK: Runs

/// One file of an export.
public struct ExportFile: Codable, Sendable, Equatable {
    public var name: String
    public var bytes: Int
    public var sha256: String

    public init(name: String, bytes: Int, sha256: String) {
        self.name = name
        self.bytes = bytes
        self.sha256 = sha256
    }
}

/// One run of an export, on demand or by a schedule.
public struct ExportRun: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        /// New files were written.
        case completed
        /// A scheduled run found nothing changed since the last one and kept its files.
        case unchanged
        /// Nothing was written; `error` says why, and the previous export is in place.
        case failed
    }

    public var id: String
    public var format: ExportFormat
    public var scope: ExportScope
    /// The schedule that ran it; absent for a run on demand.
    public var schedule: String?
    public var status: Status
    /// The folder holding the files, absolute; `latest` beside it always names the last complete one.
    public var path: String?
    public var files: [ExportFile]
    /// The files' total size.
    public var bytes: Int
    /// The SHA-256 of the run's `SHA256SUMS` (one `sha256  name` line per file), which names every file's digest.
    public var sha256: String?
    /// The journal's head the export reflects: every event up to it, none after.
    public var headSeq: UInt64?
    /// What the export counted (`actors`, `features`, `without_coordinates`, `occurrences`...).
    public var counts: [String: Int]
    public var startedAt: String
    public var finishedAt: String
    public var error: String?

    public init(
        id: String, format: ExportFormat, scope: ExportScope, schedule: String?, status: Status, path: String?,
        files: [ExportFile], bytes: Int, sha256: String?, headSeq: UInt64?, counts: [String: Int],
        startedAt: String, finishedAt: String, error: String?
    ) {
        self.id = id
        self.format = format
        self.scope = scope
        self.schedule = schedule
        self.status = status
        self.path = path
        self.files = files
        self.bytes = bytes
        self.sha256 = sha256
        self.headSeq = headSeq
        self.counts = counts
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case id, format, scope, schedule, status, path, files, bytes, sha256
        case headSeq = "head_seq"
        case counts
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case error
    }
}

/// Writes an export now, into the exports directory; replies with the run once its files are durable.
public struct RunExport: Command {
    public static let topic: Topic = "exports.run"
    public typealias Reply = ExportRun

    public var format: ExportFormat
    public var scope: ExportScope?
    /// A folder under the exports directory, relative (`mekong/calendar`); absent, one named after the format and
    /// scope.
    public var path: String?

    public init(format: ExportFormat, scope: ExportScope? = nil, path: String? = nil) {
        self.format = format
        self.scope = scope
        self.path = path
    }
}

/// Lists past runs, newest first, and the schedules.
public struct ListExports: Query {
    public static let topic: Topic = "exports.list"
    public typealias Reply = ExportList

    public var schedule: String?
    public var format: ExportFormat?
    /// 1 to 1000, default 100.
    public var limit: Int?

    public init(schedule: String? = nil, format: ExportFormat? = nil, limit: Int? = nil) {
        self.schedule = schedule
        self.format = format
        self.limit = limit
    }
}

public struct ExportList: Codable, Sendable, Equatable {
    public var runs: [ExportRun]
    public var schedules: [ExportSchedule]

    public init(runs: [ExportRun], schedules: [ExportSchedule]) {
        self.runs = runs
        self.schedules = schedules
    }
}

// MARK: Schedules

/// A recurring export: what, where, when (an RRULE in a zone, and or after every change) and how many runs to keep.
public struct ExportScheduleFields: Codable, Sendable, Equatable {
    public var format: ExportFormat
    public var scope: ExportScope?
    /// As for `exports.run`; absent, the schedule's id.
    public var path: String?
    /// RFC 5545 RRULE parts (`FREQ=DAILY;BYHOUR=2;BYMINUTE=0`), counted from `dtstart`; absent, the export runs only
    /// when it follows changes.
    public var rrule: String?
    /// Also run a few seconds after the registry or scheduling changes, so the export stays current (a burst of
    /// changes makes one run).
    public var follow: Bool?
    /// A local date-time in `time_zone` the rule counts from; absent, today at 00:00.
    public var dtstart: String?
    /// IANA zone of the rule; default UTC.
    public var timeZone: String?
    /// How many runs' folders to keep (1 to 1000); absent, `modules.exporting.keep` (default 7).
    public var keep: Int?

    public init(
        format: ExportFormat, scope: ExportScope? = nil, path: String? = nil, rrule: String? = nil,
        follow: Bool? = nil, dtstart: String? = nil, timeZone: String? = nil, keep: Int? = nil
    ) {
        self.format = format
        self.scope = scope
        self.path = path
        self.rrule = rrule
        self.follow = follow
        self.dtstart = dtstart
        self.timeZone = timeZone
        self.keep = keep
    }

    enum CodingKeys: String, CodingKey {
        case format, scope, path, rrule, follow, dtstart
        case timeZone = "time_zone"
        case keep
    }
}

public struct ExportSchedule: Codable, Sendable, Equatable {
    public var id: String
    public var fields: ExportScheduleFields
    /// The next run by the rule, UTC; absent when the rule has no more occurrences, or there is no rule.
    public var nextRun: String?

    public init(id: String, fields: ExportScheduleFields, nextRun: String?) {
        self.id = id
        self.fields = fields
        self.nextRun = nextRun
    }

    enum CodingKeys: String, CodingKey {
        case id, fields
        case nextRun = "next_run"
    }
}

/// Sets a recurring export (a new one, or replaces `id`'s); `bad_request` when it would never run: a rule that
/// never fires again, or neither a rule nor `follow`.
public struct ScheduleExport: Command {
    public static let topic: Topic = "exports.schedule"
    public typealias Reply = ExportSchedule

    /// Lowercase letters, digits, `-` and `_`; absent, a new id.
    public var id: String?
    public var schedule: ExportScheduleFields

    public init(id: String? = nil, schedule: ExportScheduleFields) {
        self.id = id
        self.schedule = schedule
    }
}

/// Stops a recurring export; its past runs and files stay.
public struct UnscheduleExport: Command {
    public static let topic: Topic = "exports.unschedule"
    public typealias Reply = Acknowledged

    public var id: String

    public init(id: String) { self.id = id }
}

// MARK: Events

public struct ExportCompleted: Event {
    public static let topic: Topic = "exports.run.completed"
    public var run: ExportRun
    public init(run: ExportRun) { self.run = run }
}

public struct ExportFailed: Event {
    public static let topic: Topic = "exports.run.failed"
    public var run: ExportRun
    public init(run: ExportRun) { self.run = run }
}

public struct ExportScheduled: Event {
    public static let topic: Topic = "exports.schedule.set"
    public var schedule: ExportSchedule
    public init(schedule: ExportSchedule) { self.schedule = schedule }
}

public struct ExportUnscheduled: Event {
    public static let topic: Topic = "exports.schedule.removed"
    public var id: String
    public init(id: String) { self.id = id }
}

/// A schedule's durable timer fired: the module runs the export (late ones once, at start-up).
public struct ExportDue: Event {
    public static let topic: Topic = "exports.schedule.due"
    public var schedule: String
    /// The occurrence it was set for, UTC; a timer of a since-changed schedule is ignored.
    public var due: String

    public init(schedule: String, due: String) {
        self.schedule = schedule
        self.due = due
    }
}
