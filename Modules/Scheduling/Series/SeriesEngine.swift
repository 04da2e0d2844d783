import ConcordKit
import Contracts

/// A series' occurrences: the recurrence engine of `scheduling.recurrence.expand` on the series' start, rule,
/// RDATEs and EXDATEs, placed in its zone, with the overrides applied.
struct SeriesEngine: Sendable {
    let series: Series
    let recurrence: RecurrenceSet
    let zone: ZoneResolver
    let duration: LocalDuration

    var dateOnly: Bool { recurrence.dateOnly }
    var fields: SeriesFields { series.fields }

    /// One occurrence before and after its override.
    struct Item: Sendable {
        var original: RecurrenceSet.Occurrence
        var key: String
        var placed: Placed
        var override: OccurrenceOverride?

        var status: MeetingStatus { override?.status ?? .planned }
        var isCancelled: Bool { status == .cancelled }
    }

    init(series: Series) throws {
        self.series = series
        let fields = series.fields
        guard let identifier = fields.timeZone else { throw badField("series.time_zone", "required") }
        zone = try LocalTime.zone(identifier, field: "series.time_zone")
        duration = try LocalDuration.parse(fields.duration, field: "series.duration")
        do {
            var set = try RecurrenceRequest.set(
                of: ExpandRecurrence(
                    dtstart: fields.dtstart, rrule: fields.rrule, timeZone: identifier, rdates: fields.rdates,
                    exdates: fields.exdates))
            set.zone = zone
            self.recurrence = set
        } catch let error {
            throw badField("series.\(error.field)", error.problem)
        }
        if dateOnly, duration.seconds != 0 || duration.days < 1 {
            throw badField("series.duration", "an all-day series lasts whole days (P1D, P2D), got \(fields.duration)")
        }
        if !dateOnly, duration.days == 0, duration.seconds == 0 {
            throw badField("series.duration", "expected more than nothing, got \(fields.duration)")
        }
        if duration.days > 366 { throw badField("series.duration", "an occurrence lasts at most 366 days") }
    }

    /// The key an override is stored under: the original start as the engine writes it.
    func key(of original: RecurrenceSet.Occurrence) -> String { original.local.text(dateOnly: dateOnly) }

    /// Reads an original start as given by a client, in the form the engine writes it.
    func normalizedKey(_ text: String, field: String) throws -> String {
        let (time, _) = try LocalTime.parse(text, field: field, dateOnly: dateOnly)
        return recurrence.zone.map { dateOnly ? time.text(dateOnly: true) : $0.resolve(time).local.text() }
            ?? time.text(dateOnly: dateOnly)
    }

    func bound(_ text: String, field: String) throws -> RecurrenceSet.Bound {
        do {
            return try RecurrenceRequest.bound(text, field: field, of: recurrence)
        } catch let error {
            throw badField(error.field, error.problem)
        }
    }

    /// The original occurrences in the window (`after` exclusive, `before` inclusive).
    func originals(after: RecurrenceSet.Bound? = nil, before: RecurrenceSet.Bound? = nil, limit: Int) throws -> (
        [RecurrenceSet.Occurrence], truncated: Bool
    ) {
        do {
            let (occurrences, truncated) = try recurrence.expand(after: after, before: before, limit: limit)
            return (occurrences, truncated)
        } catch let error {
            throw ConcordError(
                error.tooLarge ? .tooLarge : .badRequest, "series.\(error.field): \(error.problem)",
                details: ["field": .string("series.\(error.field)")])
        }
    }

    /// The occurrences in the window with the overrides applied.
    func items(
        after: RecurrenceSet.Bound? = nil, before: RecurrenceSet.Bound? = nil, limit: Int,
        overrides: [String: OccurrenceOverride]
    ) throws -> (items: [Item], truncated: Bool) {
        let (originals, truncated) = try originals(after: after, before: before, limit: limit)
        var items: [Item] = []
        items.reserveCapacity(originals.count)
        for original in originals {
            let key = key(of: original)
            let override = overrides.isEmpty ? nil : overrides[key]
            items.append(Item(original: original, key: key, placed: place(original, override), override: override))
        }
        return (items, truncated)
    }

    /// Where the occurrence lies once its override's move (if any) applies.
    func place(_ original: RecurrenceSet.Occurrence, _ override: OccurrenceOverride?) -> Placed {
        if let override, let startText = override.start,
            let (start, isDate) = RecurrenceRequest.parse(startText), isDate == dateOnly
        {
            if let endText = override.end, let (end, endIsDate) = RecurrenceRequest.parse(endText),
                endIsDate == dateOnly
            {
                return Placed(start: start, end: end, dateOnly: dateOnly, zone: zone)
            }
            return Placed(start: start, duration: duration, dateOnly: dateOnly, zone: zone)
        }
        return Placed(original, duration: duration, dateOnly: dateOnly, zone: zone)
    }

    /// How many occurrences before `after` were not cancelled: what numbering starts from.
    func numberedBefore(_ after: RecurrenceSet.Bound?, overrides: [String: OccurrenceOverride]) throws -> Int? {
        guard let after else { return 0 }
        let (earlier, truncated) = try originals(before: after, limit: SchedulingModule.maximumLimit)
        guard !truncated else { return nil }
        return earlier.count { overrides[key(of: $0)]?.status != .cancelled }
    }

