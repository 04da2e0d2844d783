import ConcordKit
import Contracts
import Dispatch
import Foundation

/// A series' occurrences: the recurrence engine of `scheduling.recurrence.expand` on the series' start, rule,
/// RDATEs and EXDATEs, placed in its zone, with the overrides applied.
struct SeriesEngine: Sendable {
    let series: Series
    let recurrence: RecurrenceSet
    let zone: ZoneResolver
    let duration: LocalDuration
    let template: TitleTemplate?

    var dateOnly: Bool { recurrence.dateOnly }
    /// Stored, not read through `series` each time: a computed copy retained and released every string of the
    /// fields, several times for each occurrence.
    let fields: SeriesFields

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
        self.fields = fields
        guard let identifier = fields.timeZone else { throw badField("series.time_zone", "required") }
        zone = try LocalTime.zone(identifier, field: "series.time_zone")
        duration = try LocalDuration.parse(fields.duration, field: "series.duration")
        template = TitleTemplate(fields.title)
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
        let (originals, truncated) = try originals(after: after, before: before, limit: limit)
        // Overrides by instant, so the first pass (status and numbers, in order) writes no strings.
        // (Indexes, not the overrides: an array of optional overrides is mostly empty room to copy.)
        let list = Array(overrides.values)
        var byInstant: [Int64: Int] = [:]
        for (index, override) in list.enumerated() {
            guard let (time, isDate) = RecurrenceRequest.parse(override.originalStart), isDate == dateOnly else {
                continue
            }
            byInstant[sortKey(RecurrenceSet.Occurrence(local: time, utc: dateOnly ? nil : zone.resolve(time).utc))] =
                index
        }
        var found: [Int] = []
        var numbers: [Int?] = []
        found.reserveCapacity(originals.count)
        numbers.reserveCapacity(originals.count)
        var number = fields.firstNumber == nil ? nil : try numberedBefore(after, overrides: overrides)
        var produced = Set<String>()
        for original in originals {
            let index = byInstant.isEmpty ? nil : byInstant[sortKey(original)]
            let override = index.map { list[$0] }
            if let override { produced.insert(override.originalStart) }
            found.append(index ?? -1)
            if let first = fields.firstNumber, let count = number, override?.status != .cancelled {
                numbers.append(first + count)
                number = count + 1
            } else {
                numbers.append(nil)
            }
        }
        // The second pass writes each occurrence's texts, independently: a large expansion is cut into one part
        // per processor.
        let overridden = found
        let numbered = numbers
        let occurrences = [Occurrence](unsafeUninitializedCapacity: originals.count) { buffer, initialized in
            let output = UncheckedBuffer(buffer: buffer)
            let build: @Sendable (Range<Int>) -> Void = { range in
                for index in range {
                    let original = originals[index]
                    let host = hosts.isEmpty ? nil : hosts[key(of: original)]
                    // Most occurrences have no override: their path never copies an (empty) optional one.
                    guard overridden[index] >= 0 else {
                        output.initialize(
                            index,
                            to: occurrence(
                                original, placed: Placed(original, duration: duration, dateOnly: dateOnly, zone: zone),
                                number: numbered[index], host: host))
                        continue
                    }
                    let override = list[overridden[index]]
                    output.initialize(
                        index,
                        to: occurrence(
                            original, placed: place(original, override), override: override, number: numbered[index],
                            host: host))
                }
            }
            let parts = originals.count >= 2048 ? max(1, ProcessInfo.processInfo.activeProcessorCount) : 1
            if parts == 1 {
                build(0..<originals.count)
            } else {
                let size = (originals.count + parts - 1) / parts
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    build(part * size..<min(originals.count, (part + 1) * size))
                }
            }
            initialized = originals.count
        }
        // Overrides inside the window that the series no longer produces.
        let lastKey = truncated ? originals.last.map(sortKey) : nil
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
        guard let override = item.override else {
            return occurrence(item.original, placed: item.placed, number: number, host: host)
        }
        return occurrence(item.original, placed: item.placed, override: override, number: number, host: host)
    }

    /// The occurrence as its override changes it.
    func occurrence(
        _ original: RecurrenceSet.Occurrence, placed: Placed, override: OccurrenceOverride, number: Int?,
        host: String?
    ) -> Occurrence {
        occurrence(
            original, placed: placed, number: number, title: title(override, number: number),
            status: override.status ?? .planned, host: override.host ?? host ?? fields.host,
            venue: override.venue ?? fields.venue, agenda: override.agenda, outcomes: override.outcomes,
            overridden: true)
    }

    /// An occurrence as the series gives it, without an override.
    func occurrence(_ original: RecurrenceSet.Occurrence, placed: Placed, number: Int?, host: String?) -> Occurrence {
        occurrence(
            original, placed: placed, number: number, title: title(nil, number: number), status: .planned,
            host: host ?? fields.host, venue: fields.venue, agenda: nil, outcomes: nil, overridden: false)
    }

    /// The occurrence as replies carry it: its times as numbers, so that 100 000 of them write no text.
    private func occurrence(
        _ original: RecurrenceSet.Occurrence, placed: Placed, number: Int?, title: String, status: MeetingStatus,
        host: String?, venue: Venue?, agenda: [AgendaItem]?, outcomes: [String]?, overridden: Bool
    ) -> Occurrence {
        let form: CalendarTime.Form = dateOnly ? .date : .local
        return Occurrence(
            originalStart: original.local.calendarTime(form), start: placed.start.calendarTime(form),
            end: placed.end.calendarTime(form),
            startUTC: CivilDateTime(wallSeconds: placed.startUTC).calendarTime(.utc),
            endUTC: CivilDateTime(wallSeconds: placed.endUTC).calendarTime(.utc), number: number, title: title,
            status: status, host: host, venue: venue, agenda: agenda, outcomes: outcomes, overridden: overridden)
    }

    /// The override's own title or the series', with its number filled in.
    func title(_ override: OccurrenceOverride?, number: Int?) -> String {
        if let own = override?.title { return number.map { Self.fill(own, number: $0) } ?? own }
        if let number, let template { return template.filled(number) }
        return fields.title
    }

    /// The series' title cut at its placeholders, once; nil when it has none.
    struct TitleTemplate: Sendable {
        /// The title's bytes without its placeholders, and where each placeholder goes.
        let bytes: [UInt8]
        /// (offset in `bytes`, ordinal?) in order.
        let slots: [(offset: Int, ordinal: Bool)]

        init?(_ title: String) {
            guard title.contains("{number}") || title.contains("{ordinal}") else { return nil }
            var bytes: [UInt8] = []
            var slots: [(offset: Int, ordinal: Bool)] = []
            let source = Array(title.utf8)
            let ordinal = Array("{ordinal}".utf8)
            let number = Array("{number}".utf8)
            var index = 0
            while index < source.count {
                if source[index...].starts(with: ordinal) {
                    slots.append((bytes.count, true))
                    index += ordinal.count
                } else if source[index...].starts(with: number) {
                    slots.append((bytes.count, false))
                    index += number.count
                } else {
                    bytes.append(source[index])
                    index += 1
                }
            }
            self.bytes = bytes
            self.slots = slots
        }

        /// The title for `number` (1 or more), written straight into the string's storage.
        func filled(_ number: Int) -> String {
            var digits = 1
            var rest = number / 10
            while rest > 0 {
                digits += 1
                rest /= 10
            }
            let suffix: (UInt8, UInt8) =
                switch (number % 100, number % 10) {
                case (11...13, _): (UInt8(ascii: "t"), UInt8(ascii: "h"))
                case (_, 1): (UInt8(ascii: "s"), UInt8(ascii: "t"))
                case (_, 2): (UInt8(ascii: "n"), UInt8(ascii: "d"))
                case (_, 3): (UInt8(ascii: "r"), UInt8(ascii: "d"))
                default: (UInt8(ascii: "t"), UInt8(ascii: "h"))
                }
            var count = bytes.count
            for slot in slots { count += digits + (slot.ordinal ? 2 : 0) }
            return bytes.withUnsafeBufferPointer { source in
                String(unsafeUninitializedCapacity: count) { buffer in
                    var offset = 0
                    var copied = 0
                    for slot in slots {
                        for byte in source[copied..<slot.offset] {
                            buffer[offset] = byte
                            offset += 1
                        }
                        copied = slot.offset
                        var value = number
                        for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                            buffer[index] = UInt8(truncatingIfNeeded: 48 + value % 10)
                            value /= 10
                        }
                        offset += digits
                        if slot.ordinal {
                            buffer[offset] = suffix.0
                            buffer[offset + 1] = suffix.1
                            offset += 2
                        }
                    }
                    for byte in source[copied...] {
                        buffer[offset] = byte
                        offset += 1
                    }
                    return offset
                }
            }
        }
    }

    /// `title` with `{ordinal}` and `{number}` replaced (an override's own title, parsed each time).
    static func fill(_ title: String, number: Int) -> String {
        TitleTemplate(title)?.filled(number) ?? title
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
                subject: "\(series.id)/\(item.key)", title: title(item.override, number: nil),
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

/// A buffer that parts of one expansion fill at disjoint indexes, from several threads.
private struct UncheckedBuffer: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Occurrence>

    /// Moves the occurrence in (a copy would retain and release each of its strings).
    func initialize(_ index: Int, to occurrence: consuming Occurrence) {
        (buffer.baseAddress! + index).initialize(to: occurrence)
    }
}
