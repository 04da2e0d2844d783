import ConcordKit
import Contracts
import Foundation

/// An iCalendar feed (RFC 5545, with RFC 7986's NAME and REFRESH-INTERVAL) of a network's, a series' or a
/// participant's meetings: one-off meetings as events; a series as one event with its RRULE, RDATEs and EXDATEs,
/// and its changed occurrences (and, for a numbered series, each numbered one) as RECURRENCE-ID events; a
/// VTIMEZONE for every TZID used; VALARMs from the reminders.
struct ICalendarWriter: ExportWriter {
    /// How far ahead occurrences of open-ended series are looked at, for overrides, numbers and zone rules.
    static let horizonDays = 3 * 366

    func write(_ job: ExportJob) async throws -> ExportOutput {
        let sources = job.sources
        var meetings: [Meeting] = []
        var series: [Series] = []
        let name: String
        if let network = job.network {
            meetings = try await sources.meetings(network: network)
            series = try await sources.series(network: network)
            name = "\(network.name) (\(network.acronym))"
        } else if let id = job.scope.series {
            let detail = try await sources.requireSeries(id, field: "scope.series")
            series = [detail.series]
            name = detail.series.fields.title.replacingOccurrences(of: "{number}", with: "#")
                .replacingOccurrences(of: "{ordinal}", with: "#")
        } else if let participant = job.scope.participant {
            let actor = try await sources.requireActor(participant, field: "scope.participant")
            meetings = try await sources.meetings(actor: actor.id)
            series = try await sources.series().filter { series in
                series.fields.host == actor.id || (series.fields.participants ?? []).contains { $0.actor == actor.id }
                    || (series.fields.rotation?.members ?? []).contains(actor.id)
            }
            name = "Meetings of \(actor.fields.name)"
        } else {
            throw ConcordError.badRequest("scope: an ical feed takes exactly one of network, series or participant")
        }
        let horizon = job.generatedAt.addingTimeInterval(TimeInterval(Self.horizonDays) * 86_400)
        var feeds: [SeriesFeed] = []
        for item in series {
            let detail = try await sources.seriesDetail(item.id)
            // A series that ends is read whole; an open-ended one up to the horizon.
            let occurrences = try await sources.occurrences(
                item.id, before: Self.isFinite(item.fields) ? nil : ExportJob.utc(horizon))
            feeds.append(SeriesFeed(detail: detail, occurrences: occurrences))
        }
        let calendar = ICalendar(
            name: name, headSeq: job.headSeq, generatedAt: job.generatedAt, meetings: meetings, series: feeds,
            horizon: horizon)
        let file = try OutputFile(name: "calendar.ics", in: job.folder)
        let counts = try calendar.write { try file.write($0) }
        return ExportOutput(files: [try file.commit()], counts: counts)
    }
}

extension ICalendarWriter {
    /// Whether a series has a last occurrence: no rule, or a rule with COUNT or UNTIL.
    static func isFinite(_ fields: SeriesFields) -> Bool {
        guard let rule = fields.rrule?.uppercased() else { return true }
        return rule.split(separator: ";").contains { $0.hasPrefix("COUNT=") || $0.hasPrefix("UNTIL=") }
    }
}

/// A series with what the feed needs of it: its overrides and its occurrences up to the horizon.
struct SeriesFeed: Sendable {
    var detail: SeriesDetail
    var occurrences: OccurrenceList
}

/// The feed's text, built component by component and handed out in pieces (a large feed is never one string).
struct ICalendar {
    var name: String
    var headSeq: UInt64
    var generatedAt: Date
    var meetings: [Meeting]
    var series: [SeriesFeed]
    var horizon: Date

    /// The default reminders of a meeting or series that names none (`MeetingFields.reminders`).
    static let defaultReminders = ["P30D", "P7D", "P1D"]

