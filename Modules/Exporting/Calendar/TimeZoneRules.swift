import Foundation

/// A VTIMEZONE (RFC 5545 §3.6.5) for an IANA zone over a span, from the system's zone data: every offset change
/// in the span, with the yearly ones gathered into `RRULE:FREQ=YEARLY;BYMONTH=…;BYDAY=…` rules (the only form some
/// clients, Outlook among them, read) and the rest written one by one, so historical offsets are right too.
enum TimeZoneRules {
    /// One change of offset.
    struct Transition: Equatable {
        /// The instant of the change.
        var at: Date
        var offsetFrom: Int
        var offsetTo: Int
        var daylight: Bool
        /// The wall-clock time of the change before it happens (the `DTSTART` of its observance).
        var local: DateComponents
    }

    /// An observance: a STANDARD or DAYLIGHT component.
    struct Observance: Equatable {
        var daylight: Bool
        var offsetFrom: Int
        var offsetTo: Int
        /// `DTSTART`, local (`19700329T020000`).
        var start: String
        /// `RRULE`, when it recurs yearly.
        var rule: String?
    }

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// The zone's offset changes after `from` up to `to`.
    static func transitions(_ zone: TimeZone, from: Date, to: Date) -> [Transition] {
        var found: [Transition] = []
        var cursor = from
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next <= to {
            let before = zone.secondsFromGMT(for: next.addingTimeInterval(-1))
            let after = zone.secondsFromGMT(for: next)
            if before != after {
                let local = utc.dateComponents(
                    [.year, .month, .day, .hour, .minute, .second, .weekday],
                    from: next.addingTimeInterval(TimeInterval(before)))
                found.append(
                    Transition(
                        at: next, offsetFrom: before, offsetTo: after, daylight: zone.isDaylightSavingTime(for: next),
                        local: local))
            }
            cursor = next
        }
        return found
    }

    /// The observances that give every offset `zone` has between `from` and `to`, and beyond `to` where the
    /// zone's yearly rule goes on.
    static func observances(_ zone: TimeZone, from: Date, to: Date) -> [Observance] {
        // A year before the span, so the observance in force at its start is among them; two after, so a rule still
        // in force at its end is written open-ended.
        let early = from.addingTimeInterval(-400 * 86_400)
        let late = to.addingTimeInterval(800 * 86_400)
        let changes = transitions(zone, from: early, to: late)
        var observances: [Observance] = []
        if changes.first.map({ $0.at > from }) ?? true {
            // Nothing changes before the span starts (or at all): the offset in force then, from then on.
            let offset = zone.secondsFromGMT(for: early)
            let local = utc.dateComponents(
                [.year, .month, .day, .hour, .minute, .second], from: early.addingTimeInterval(TimeInterval(offset)))
            observances.append(
                Observance(
                    daylight: zone.isDaylightSavingTime(for: early), offsetFrom: offset, offsetTo: offset,
                    start: format(DateComponents(year: local.year, month: local.month, day: local.day)), rule: nil))
        }
        // Changes of the same kind at the same wall time in the same month on the same weekday form classes; in each,
        // a run of consecutive years on the same nth (or last) weekday becomes one yearly rule.
        struct Key: Hashable {
            var daylight: Bool
            var offsetFrom: Int
            var offsetTo: Int
            var month: Int
            var weekday: Int
            var time: Int
        }
        var classes: [Key: [Transition]] = [:]
        var order: [Key] = []
        for change in changes {
            let key = Key(
                daylight: change.daylight, offsetFrom: change.offsetFrom, offsetTo: change.offsetTo,
                month: change.local.month ?? 0, weekday: change.local.weekday ?? 0,
                time: (change.local.hour ?? 0) * 3600 + (change.local.minute ?? 0) * 60 + (change.local.second ?? 0))
            if classes[key] == nil { order.append(key) }
            classes[key, default: []].append(change)
        }
        // A rule with a change in the last year looked at is still in force: it is written open-ended.
        let stillRunning = late.addingTimeInterval(-366 * 86_400)
        for key in order {
            let members = classes[key] ?? []
            var index = 0
            while index < members.count {
                var candidates = ordinals(members[index].local)
                var end = index + 1
                while end < members.count,
                    members[end].local.year == (members[end - 1].local.year ?? 0) + 1,
                    !candidates.intersection(ordinals(members[end].local)).isEmpty
                {
                    candidates.formIntersection(ordinals(members[end].local))
                    end += 1
                }
                let first = members[index]
                var observance = Observance(
                    daylight: key.daylight, offsetFrom: key.offsetFrom, offsetTo: key.offsetTo,
                    start: format(first.local), rule: nil)
                if end - index > 1, let ordinal = candidates.min() {
                    var rule = "FREQ=YEARLY;BYMONTH=\(key.month);BYDAY=\(ordinal)\(weekdays[key.weekday - 1])"
                    let last = members[end - 1]
                    // A rule still running in the last year looked at goes on; one that stopped ends at its last change.
                    if last.at <= stillRunning {
                        rule += ";UNTIL=" + formatUTC(last.at)
                    }
                    observance.rule = rule
                }
                observances.append(observance)
                index = end
            }
        }
        return observances
    }

    /// The VTIMEZONE component.
    static func component(_ identifier: String, from: Date, to: Date) -> ContentLines? {
        guard let zone = TimeZone(identifier: identifier) else { return nil }
        var lines = ContentLines()
        lines.raw("BEGIN", "VTIMEZONE")
        lines.raw("TZID", identifier)
        lines.raw("X-LIC-LOCATION", identifier)
        for observance in observances(zone, from: from, to: to) {
            let kind = observance.daylight ? "DAYLIGHT" : "STANDARD"
            lines.raw("BEGIN", kind)
            lines.raw("DTSTART", observance.start)
            if let rule = observance.rule { lines.raw("RRULE", rule) }
            lines.raw("TZOFFSETFROM", offset(observance.offsetFrom))
            lines.raw("TZOFFSETTO", offset(observance.offsetTo))
            lines.text("TZNAME", name(observance.offsetTo))
            lines.raw("END", kind)
        }
        lines.raw("END", "VTIMEZONE")
        return lines
    }

    private static let weekdays = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]

    /// Which nth weekday of its month a day is: `1`...`5`, and `-1` when it is the last.
    private static func ordinals(_ local: DateComponents) -> Set<Int> {
        guard let day = local.day, let month = local.month, let year = local.year else { return [] }
        let length =
            utc.range(of: .day, in: .month, for: utc.date(from: DateComponents(year: year, month: month))!)?.count ?? 31
        var result: Set<Int> = [(day - 1) / 7 + 1]
        if day + 7 > length { result.insert(-1) }
        return result
    }

    /// `+0700`, `-0330`, `+054546` when seconds are needed.
    static func offset(_ seconds: Int) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let value = abs(seconds)
        let text = String(format: "%@%02d%02d", sign, value / 3600, value % 3600 / 60)
        return value % 60 == 0 ? text : text + String(format: "%02d", value % 60)
    }

    /// A name for an offset as the zone data writes numeric ones: `+07`, `+0530`.
    static func name(_ seconds: Int) -> String {
        let text = offset(seconds)
        return text.hasSuffix("00") && text.count == 5 ? String(text.prefix(3)) : text
    }

    static func format(_ local: DateComponents) -> String {
        String(
            format: "%04d%02d%02dT%02d%02d%02d", local.year ?? 1970, local.month ?? 1, local.day ?? 1,
            local.hour ?? 0, local.minute ?? 0, local.second ?? 0)
    }

    static func formatUTC(_ date: Date) -> String {
        format(utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)) + "Z"
    }
}
