public import ConcordKit

/// Expands a recurrence (RFC 5545): a start, an optional RRULE, RDATEs and EXDATEs, in a time zone or floating,
/// within a window. Read-only; `scheduling.series.occurrences` uses the same engine.
public struct ExpandRecurrence: Query {
    public static let topic: Topic = "scheduling.recurrence.expand"
    public typealias Reply = RecurrenceExpansion

    /// A local date-time (`1997-09-02T09:00:00`), or a date (`1997-09-02`) for an all-day recurrence.
    public var dtstart: String
    /// The rule's parts (`FREQ=MONTHLY;BYDAY=-1FR;COUNT=10`); without one, the start and the RDATEs.
    public var rrule: String?
    /// An IANA zone (`America/New_York`); absent, the times are floating and occurrences have no `utc`.
    public var timeZone: String?
    /// Local date-times (or dates) added to the set.
    public var rdates: [String]?
    /// Local date-times (or dates) taken out of the set.
    public var exdates: [String]?
    /// Occurrences strictly after this: a local date-time (or date), or with a zone a UTC one ending in `Z`.
    public var after: String?
    /// Occurrences at or before this, written as `after` is.
    public var before: String?
    /// At most this many occurrences, 1 to 100 000 (default 1000); `truncated` says whether there are more.
    public var limit: Int?

    enum CodingKeys: String, CodingKey {
        case dtstart
        case rrule
        case timeZone = "time_zone"
        case rdates
        case exdates
        case after
        case before
        case limit
    }

    public init(
        dtstart: String, rrule: String? = nil, timeZone: String? = nil, rdates: [String]? = nil,
        exdates: [String]? = nil, after: String? = nil, before: String? = nil, limit: Int? = nil
    ) {
        self.dtstart = dtstart
        self.rrule = rrule
        self.timeZone = timeZone
        self.rdates = rdates
        self.exdates = exdates
        self.after = after
        self.before = before
        self.limit = limit
    }
}

public struct RecurrenceExpansion: Codable, Sendable, Equatable {
    public var occurrences: [RecurrenceOccurrence]
    /// Whether the window holds more occurrences than `limit`.
    public var truncated: Bool

    public init(occurrences: [RecurrenceOccurrence], truncated: Bool) {
        self.occurrences = occurrences
        self.truncated = truncated
    }
}

public struct RecurrenceOccurrence: Codable, Sendable, Equatable {
    /// The local date-time (or date) of the occurrence, as a wall clock in the zone shows it.
    public var local: CalendarTime
    /// Its instant (`1997-09-26T13:00:00Z`), with a zone and a time of day only.
    public var utc: CalendarTime?

    public init(local: CalendarTime, utc: CalendarTime? = nil) {
        self.local = local
        self.utc = utc
    }
}
