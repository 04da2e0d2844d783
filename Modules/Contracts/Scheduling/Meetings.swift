public import ConcordKit

// MARK: Meetings

public enum MeetingKind: String, Codable, Sendable, CaseIterable {
    case plenary
    case dialogue
    case expertMeeting = "expert_meeting"
    case workingGroupSession = "working_group_session"
    case training
    case tradeFair = "trade_fair"
    case review
    case other
}

public enum MeetingStatus: String, Codable, Sendable, CaseIterable {
    case planned
    case confirmed
    case postponed
    case cancelled
    case held
}

public enum ParticipantRole: String, Codable, Sendable, CaseIterable {
    case host
    case participant
    case observer
    case chair
}

/// An actor taking part, optionally through one of its focal points.
public struct Participant: Codable, Sendable, Equatable {
    public var actor: String
    public var role: ParticipantRole
    /// The name of one of the actor's focal points, when a person is meant.
    public var focalPoint: String?

    public init(actor: String, role: ParticipantRole = .participant, focalPoint: String? = nil) {
        self.actor = actor
        self.role = role
        self.focalPoint = focalPoint
    }

    enum CodingKeys: String, CodingKey {
        case actor, role
        case focalPoint = "focal_point"
    }
}

/// An item of the agenda; it may point at an action plan to review.
public struct AgendaItem: Codable, Sendable, Equatable {
    public var title: String
    public var actionPlan: String?

    public init(title: String, actionPlan: String? = nil) {
        self.title = title
        self.actionPlan = actionPlan
    }

    enum CodingKeys: String, CodingKey {
        case title
        case actionPlan = "action_plan"
    }
}

/// Where a meeting takes place: a city (an actor of the register) or free text, or both.
public struct Venue: Codable, Sendable, Equatable {
    public var actor: String?
    public var text: String?

    public init(actor: String? = nil, text: String? = nil) {
        self.actor = actor
        self.text = text
    }
}

/// The fields of a meeting that a client sets.
public struct MeetingFields: Codable, Sendable, Equatable {
    public var kind: MeetingKind
    public var title: String
    /// Its number in its series ("12th Plenary Meeting": 12).
    public var number: Int?
    /// The network's id or acronym.
    public var network: String?
    /// The hosting actor.
    public var host: String?
    public var venue: Venue?
    /// A local date-time (`2014-09-10T09:00:00`) in `time_zone`, or a date (`2014-09-10`) for an all-day meeting.
    public var start: String
    /// As `start`, of the same type; for an all-day meeting the last day (inclusive).
    public var end: String
    /// IANA zone; absent, the venue actor's zone from the registry (required for a timed meeting without one).
    public var timeZone: String?
    public var participants: [Participant]?
    public var agenda: [AgendaItem]?
    /// Default planned.
    public var status: MeetingStatus?
    /// Registry declarations (kind outcome) the meeting adopted.
    public var outcomes: [String]?
    /// Reminder offsets before the start as ISO 8601 durations (`P30D`, `P1W`, `PT2H`); days and weeks count in
    /// the meeting's zone. Absent: the module's default (`P30D`, `P7D`, `P1D`); empty: none.
    public var reminders: [String]?

    public init(
        kind: MeetingKind, title: String, number: Int? = nil, network: String? = nil, host: String? = nil,
        venue: Venue? = nil, start: String, end: String, timeZone: String? = nil, participants: [Participant]? = nil,
        agenda: [AgendaItem]? = nil, status: MeetingStatus? = nil, outcomes: [String]? = nil,
        reminders: [String]? = nil
    ) {
        self.kind = kind
        self.title = title
        self.number = number
        self.network = network
        self.host = host
        self.venue = venue
        self.start = start
        self.end = end
        self.timeZone = timeZone
        self.participants = participants
        self.agenda = agenda
        self.status = status
        self.outcomes = outcomes
        self.reminders = reminders
    }

    enum CodingKeys: String, CodingKey {
        case kind, title, number, network, host, venue, start, end
        case timeZone = "time_zone"
        case participants, agenda, status, outcomes, reminders
    }
}

/// A meeting as the module holds it.
public struct Meeting: Codable, Sendable, Equatable {
    public var id: String
    public var fields: MeetingFields
    /// The instants of the start and end (`2014-09-10T02:00:00Z`); for an all-day meeting, of its first and the
    /// day after its last day at midnight in the zone.
    public var startUTC: String
    public var endUTC: String
    public var version: Int

    public init(id: String, fields: MeetingFields, startUTC: String, endUTC: String, version: Int) {
        self.id = id
        self.fields = fields
        self.startUTC = startUTC
        self.endUTC = endUTC
        self.version = version
    }

    enum CodingKeys: String, CodingKey {
        case id, fields
        case startUTC = "start_utc"
        case endUTC = "end_utc"
        case version
    }
}

/// Something the module accepted but reports: a double booking, a host that is not an active member.
public struct SchedulingWarning: Codable, Sendable, Equatable {
    public enum Code: String, Codable, Sendable, CaseIterable {
        case participantDoubleBooked = "participant_double_booked"
        case venueDoubleBooked = "venue_double_booked"
        case hostNotActiveMember = "host_not_active_member"
    }

    public var code: Code
    public var message: String
    /// The actor concerned (participant, host or venue).
    public var actor: String?
    /// The other meeting, or the series occurrence (`series/original start`), it collides with.
    public var with: String?

