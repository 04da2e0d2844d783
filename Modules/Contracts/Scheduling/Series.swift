public import ConcordKit

// MARK: Series

/// The fields of a series of meetings (a bi-annual dialogue, an annual plenary).
public struct SeriesFields: Codable, Sendable, Equatable {
    public var kind: MeetingKind
    /// The occurrences' title; `{number}` is replaced by the occurrence's number (`{number}th Plenary Meeting`).
    public var title: String
    public var network: String?
    /// The number of the first occurrence (`12` for a series whose first meeting is the 12th); absent: unnumbered.
    public var firstNumber: Int?
    /// The first occurrence's start: a local date-time in `time_zone`, or a date for all-day meetings.
    public var dtstart: String
    /// How long each occurrence lasts (ISO 8601: `PT3H`, `P2D`; an all-day series counts whole days, `P2D` is
    /// two days).
    public var duration: String
    /// IANA zone; absent, the venue actor's zone.
    public var timeZone: String?
    /// RFC 5545 RRULE parts (`FREQ=MONTHLY;INTERVAL=6;BYDAY=1TU`); absent, the start and the RDATEs only.
    public var rrule: String?
    public var rdates: [String]?
    public var exdates: [String]?
    /// A host for every occurrence, when there is no rotation.
    public var host: String?
    public var venue: Venue?
    public var participants: [Participant]?
    /// How the host is chosen for each occurrence.
    public var rotation: RotationPolicy?
    /// The action plans each occurrence reviews (the review cycle).
    public var reviewPlans: [String]?
    /// Reminder offsets, as for a meeting.
    public var reminders: [String]?

    public init(
        kind: MeetingKind, title: String, network: String? = nil, firstNumber: Int? = nil, dtstart: String,
        duration: String, timeZone: String? = nil, rrule: String? = nil, rdates: [String]? = nil,
        exdates: [String]? = nil, host: String? = nil, venue: Venue? = nil, participants: [Participant]? = nil,
        rotation: RotationPolicy? = nil, reviewPlans: [String]? = nil, reminders: [String]? = nil
    ) {
        self.kind = kind
        self.title = title
        self.network = network
        self.firstNumber = firstNumber
        self.dtstart = dtstart
        self.duration = duration
        self.timeZone = timeZone
        self.rrule = rrule
        self.rdates = rdates
        self.exdates = exdates
        self.host = host
        self.venue = venue
        self.participants = participants
        self.rotation = rotation
        self.reviewPlans = reviewPlans
        self.reminders = reminders
    }

    enum CodingKeys: String, CodingKey {
        case kind, title, network
        case firstNumber = "first_number"
        case dtstart, duration
        case timeZone = "time_zone"
        case rrule, rdates, exdates, host, venue, participants, rotation
        case reviewPlans = "review_plans"
        case reminders
    }
}

public struct Series: Codable, Sendable, Equatable {
    public var id: String
    public var fields: SeriesFields
    /// The series this one was split from ("this and following"), and the one split from this.
    public var splitFrom: String?
    public var continuedBy: String?
    public var version: Int

    public init(id: String, fields: SeriesFields, splitFrom: String? = nil, continuedBy: String? = nil, version: Int) {
        self.id = id
        self.fields = fields
        self.splitFrom = splitFrom
        self.continuedBy = continuedBy
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id, fields
        case splitFrom = "split_from"
        case continuedBy = "continued_by"
        case version
    }
}

/// What changed one occurrence of a series, keyed by its original start (RFC 5545's RECURRENCE-ID).
public struct OccurrenceOverride: Codable, Sendable, Equatable {
    /// The occurrence's start as the series gives it, a local date-time (or date) in the series' zone.
    public var originalStart: String
    public var status: MeetingStatus?
    /// A new start and end (local, in the series' zone), when moved.
    public var start: String?
    public var end: String?
    public var title: String?
    public var host: String?
    public var venue: Venue?
    public var agenda: [AgendaItem]?
    public var outcomes: [String]?
    public var reason: String?