    /// The reply of `scheduling.series.occurrences`.
    func list(
        after: RecurrenceSet.Bound?, before: RecurrenceSet.Bound?, limit: Int, overrides: [String: OccurrenceOverride],
        hosts: [String: String] = [:]
    ) throws -> OccurrenceList {
        let (items, truncated) = try items(after: after, before: before, limit: limit, overrides: overrides)
        var number = fields.firstNumber == nil ? nil : try numberedBefore(after, overrides: overrides)
        var occurrences: [Occurrence] = []
        occurrences.reserveCapacity(items.count)
        var produced = Set<String>()
        for item in items {
            produced.insert(item.key)
            var shown: Int?
            if let first = fields.firstNumber, let count = number, !item.isCancelled {
                shown = first + count
                number = count + 1
            }
            occurrences.append(occurrence(item, number: shown, host: hosts[item.key]))
        }
        // Overrides inside the window that the series no longer produces.
        let lastKey = truncated ? items.last.map { sortKey($0.original) } : nil
        var unmatched: [String] = []
        for key in overrides.keys.sorted() where !produced.contains(key) {
            guard let (time, isDate) = RecurrenceRequest.parse(key), isDate == dateOnly else { continue }
            let original = RecurrenceSet.Occurrence(local: time, utc: dateOnly ? nil : zone.resolve(time).utc)
            let sort = sortKey(original)
            if let after, sort <= boundKey(after) { continue }
            if let before, sort > boundKey(before) { continue }
            if let lastKey, sort > lastKey { continue }
            unmatched.append(key)
        }
        return OccurrenceList(
            series: series.id, timeZone: fields.timeZone, occurrences: occurrences, truncated: truncated,
            unmatchedOverrides: unmatched)
    }

    /// The overrides the whole series (its first 100 000 occurrences) does not produce.
    func unmatched(_ overrides: [String: OccurrenceOverride]) throws -> [String] {
        guard !overrides.isEmpty else { return [] }
        let (all, _) = try originals(limit: SchedulingModule.maximumLimit)
        let produced = Set(all.map(key(of:)))
        return overrides.keys.filter { !produced.contains($0) }.sorted()
    }

    func occurrence(_ item: Item, number: Int?, host: String?) -> Occurrence {
        let override = item.override
        var title = override?.title ?? fields.title
        if let number { title = Self.fill(title, number: number) }
        return Occurrence(
            originalStart: item.key, start: item.placed.startText, end: item.placed.endText,
            startUTC: LocalTime.utcText(item.placed.startUTC), endUTC: LocalTime.utcText(item.placed.endUTC),
            number: number, title: title, status: item.status, host: override?.host ?? host ?? fields.host,
            venue: override?.venue ?? fields.venue, agenda: override?.agenda, outcomes: override?.outcomes,
            overridden: override != nil)
    }

    /// `title` with `{ordinal}` and `{number}` replaced, in one pass over its bytes (a series of 10 000
    /// occurrences fills 10 000 titles; `String.replacing` took most of the expansion's time).
    static func fill(_ title: String, number: Int) -> String {
        let bytes = Array(title.utf8)
        guard bytes.contains(UInt8(ascii: "{")) else { return title }
        let placeholders: [([UInt8], [UInt8])] = [
            (Array("{ordinal}".utf8), Array(ordinal(number).utf8)),
            (Array("{number}".utf8), Array(String(number).utf8)),
        ]
        var filled: [UInt8] = []
        filled.reserveCapacity(bytes.count + 8)
        var index = 0
        scan: while index < bytes.count {
            if bytes[index] == UInt8(ascii: "{") {
                for (pattern, value) in placeholders
                where bytes.count - index >= pattern.count
                    && bytes[index..<index + pattern.count].elementsEqual(pattern)
                {
                    filled += value
                    index += pattern.count
                    continue scan
                }
            }
            filled.append(bytes[index])
            index += 1
        }
        return String(decoding: filled, as: UTF8.self)
    }

    /// `1st`, `2nd`, `3rd`, `4th`, `11th`, `12th`, `13th`, `21st`.
    static func ordinal(_ number: Int) -> String {
        let suffix: String
        switch (number % 100, number % 10) {
        case (11...13, _): suffix = "th"
        case (_, 1): suffix = "st"
        case (_, 2): suffix = "nd"
        case (_, 3): suffix = "rd"
        default: suffix = "th"
        }
        return "\(number)\(suffix)"
    }

    /// The occurrences, not cancelled, that overlap `[start, end)`, as bookings.
    func bookings(overlapping start: Int64, _ end: Int64, overrides: [String: OccurrenceOverride]) throws
        -> [Booking]
    {
        // Originals that start up to an occurrence's length (or a move) before the window can reach into it.
        let reach = Int64(duration.days + 2) * 86_400 + Int64(duration.seconds)
        let movedKeys = overrides.values.contains { $0.start != nil }
        let after: RecurrenceSet.Bound? = movedKeys ? nil : .utc(start - reach)
        let before: RecurrenceSet.Bound? = movedKeys ? nil : .utc(end + 86_400)
        let (items, _) = try items(
            after: after, before: before, limit: SchedulingModule.maximumLimit, overrides: overrides)
        let actors = Set((fields.host.map { [$0] } ?? []) + (fields.participants ?? []).map(\.actor))
        return items.compactMap { item in
            guard !item.isCancelled, item.placed.startUTC < end, item.placed.endUTC > start else { return nil }
            var involved = actors
            if let host = item.override?.host { involved.insert(host) }
            return Booking(
                subject: "\(series.id)/\(item.key)", title: occurrence(item, number: nil, host: nil).title,
                startUTC: item.placed.startUTC, endUTC: item.placed.endUTC, actors: involved,
                venue: item.override?.venue ?? fields.venue)
        }
    }

    private func sortKey(_ occurrence: RecurrenceSet.Occurrence) -> Int64 {
        occurrence.utc ?? occurrence.local.wallSeconds
    }

    private func boundKey(_ bound: RecurrenceSet.Bound) -> Int64 {
        switch bound {
        case .utc(let utc): utc
        case .local(let local): dateOnly ? local.wallSeconds : zone.resolve(local).utc
        }
    }
}
