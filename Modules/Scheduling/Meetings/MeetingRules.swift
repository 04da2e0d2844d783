import ConcordKit
import Contracts
import Foundation

/// The checks and derived values of a meeting's fields.
enum MeetingRules {
    /// The host and every participant.
    static func actors(of fields: MeetingFields) -> [String] {
        (fields.host.map { [$0] } ?? []) + (fields.participants ?? []).map(\.actor)
    }

    /// The actors a meeting names, with the field each is given in, for the registry check.
    static func namedActors(
        host: String?, venue: Venue?, participants: [Participant]?, prefix: String = ""
    ) -> [(id: String, field: String)] {
        var named: [(id: String, field: String)] = []
        if let host { named.append((host, "\(prefix)host")) }
        if let actor = venue?.actor { named.append((actor, "\(prefix)venue.actor")) }
        for (index, participant) in (participants ?? []).enumerated() {
            named.append((participant.actor, "\(prefix)participants[\(index)].actor"))
        }
        return named
    }

    static func text(_ value: String, field: String, limit: Int = 500) throws -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw badField(field, "expected 1 or more characters") }
        guard trimmed.count <= limit else {
            throw badField(field, "expected at most \(limit) characters, got \(trimmed.count)")
        }
        return trimmed
    }

    /// Checks the fields that need no registry: title, number, times, zone, reminders, agenda.
    static func check(_ fields: inout MeetingFields, zone identifier: String) throws -> (Placed, ZoneResolver) {
        fields.title = try text(fields.title, field: "meeting.title")
        if let number = fields.number, number < 1 {
            throw badField("meeting.number", "expected 1 or more, got \(number)")
        }
        let zone = try LocalTime.zone(identifier, field: "meeting.time_zone")
        fields.timeZone = identifier
        let (start, dateOnly) = try LocalTime.parse(fields.start, field: "meeting.start")
        let (end, _) = try LocalTime.parse(fields.end, field: "meeting.end", dateOnly: dateOnly)
        guard dateOnly ? end >= start : end > start else {
            throw badField(
                "meeting.end",
                "expected \(dateOnly ? "the same day as the start or later" : "a time after the start") "
                    + "(\(fields.start)), got \(fields.end)")
        }
        let placed = Placed(start: start, end: end, dateOnly: dateOnly, zone: zone)
        guard placed.endUTC > placed.startUTC else {
            throw badField("meeting.end", "expected a time after the start once placed in \(identifier)")
        }
        guard placed.endUTC - placed.startUTC <= 366 * 86_400 else {
            throw badField("meeting.end", "a meeting lasts at most 366 days")
        }
        try checkCommon(
            agenda: fields.agenda, participants: fields.participants, reminders: fields.reminders, prefix: "meeting.")
        return (placed, zone)
    }

    static func checkCommon(
        agenda: [AgendaItem]?, participants: [Participant]?, reminders: [String]?, prefix: String
    ) throws {
        for (index, item) in (agenda ?? []).enumerated() {
            _ = try text(item.title, field: "\(prefix)agenda[\(index)].title")
        }
        var seen = Set<String>()
        for (index, participant) in (participants ?? []).enumerated() {
            let key = participant.actor + "\u{0}" + (participant.focalPoint ?? "")
            guard seen.insert(key).inserted else {
                throw badField("\(prefix)participants[\(index)]", "\(participant.actor) is listed twice")
            }
        }
        _ = try offsets(reminders, field: "\(prefix)reminders", defaults: [])
    }

    /// The reminder offsets given, or the defaults; at most 10, each at most a year.
    static func offsets(_ texts: [String]?, field: String, defaults: [LocalDuration]) throws -> [LocalDuration] {
        guard let texts else { return defaults }
        guard texts.count <= 10 else { throw badField(field, "expected at most 10 offsets, got \(texts.count)") }
        return try texts.enumerated().map { index, text in
            let offset = try LocalDuration.parse(text, field: "\(field)[\(index)]")
            guard offset.days <= 366 else { throw badField("\(field)[\(index)]", "expected at most a year before") }
            return offset
        }
    }

    /// The zone of a meeting: its own, else its venue actor's.
    static func zoneIdentifier(given: String?, venue: ActorRecord?, field: String) throws -> String {
        if let given { return given }
        if let zone = venue?.fields.timeZone { return zone }
        throw badField(
            field, "required: give an IANA zone, or a venue actor that has a time zone in the registry")
    }
}