    public init(code: Code, message: String, actor: String? = nil, with: String? = nil) {
        self.code = code
        self.message = message
        self.actor = actor
        self.with = with
    }
}

/// A meeting a command wrote, and what it warns of.
public struct MeetingChange: Codable, Sendable, Equatable {
    public var meeting: Meeting
    public var warnings: [SchedulingWarning]

    public init(meeting: Meeting, warnings: [SchedulingWarning]) {
        self.meeting = meeting
        self.warnings = warnings
    }
}

/// Schedules a one-off meeting; double bookings and a host that is not an active member come back as warnings.
public struct ScheduleMeeting: Command {
    public static let topic: Topic = "scheduling.meeting.schedule"
    public typealias Reply = MeetingChange

    public var meeting: MeetingFields

    public init(meeting: MeetingFields) { self.meeting = meeting }
}

/// Replaces a meeting's fields; `conflict` when `version` is not the current one. Reminders follow the new time
/// and status.
public struct UpdateMeeting: Command {
    public static let topic: Topic = "scheduling.meeting.update"
    public typealias Reply = MeetingChange

    public var id: String
    public var version: Int
    public var meeting: MeetingFields

    public init(id: String, version: Int, meeting: MeetingFields) {
        self.id = id
        self.version = version
        self.meeting = meeting
    }
}

/// Moves a meeting to a new start (and end; default: the same length) with status postponed; its pending
/// reminders move with it.
public struct PostponeMeeting: Command {
    public static let topic: Topic = "scheduling.meeting.postpone"
    public typealias Reply = MeetingChange

    public var id: String
    public var version: Int
    public var start: String
    public var end: String?
    public var reason: String?

    public init(id: String, version: Int, start: String, end: String? = nil, reason: String? = nil) {
        self.id = id
        self.version = version
        self.start = start
        self.end = end
        self.reason = reason
    }
}

/// Cancels a meeting; its pending reminders are cancelled.
public struct CancelMeeting: Command {
    public static let topic: Topic = "scheduling.meeting.cancel"
    public typealias Reply = MeetingChange

    public var id: String
    public var version: Int
    public var reason: String?

    public init(id: String, version: Int, reason: String? = nil) {
        self.id = id
        self.version = version
        self.reason = reason
    }
}

public struct GetMeeting: Query {
    public static let topic: Topic = "scheduling.meeting.get"
    public typealias Reply = Meeting

    public var id: String

    public init(id: String) { self.id = id }
}

/// Meetings by start, with filters that all must hold.
public struct ListMeetings: Query {
    public static let topic: Topic = "scheduling.meeting.list"
    public typealias Reply = MeetingList

    public var network: String?
    /// Meetings this actor hosts or takes part in.
    public var actor: String?
    public var status: MeetingStatus?
    /// Meetings ending after this instant (`2014-01-01T00:00:00Z`) or date.
    public var from: String?
    /// Meetings starting before this instant or date.
    public var to: String?

    public init(
        network: String? = nil, actor: String? = nil, status: MeetingStatus? = nil, from: String? = nil,
        to: String? = nil
    ) {
        self.network = network
        self.actor = actor
        self.status = status
        self.from = from
        self.to = to
    }
}

public struct MeetingList: Codable, Sendable, Equatable {
    public var meetings: [Meeting]
    public init(meetings: [Meeting]) { self.meetings = meetings }
}

public struct MeetingScheduled: Event {
    public static let topic: Topic = "scheduling.meeting.scheduled"
    public var meeting: Meeting
    public init(meeting: Meeting) { self.meeting = meeting }
}

/// A meeting changed: fields, time or status (postponed and cancelled ones too).
public struct MeetingUpdated: Event {
    public static let topic: Topic = "scheduling.meeting.updated"
    public var meeting: Meeting
    public var reason: String?
    public init(meeting: Meeting, reason: String? = nil) {
        self.meeting = meeting
        self.reason = reason
    }
}

/// A write was accepted with warnings (double bookings, a host that is not an active member).
public struct ConflictDetected: Event {
    public static let topic: Topic = "scheduling.conflict.detected"
    /// A meeting id, or a series occurrence as `series/original start`.
    public var subject: String
    public var warnings: [SchedulingWarning]
    public init(subject: String, warnings: [SchedulingWarning]) {
        self.subject = subject
        self.warnings = warnings
    }
}

/// A reminder of a meeting or of a series occurrence fell due.
public struct MeetingReminderDue: Event {
    public static let topic: Topic = "scheduling.meeting.reminder_due"

    /// The meeting's id; absent for a series occurrence.
    public var meeting: String?
    public var series: String?
    /// For a series occurrence: its original start, as its RECURRENCE-ID.
    public var originalStart: String?
    public var title: String
    /// The offset it is due at (`P7D`).
    public var offset: String
    /// The occurrence's start, local and as an instant.
    public var start: String
    public var startUTC: String
    public var timeZone: String

    public init(
        meeting: String?, series: String?, originalStart: String?, title: String, offset: String, start: String,
        startUTC: String, timeZone: String
    ) {
        self.meeting = meeting
        self.series = series
        self.originalStart = originalStart
        self.title = title
        self.offset = offset
        self.start = start
        self.startUTC = startUTC
        self.timeZone = timeZone
    }

    enum CodingKeys: String, CodingKey {
        case meeting, series
        case originalStart = "original_start"
        case title, offset, start
        case startUTC = "start_utc"
        case timeZone = "time_zone"
    }
}