    public init(
        originalStart: String, status: MeetingStatus? = nil, start: String? = nil, end: String? = nil,
        title: String? = nil, host: String? = nil, venue: Venue? = nil, agenda: [AgendaItem]? = nil,
        outcomes: [String]? = nil, reason: String? = nil
    ) {
        self.originalStart = originalStart
        self.status = status
        self.start = start
        self.end = end
        self.title = title
        self.host = host
        self.venue = venue
        self.agenda = agenda
        self.outcomes = outcomes
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case originalStart = "original_start"
        case status, start, end, title, host, venue, agenda, outcomes, reason
    }
}

/// A series and what a command changed with it.
public struct SeriesChange: Codable, Sendable, Equatable {
    public var series: Series
    /// After "this and following": the new series that carries the occurrences from the split on.
    public var continuation: Series?
    /// Overrides whose original start the series no longer produces: kept, shown here, applied again if an edit
    /// brings the occurrence back.
    public var unmatchedOverrides: [String]
    public var warnings: [SchedulingWarning]

    public init(
        series: Series, continuation: Series? = nil, unmatchedOverrides: [String] = [],
        warnings: [SchedulingWarning] = []
    ) {
        self.series = series
        self.continuation = continuation
        self.unmatchedOverrides = unmatchedOverrides
        self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey {
        case series, continuation
        case unmatchedOverrides = "unmatched_overrides"
        case warnings
    }
}

public struct CreateSeries: Command {
    public static let topic: Topic = "scheduling.series.create"
    public typealias Reply = SeriesChange

    public var series: SeriesFields

    public init(series: SeriesFields) { self.series = series }
}

/// Edits a series. Without `from`, the whole series (its overrides are kept). With `from` (an occurrence's
/// original start), "this and following": the series ends before that occurrence and a new series, with
/// `series`' fields and the overrides from there on, carries the rest; the past is not rewritten.
public struct UpdateSeries: Command {
    public static let topic: Topic = "scheduling.series.update"
    public typealias Reply = SeriesChange

    public var id: String
    public var version: Int
    public var series: SeriesFields
    public var from: String?

    public init(id: String, version: Int, series: SeriesFields, from: String? = nil) {
        self.id = id
        self.version = version
        self.series = series
        self.from = from
    }
}

/// Sets (replaces) the override of one occurrence: moved, cancelled, another host or venue, its agenda and
/// outcomes. `remove` takes it away.
public struct OverrideOccurrence: Command {
    public static let topic: Topic = "scheduling.series.override"
    public typealias Reply = SeriesChange

    public var series: String
    public var override: OccurrenceOverride
    public var remove: Bool?

    public init(series: String, override: OccurrenceOverride, remove: Bool? = nil) {
        self.series = series
        self.override = override
        self.remove = remove
    }
}

public struct GetSeries: Query {
    public static let topic: Topic = "scheduling.series.get"
    public typealias Reply = SeriesDetail

    public var id: String

    public init(id: String) { self.id = id }
}

public struct SeriesDetail: Codable, Sendable, Equatable {
    public var series: Series
    public var overrides: [OccurrenceOverride]
    public var decisions: [HostDecision]

    public init(series: Series, overrides: [OccurrenceOverride], decisions: [HostDecision]) {
        self.series = series
        self.overrides = overrides
        self.decisions = decisions
    }
}

public struct ListSeries: Query {
    public static let topic: Topic = "scheduling.series.list"
    public typealias Reply = SeriesList

    public var network: String?

    public init(network: String? = nil) { self.network = network }
}

public struct SeriesList: Codable, Sendable, Equatable {
    public var series: [Series]
    public init(series: [Series]) { self.series = series }
}

/// A series' occurrences in a window, with overrides applied (the same engine as
/// `scheduling.recurrence.expand`; `after` and `before` as there, on the original starts).
public struct ListOccurrences: Query {
    public static let topic: Topic = "scheduling.series.occurrences"
    public typealias Reply = OccurrenceList

    public var series: String
    public var after: String?
    public var before: String?
    /// 1 to 100 000, default 1000.
    public var limit: Int?