    /// Writes the feed through `emit`; returns what it counted.
    func write(_ emit: (String) throws -> Void) throws -> [String: Int] {
        let stamp = TimeZoneRules.formatUTC(generatedAt)
        var lines = ContentLines()
        lines.raw("BEGIN", "VCALENDAR")
        lines.raw("VERSION", "2.0")
        lines.raw("PRODID", "-//Concord//\(Generator.text)//EN")
        lines.raw("CALSCALE", "GREGORIAN")
        lines.raw("METHOD", "PUBLISH")
        lines.text("NAME", name)
        lines.text("X-WR-CALNAME", name)
        lines.raw("REFRESH-INTERVAL;VALUE=DURATION", "PT12H")
        lines.raw("X-PUBLISHED-TTL", "PT12H")
        lines.raw("X-CONCORD-HEAD-SEQ", String(headSeq))
        // A VTIMEZONE for every zone named, over the span of what names it.
        var spans: [String: (from: Date, to: Date)] = [:]
        func cover(_ zone: String?, _ start: String?, _ end: String?) {
            guard let zone, let from = Self.instant(start) else { return }
            let to = max(Self.instant(end) ?? from, from)
            let span = spans[zone] ?? (from, to)
            spans[zone] = (min(span.from, from), max(span.to, to))
        }
        for meeting in meetings where meeting.fields.timeZone != nil && !Self.isDate(meeting.fields.start) {
            cover(meeting.fields.timeZone, meeting.startUTC, meeting.endUTC)
        }
        for feed in series where !Self.isDate(feed.detail.series.fields.dtstart) {
            let first = feed.occurrences.occurrences.first
            let last = feed.occurrences.occurrences.last
            let open = feed.occurrences.truncated || !ICalendarWriter.isFinite(feed.detail.series.fields)
            cover(
                feed.occurrences.timeZone, first?.startUTC?.text ?? first?.start.text,
                open ? ExportJob.utc(horizon) : (last?.endUTC?.text ?? last?.end.text))
        }
        for zone in spans.keys.sorted() {
            guard let span = spans[zone], let component = TimeZoneRules.component(zone, from: span.from, to: span.to)
            else { continue }
            lines.append(component)
        }
        try emit(lines.text)
        lines.clear()

        var events = 0
        var overrides = 0
        for meeting in meetings {
            meetingEvent(meeting, stamp: stamp, into: &lines)
            events += 1
            if lines.text.utf8.count > 1 << 16 {
                try emit(lines.text)
                lines.clear()
            }
        }
        var occurrences = 0
        for feed in series {
            seriesEvent(feed, stamp: stamp, into: &lines)
            events += 1
            occurrences += feed.occurrences.occurrences.count
            for occurrence in feed.occurrences.occurrences where needsComponent(occurrence, of: feed) {
                occurrenceEvent(occurrence, of: feed, stamp: stamp, into: &lines)
                overrides += 1
                if lines.text.utf8.count > 1 << 16 {
                    try emit(lines.text)
                    lines.clear()
                }
            }
        }
        lines.raw("END", "VCALENDAR")
        try emit(lines.text)
        return [
            "meetings": meetings.count, "series": series.count, "events": events, "overrides": overrides,
            "occurrences": occurrences,
        ]
    }

    // MARK: Components

    private func meetingEvent(_ meeting: Meeting, stamp: String, into lines: inout ContentLines) {
        let fields = meeting.fields
        lines.raw("BEGIN", "VEVENT")
        lines.raw("UID", "\(meeting.id)@concord")
        lines.raw("DTSTAMP", stamp)
        if Self.isDate(fields.start) {
            lines.raw("DTSTART;VALUE=DATE", Self.compact(fields.start))
            lines.raw("DTEND;VALUE=DATE", Self.compact(Self.dayAfter(fields.end)))
        } else if let zone = fields.timeZone {
            lines.raw("DTSTART;TZID=\(zone)", Self.compact(fields.start))
            lines.raw("DTEND;TZID=\(zone)", Self.compact(fields.end))
        } else {
            lines.raw("DTSTART", Self.compact(meeting.startUTC))
            lines.raw("DTEND", Self.compact(meeting.endUTC))
        }
        lines.raw("SEQUENCE", String(max(meeting.version - 1, 0)))
        lines.text("SUMMARY", fields.title)
        describe(
            kind: fields.kind, number: fields.number, venue: fields.venue, status: fields.status ?? .planned,
            into: &lines)
        alarms(fields.reminders, title: fields.title, into: &lines)
        lines.raw("END", "VEVENT")
    }

    private func seriesEvent(_ feed: SeriesFeed, stamp: String, into lines: inout ContentLines) {
        let fields = feed.detail.series.fields
        let zone = feed.occurrences.timeZone
        lines.raw("BEGIN", "VEVENT")
        lines.raw("UID", "\(feed.detail.series.id)@concord")
        lines.raw("DTSTAMP", stamp)
        lines.raw(dateProperty("DTSTART", fields.dtstart, zone: zone), Self.compact(fields.dtstart))
        lines.raw("DURATION", fields.duration)
        if let rule = fields.rrule { lines.raw("RRULE", rule) }
        if let rdates = fields.rdates, !rdates.isEmpty {
            lines.raw(dateProperty("RDATE", rdates[0], zone: zone), rdates.map(Self.compact).joined(separator: ","))
        }
        if let exdates = fields.exdates, !exdates.isEmpty {
            lines.raw(dateProperty("EXDATE", exdates[0], zone: zone), exdates.map(Self.compact).joined(separator: ","))
        }
        lines.raw("SEQUENCE", String(max(feed.detail.series.version - 1, 0)))
        lines.text("SUMMARY", masterTitle(fields.title))
        describe(kind: fields.kind, number: nil, venue: fields.venue, status: .planned, into: &lines)
        alarms(fields.reminders, title: masterTitle(fields.title), into: &lines)
        lines.raw("END", "VEVENT")
    }

