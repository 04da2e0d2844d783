import ConcordKit
import Foundation

/// `bad_request` naming the field.
func badField(_ field: String, _ message: String) -> ConcordError {
    ConcordError(.badRequest, "\(field): \(message)", details: ["field": .string(field)])
}

/// A length of time as meetings and reminders give it (ISO 8601 `P1W`, `P2D`, `PT1H30M`, `P1DT2H`): whole days,
/// counted on the local calendar so that they keep the time of day across daylight-saving changes, and seconds.
struct LocalDuration: Hashable, Sendable {
    var days: Int
    var seconds: Int
    var text: String

    static func parse(_ text: String, field: String) throws -> LocalDuration {
        let expected = "expected an ISO 8601 duration of weeks, days, hours and minutes (P1W, P2D, PT1H30M)"
        var rest = Substring(text)
        guard rest.hasPrefix("P"), rest.count > 1 else { throw badField(field, "\(expected), got \"\(text)\"") }
        rest = rest.dropFirst()
        var days = 0
        var seconds = 0
        var inTime = false
        var number = ""
        var any = false
        for character in rest {
            if character.isASCII, character.isNumber {
                number.append(character)
                continue
            }
            if character == "T", !inTime, number.isEmpty {
                inTime = true
                continue
            }
            guard let value = Int(number), value <= 100_000 else {
                throw badField(field, "\(expected), got \"\(text)\"")
            }
            number = ""
            any = true
            switch (character, inTime) {
            case ("W", false): days += value * 7
            case ("D", false): days += value
            case ("H", true): seconds += value * 3600
            case ("M", true): seconds += value * 60
            case ("S", true): seconds += value
            default: throw badField(field, "\(expected), got \"\(text)\"")
            }
        }
        guard number.isEmpty, any else { throw badField(field, "\(expected), got \"\(text)\"") }
        return LocalDuration(days: days, seconds: seconds, text: text)
    }
}

enum LocalTime {
    /// A local date-time (`2014-09-10T09:00:00`) or a date (`2014-09-10`); `dateOnly`, when given, is the type
    /// expected.
    static func parse(_ text: String, field: String, dateOnly expected: Bool? = nil) throws -> (
        CivilDateTime, dateOnly: Bool
    ) {
        guard let (time, dateOnly) = RecurrenceRequest.parse(text) else {
            throw badField(
                field, "expected a local date-time (2014-09-10T09:00:00) or a date (2014-09-10), got \"\(text)\"")
        }
        if let expected, expected != dateOnly {
            throw badField(
                field,
                expected
                    ? "expected a date (2014-09-10), as the start is, got \"\(text)\""
                    : "expected a local date-time (2014-09-10T09:00:00), as the start is, got \"\(text)\"")
        }
        return (time, dateOnly)
    }

    /// A calendar date `YYYY-MM-DD`.
    static func date(_ text: String, field: String) throws -> CivilDateTime {
        try parse(text, field: field, dateOnly: true).0
    }

    static func zone(_ identifier: String, field: String) throws -> ZoneResolver {
        guard let zone = ZoneResolver(identifier: identifier) else {
            throw badField(field, "expected an IANA time zone such as Asia/Tomsk, got \"\(identifier)\"")
        }
        return zone
    }

    /// `2014-09-10T02:00:00Z`.
    static func utcText(_ seconds: Int64) -> String { CivilDateTime(wallSeconds: seconds).text(utc: true) }

    /// An instant given as `…Z` or as a UTC date.
    static func instant(_ text: String, field: String) throws -> Int64 {
        let body = text.hasSuffix("Z") ? String(text.dropLast()) : text
        guard let (time, _) = RecurrenceRequest.parse(body) else {
            throw badField(field, "expected a UTC date-time (2014-09-10T02:00:00Z) or a date, got \"\(text)\"")
        }
        return time.wallSeconds
    }

    static func addingDays(_ days: Int, to local: CivilDateTime) -> CivilDateTime {
        CivilDateTime(wallSeconds: local.wallSeconds + Int64(days) * 86_400)
    }
}

/// Where a meeting or occurrence lies: local start and end in its zone, and the instants.
struct Placed: Sendable, Equatable {
    var start: CivilDateTime
    var end: CivilDateTime
    var startUTC: Int64
    var endUTC: Int64
    var dateOnly: Bool

    /// A timed occurrence from `start` lasting `duration`, or an all-day one of `duration.days` days.
    init(start: CivilDateTime, duration: LocalDuration, dateOnly: Bool, zone: ZoneResolver) {
        self.dateOnly = dateOnly
        if dateOnly {
            let days = max(duration.days, 1)
            self.start = start
            self.end = LocalTime.addingDays(days - 1, to: start)
            startUTC = zone.resolve(start).utc
            endUTC = zone.resolve(LocalTime.addingDays(days, to: start)).utc
        } else {
            let (utc, shown) = zone.resolve(start)
            self.start = shown
            startUTC = utc
            endUTC = zone.resolve(LocalTime.addingDays(duration.days, to: shown)).utc + Int64(duration.seconds)
            end = zone.local(at: endUTC)
        }
    }

    /// An occurrence the engine placed already: its instant is known.
    init(_ occurrence: RecurrenceSet.Occurrence, duration: LocalDuration, dateOnly: Bool, zone: ZoneResolver) {
        guard let utc = occurrence.utc, !dateOnly else {
            self.init(start: occurrence.local, duration: duration, dateOnly: dateOnly, zone: zone)
            return
        }
        let base =
            duration.days == 0 ? utc : zone.resolve(LocalTime.addingDays(duration.days, to: occurrence.local)).utc
        let endUTC = base + Int64(duration.seconds)
        self.init(
            start: occurrence.local, end: zone.local(at: endUTC), startUTC: utc, endUTC: endUTC, dateOnly: false)
    }

    private init(start: CivilDateTime, end: CivilDateTime, startUTC: Int64, endUTC: Int64, dateOnly: Bool) {
        self.start = start
        self.end = end
        self.startUTC = startUTC
        self.endUTC = endUTC
        self.dateOnly = dateOnly
    }

    /// From a start and an end as given; the end of an all-day meeting is its last day.
    init(start: CivilDateTime, end: CivilDateTime, dateOnly: Bool, zone: ZoneResolver) {
        self.dateOnly = dateOnly
        if dateOnly {
            self.start = start
            self.end = end
            startUTC = zone.resolve(start).utc
            endUTC = zone.resolve(LocalTime.addingDays(1, to: end)).utc
        } else {
            let (startUTC, shownStart) = zone.resolve(start)
            let (endUTC, shownEnd) = zone.resolve(end)
            self.start = shownStart
            self.end = shownEnd
            self.startUTC = startUTC
            self.endUTC = endUTC
        }
    }

    var startText: String { start.text(dateOnly: dateOnly) }
    var endText: String { end.text(dateOnly: dateOnly) }
}
