public import ConcordKit

// MARK: Working hours, holidays and blackouts

/// An actor's local working hours; without them, 08:00 to 18:00 Monday to Friday.
public struct WorkingHours: Codable, Sendable, Equatable {
    /// ISO weekdays, 1 (Monday) to 7 (Sunday).
    public var days: [Int]
    /// `HH:MM`, on a quarter hour.
    public var start: String
    public var end: String

    public init(days: [Int] = [1, 2, 3, 4, 5], start: String = "08:00", end: String = "18:00") {
        self.days = days
        self.start = start
        self.end = end
    }
}

public struct SetWorkingHours: Command {
    public static let topic: Topic = "scheduling.working_hours.set"
    public typealias Reply = Acknowledged

    public var actor: String
    /// Absent: back to the default.
    public var hours: WorkingHours?

    public init(actor: String, hours: WorkingHours?) {
        self.actor = actor
        self.hours = hours
    }
}

/// A public holiday or a blackout: days on which a country's or an actor's participants cannot meet.
public struct Blackout: Codable, Sendable, Equatable {
    public var id: String
    /// ISO 3166-1 alpha-2, for a public holiday of a country.
    public var country: String?
    /// An actor, for its own blackout days.
    public var actor: String?
    /// Local dates, inclusive.
    public var from: String
    public var to: String
    public var name: String

    public init(id: String, country: String?, actor: String?, from: String, to: String, name: String) {
        self.id = id
        self.country = country
        self.actor = actor
        self.from = from
        self.to = to
        self.name = name
    }
}

/// Adds holidays or blackouts, as the operator supplies them (the module invents none).
public struct AddBlackouts: Command {
    public static let topic: Topic = "scheduling.blackout.add"
    public typealias Reply = BlackoutList

    public struct Entry: Codable, Sendable, Equatable {
        public var country: String?
        public var actor: String?
        public var from: String
        /// Default `from`.
        public var to: String?
        public var name: String

        public init(country: String? = nil, actor: String? = nil, from: String, to: String? = nil, name: String) {
            self.country = country
            self.actor = actor
            self.from = from
            self.to = to
            self.name = name
        }
    }

    public var blackouts: [Entry]

    public init(blackouts: [Entry]) { self.blackouts = blackouts }
}

public struct RemoveBlackout: Command {
    public static let topic: Topic = "scheduling.blackout.remove"
    public typealias Reply = Acknowledged

    public var id: String
    public init(id: String) { self.id = id }
}

public struct ListBlackouts: Query {
    public static let topic: Topic = "scheduling.blackout.list"
    public typealias Reply = BlackoutList

    public var country: String?
    public var actor: String?

    public init(country: String? = nil, actor: String? = nil) {
        self.country = country
        self.actor = actor
    }
}

public struct BlackoutList: Codable, Sendable, Equatable {
    public var blackouts: [Blackout]
    public init(blackouts: [Blackout]) { self.blackouts = blackouts }
}

// MARK: Slot finder

/// Times when the participants can meet, ranked; when there are none, why (`empty_reason`).
public struct FindSlots: Query {
    public static let topic: Topic = "scheduling.slots.find"
    public typealias Reply = SlotSuggestions

    public struct Attendee: Codable, Sendable, Equatable {
        public var actor: String
        public var focalPoint: String?
        /// An optional attendee counts towards the ranking but not towards `min_attendance`.
        public var optional: Bool?

        public init(actor: String, focalPoint: String? = nil, optional: Bool? = nil) {
            self.actor = actor
            self.focalPoint = focalPoint
            self.optional = optional
        }

        enum CodingKeys: String, CodingKey {
            case actor
            case focalPoint = "focal_point"
            case optional
        }
    }

    public var participants: [Attendee]
    /// ISO 8601 (`PT60M`, `PT1H30M`), a multiple of 15 minutes, at most a day.
    public var duration: String
    /// The first and last day (inclusive, UTC dates) to search; at most 366 days.
    public var from: String
    public var to: String
    /// The share of required participants that must be inside working hours and free, 0 to 1 (default 1).
    public var minAttendance: Double?
    /// Minutes between candidate starts: 15, 30 (default) or 60.
    public var step: Int?
    /// How many slots to return, 1 to 100 (default 10).
    public var limit: Int?

    public init(
        participants: [Attendee], duration: String, from: String, to: String, minAttendance: Double? = nil,
        step: Int? = nil, limit: Int? = nil
    ) {
        self.participants = participants
        self.duration = duration
        self.from = from
        self.to = to
        self.minAttendance = minAttendance
        self.step = step
        self.limit = limit
    }

    enum CodingKeys: String, CodingKey {
        case participants, duration, from, to
        case minAttendance = "min_attendance"
        case step, limit
    }
}

public struct SlotSuggestions: Codable, Sendable, Equatable {
    public enum EmptyReason: String, Codable, Sendable, CaseIterable {
        /// The participants' working hours never overlap for the duration.
        case noCommonWorkingHours = "no_common_working_hours"
        /// They overlap, but holidays, blackouts or meetings take every such time.
        case attendeesUnavailable = "attendees_unavailable"
    }

    public struct Attendance: Codable, Sendable, Equatable {
        public var actor: String
        public var focalPoint: String?
        public var timeZone: String
        /// The slot's start and end as the participant's clock shows them.
        public var localStart: String
        public var localEnd: String
        public var available: Bool
        /// Why not: `outside working hours`, `holiday: …`, `blackout: …`, `meeting: …`.
        public var reason: String?

        public init(
            actor: String, focalPoint: String?, timeZone: String, localStart: String, localEnd: String,
            available: Bool, reason: String?
        ) {
            self.actor = actor
            self.focalPoint = focalPoint
            self.timeZone = timeZone
            self.localStart = localStart
            self.localEnd = localEnd
            self.available = available
            self.reason = reason
        }

        enum CodingKeys: String, CodingKey {
            case actor
            case focalPoint = "focal_point"
            case timeZone = "time_zone"
            case localStart = "local_start"
            case localEnd = "local_end"
            case available, reason
        }
    }

    public struct Slot: Codable, Sendable, Equatable {
        public var startUTC: String
        public var endUTC: String
        /// Required participants available, as a share of all required ones.
        public var attendance: Double
        public var available: Int
        public var reason: String
        public var attendees: [Attendance]

        public init(
            startUTC: String, endUTC: String, attendance: Double, available: Int, reason: String,
            attendees: [Attendance]
        ) {
            self.startUTC = startUTC
            self.endUTC = endUTC
            self.attendance = attendance
            self.available = available
            self.reason = reason
            self.attendees = attendees
        }

        enum CodingKeys: String, CodingKey {
            case startUTC = "start_utc"
            case endUTC = "end_utc"
            case attendance, available, reason, attendees
        }
    }

    public var slots: [Slot]
    public var emptyReason: EmptyReason?
    /// In words, when there are no slots.
    public var explanation: String?

    public init(slots: [Slot], emptyReason: EmptyReason? = nil, explanation: String? = nil) {
        self.slots = slots
        self.emptyReason = emptyReason
        self.explanation = explanation
    }

    enum CodingKeys: String, CodingKey {
        case slots
        case emptyReason = "empty_reason"
        case explanation
    }
}