    public init(series: String, after: String? = nil, before: String? = nil, limit: Int? = nil) {
        self.series = series
        self.after = after
        self.before = before
        self.limit = limit
    }
}

public struct Occurrence: Codable, Sendable, Equatable {
    /// The start the series gives it (a local date-time, or a date): the key of its override.
    public var originalStart: CalendarTime
    /// Local start and end in the series' zone, after any move.
    public var start: CalendarTime
    public var end: CalendarTime
    /// The instants, for a series with a time of day.
    public var startUTC: CalendarTime?
    public var endUTC: CalendarTime?
    public var number: Int?
    public var title: String
    public var status: MeetingStatus
    public var host: String?
    public var venue: Venue?
    public var agenda: [AgendaItem]?
    public var outcomes: [String]?
    /// Whether an override changed it.
    public var overridden: Bool

    public init(
        originalStart: CalendarTime, start: CalendarTime, end: CalendarTime, startUTC: CalendarTime?,
        endUTC: CalendarTime?, number: Int?,
        title: String, status: MeetingStatus, host: String?, venue: Venue?, agenda: [AgendaItem]?,
        outcomes: [String]?, overridden: Bool
    ) {
        self.originalStart = originalStart
        self.start = start
        self.end = end
        self.startUTC = startUTC
        self.endUTC = endUTC
        self.number = number
        self.title = title
        self.status = status
        self.host = host
        self.venue = venue
        self.agenda = agenda
        self.outcomes = outcomes
        self.overridden = overridden
    }

    enum CodingKeys: String, CodingKey {
        case originalStart = "original_start"
        case start, end
        case startUTC = "start_utc"
        case endUTC = "end_utc"
        case number, title, status, host, venue, agenda, outcomes, overridden
    }
}

public struct OccurrenceList: Codable, Sendable, Equatable {
    public var series: String
    public var timeZone: String?
    public var occurrences: [Occurrence]
    public var truncated: Bool
    public var unmatchedOverrides: [String]

    public init(
        series: String, timeZone: String?, occurrences: [Occurrence], truncated: Bool, unmatchedOverrides: [String]
    ) {
        self.series = series
        self.timeZone = timeZone
        self.occurrences = occurrences
        self.truncated = truncated
        self.unmatchedOverrides = unmatchedOverrides
    }

    enum CodingKeys: String, CodingKey {
        case series
        case timeZone = "time_zone"
        case occurrences, truncated
        case unmatchedOverrides = "unmatched_overrides"
    }
}

public struct SeriesCreated: Event {
    public static let topic: Topic = "scheduling.series.created"
    public var series: Series
    public init(series: Series) { self.series = series }
}

/// A series changed: its fields, an override, or it was split (then `continuation` is the new series).
public struct SeriesUpdated: Event {
    public static let topic: Topic = "scheduling.series.updated"
    public var series: Series
    public var continuation: Series?
    public var override: OccurrenceOverride?
    public init(series: Series, continuation: Series? = nil, override: OccurrenceOverride? = nil) {
        self.series = series
        self.continuation = continuation
        self.override = override
    }
}

// MARK: Review cycle

/// What changed in the action plans an occurrence reviews, since the previous occurrence that was not cancelled
/// (through `registry.action_plan.changes`).
public struct GetReviewBrief: Query {
    public static let topic: Topic = "scheduling.review.brief"
    public typealias Reply = ReviewBrief

    public var series: String
    public var originalStart: String

    public init(series: String, originalStart: String) {
        self.series = series
        self.originalStart = originalStart
    }

    enum CodingKeys: String, CodingKey {
        case series
        case originalStart = "original_start"
    }
}

public struct ReviewBrief: Codable, Sendable, Equatable {
    public var series: String
    public var occurrence: Occurrence
    /// The previous occurrence's date; absent for the first, when changes count from the plans' adoption.
    public var previous: String?
    public var since: String
    public var plans: [PlanChanges]

    public init(series: String, occurrence: Occurrence, previous: String?, since: String, plans: [PlanChanges]) {
        self.series = series
        self.occurrence = occurrence
        self.previous = previous
        self.since = since
        self.plans = plans
    }
}