    private func occurrenceEvent(
        _ occurrence: Occurrence, of feed: SeriesFeed, stamp: String, into lines: inout ContentLines
    ) {
        let fields = feed.detail.series.fields
        let zone = feed.occurrences.timeZone
        let dateOnly = Self.isDate(fields.dtstart)
        lines.raw("BEGIN", "VEVENT")
        lines.raw("UID", "\(feed.detail.series.id)@concord")
        lines.raw("DTSTAMP", stamp)
        lines.raw(
            dateProperty("RECURRENCE-ID", occurrence.originalStart.text, zone: zone),
            Self.compact(occurrence.originalStart.text))
        lines.raw(dateProperty("DTSTART", occurrence.start.text, zone: zone), Self.compact(occurrence.start.text))
        if dateOnly {
            lines.raw("DTEND;VALUE=DATE", Self.compact(Self.dayAfter(occurrence.end.text)))
        } else {
            lines.raw(dateProperty("DTEND", occurrence.end.text, zone: zone), Self.compact(occurrence.end.text))
        }
        lines.raw("SEQUENCE", String(max(feed.detail.series.version - 1, 0)))
        lines.text("SUMMARY", occurrence.title)
        describe(
            kind: fields.kind, number: occurrence.number, venue: occurrence.venue, status: occurrence.status,
            into: &lines)
        alarms(fields.reminders, title: occurrence.title, into: &lines)
        lines.raw("END", "VEVENT")
    }

    /// Whether an occurrence differs from what the series' own event gives it.
    private func needsComponent(_ occurrence: Occurrence, of feed: SeriesFeed) -> Bool {
        occurrence.overridden || occurrence.title != masterTitle(feed.detail.series.fields.title)
            || occurrence.status != .planned
    }

    private func describe(
        kind: MeetingKind, number: Int?, venue: Venue?, status: MeetingStatus, into lines: inout ContentLines
    ) {
        let state =
            switch status {
            case .cancelled: "CANCELLED"
            case .confirmed, .held: "CONFIRMED"
            case .planned, .postponed: "TENTATIVE"
            }
        lines.raw("STATUS", state)
        lines.text("CATEGORIES", kind.rawValue)
        if let text = venue?.text { lines.text("LOCATION", text) }
        var description = "Kind: \(kind.rawValue.replacingOccurrences(of: "_", with: " "))"
        if let number { description += "\nNumber: \(number)" }
        description += "\nStatus: \(status.rawValue)"
        lines.text("DESCRIPTION", description)
    }

    private func alarms(_ reminders: [String]?, title: String, into lines: inout ContentLines) {
        for offset in reminders ?? Self.defaultReminders {
            lines.raw("BEGIN", "VALARM")
            lines.raw("ACTION", "DISPLAY")
            lines.raw("TRIGGER", "-" + offset)
            lines.text("DESCRIPTION", "Reminder: \(title)")
            lines.raw("END", "VALARM")
        }
    }

    /// A series' title without its number (`{number}th Plenary Meeting` → `Plenary Meeting`).
    private func masterTitle(_ title: String) -> String {
        guard title.contains("{number}") || title.contains("{ordinal}") else { return title }
        var words: [Substring] = []
        for word in title.split(separator: " ") where !word.contains("{number}") && !word.contains("{ordinal}") {
            words.append(word)
        }
        return words.joined(separator: " ")
    }

    private func dateProperty(_ name: String, _ value: String, zone: String?) -> String {
        if Self.isDate(value) { return "\(name);VALUE=DATE" }
        if value.hasSuffix("Z") { return name }
        return zone.map { "\(name);TZID=\($0)" } ?? name
    }

    // MARK: Values

    static func isDate(_ value: String) -> Bool { value.utf8.count == 10 }

    /// `2027-03-15T09:00:00` → `20270315T090000`; `2027-03-15` → `20270315`.
    static func compact(_ value: String) -> String {
        String(value.filter { $0 != "-" && $0 != ":" })
    }

    static func dayAfter(_ date: String) -> String {
        guard let day = try? Date(date + "T00:00:00Z", strategy: .iso8601) else { return date }
        return String(ExportJob.utc(day.addingTimeInterval(86_400)).prefix(10))
    }

    static func instant(_ value: String?) -> Date? {
        guard let value else { return nil }
        if let date = try? Date(value, strategy: .iso8601) { return date }
        if value.utf8.count == 19, let date = try? Date(value + "Z", strategy: .iso8601) { return date }
        if value.utf8.count == 10, let date = try? Date(value + "T00:00:00Z", strategy: .iso8601) { return date }
        return nil
    }
}