/// A stretch of time that a meeting or a series occurrence takes, for conflict checks and the slot finder.
struct Booking: Sendable {
    /// A meeting's id, or `series/original start`.
    var subject: String
    var title: String
    var startUTC: Int64
    var endUTC: Int64
    var actors: Set<String>
    var venue: Venue?
}

enum Conflicts {
    /// Every meeting and series occurrence, not cancelled, that overlaps `[start, end)`.
    ///
    /// - Parameter venues: whether meetings' venues are wanted (conflict checks); the slot finder needs none.
    static func bookings(overlapping start: Int64, _ end: Int64, store: SchedulingStore, venues: Bool = true) throws
        -> [Booking]
    {
        var found: [Booking] = []
        if !venues {
            found = try store.meetingBookings(overlapping: start, end)
        } else {
            found = try store.meetingsWithTimes(overlapping: start, end).map { meeting, start, end in
                Booking(
                    subject: meeting.id, title: meeting.fields.title, startUTC: start, endUTC: end,
                    actors: Set(MeetingRules.actors(of: meeting.fields)), venue: meeting.fields.venue)
            }
        }
        for series in try store.allSeries() {
            guard let engine = try? SeriesEngine(series: series) else { continue }
            found += try engine.bookings(overlapping: start, end, overrides: store.overrides(of: series.id))
        }
        return found
    }

    /// Double bookings of `actors` and of `venue` in `[start, end)` against everything but `subject` itself.
    static func warnings(
        subject: String, start: Int64, end: Int64, actors: Set<String>, venue: Venue?, names: [String: ActorRecord],
        store: SchedulingStore, excludingSeries: String? = nil
    ) throws -> [SchedulingWarning] {
        warnings(
            subject: subject, start: start, end: end, actors: actors, venue: venue, names: names,
            among: try bookings(overlapping: start, end, store: store), excludingSeries: excludingSeries)
    }

    /// The same, against bookings read already (those that do not overlap `[start, end)` are passed over).
    static func warnings(
        subject: String, start: Int64, end: Int64, actors: Set<String>, venue: Venue?, names: [String: ActorRecord],
        among bookings: [Booking], excludingSeries: String? = nil
    ) -> [SchedulingWarning] {
        var warnings: [SchedulingWarning] = []
        for booking in bookings where booking.startUTC < end && booking.endUTC > start {
            guard booking.subject != subject,
                excludingSeries.map({ !booking.subject.hasPrefix($0 + "/") }) ?? true
            else { continue }
            for actor in actors.intersection(booking.actors).sorted() {
                let name = names[actor]?.fields.name ?? actor
                warnings.append(
                    SchedulingWarning(
                        code: .participantDoubleBooked,
                        message: "\(name) is also in \"\(booking.title)\" (\(booking.subject)) at that time",
                        actor: actor, with: booking.subject))
            }
            if let venue, let other = booking.venue, sameVenue(venue, other) {
                let name = venue.actor.flatMap { names[$0]?.fields.name } ?? venue.text ?? venue.actor ?? "-"
                warnings.append(
                    SchedulingWarning(
                        code: .venueDoubleBooked,
                        message: "the venue \(name) is booked for \"\(booking.title)\" (\(booking.subject)) then",
                        actor: venue.actor, with: booking.subject))
            }
        }
        return warnings
    }

    /// The same venue: the same actor with the same (or no) text, or the same text without actors.
    static func sameVenue(_ a: Venue, _ b: Venue) -> Bool {
        func key(_ text: String?) -> String? {
            text.map { $0.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        }
        if a.actor != nil || b.actor != nil {
            guard a.actor == b.actor else { return false }
            guard let left = key(a.text), let right = key(b.text) else { return true }
            return left == right
        }
        return key(a.text) != nil && key(a.text) == key(b.text)
    }

    static func hostWarning(
        host: String?, network: String?, memberships: [Membership]?, on date: String, names: [String: ActorRecord]
    ) -> SchedulingWarning? {
        guard let host, let network, let memberships else { return nil }
        guard !Directory.isActive(host, in: memberships, on: date) else { return nil }
        let name = names[host]?.fields.name ?? host
        return SchedulingWarning(
            code: .hostNotActiveMember, message: "\(name) is not an active member of \(network) on \(date)",
            actor: host)
    }
}
