/// A recurrence set (RFC 5545 §3.8.5): what a rule produces from its start, with RDATEs added and EXDATEs taken
/// out, within a window, placed in a zone.
struct RecurrenceSet: Sendable {
    /// An occurrence: its local date-time (moved forward if it fell in a gap), and its instant when in a zone.
    struct Occurrence: Hashable, Sendable {
        var local: CivilDateTime
        var utc: Int64?
    }

    /// A bound of the window: a local date-time, or an instant.
    enum Bound: Sendable {
        case local(CivilDateTime)
        case utc(Int64)
    }

    var start: CivilDateTime
    /// All-day: the start, RDATEs and EXDATEs are dates.
    var dateOnly = false
    var rule: RecurrenceRule?
    var zone: ZoneResolver?
    var rdates: [CivilDateTime] = []
    var exdates: [CivilDateTime] = []

    /// The most occurrences a rule may produce before the window, so a far window is refused instead of walked to.
    var maximumSkipped = 10_000_000

    /// The occurrences after `after` (exclusive) up to `before` (inclusive), at most `limit`; `truncated` when
    /// there are more in the window.
    func expand(after: Bound?, before: Bound?, limit: Int) throws(RecurrenceError) -> (
        occurrences: [Occurrence], truncated: Bool
    ) {
        try checkRule()
        let afterKey = after.map(key(of:))
        let beforeKey = before.map(key(of:))
        func inWindow(_ key: Int64) -> Bool {
            (afterKey.map { key > $0 } ?? true) && (beforeKey.map { key <= $0 } ?? true)
        }
        let excluded = Set(exdates.map { key(of: place($0)) })
        var found: [Occurrence] = []
        var keys: [Int64] = []
        // Room for what a COUNT can produce, so a long expansion does not copy itself as it grows.
        if let count = rule?.count {
            found.reserveCapacity(min(limit, count) + rdates.count + 1)
            keys.reserveCapacity(min(limit, count) + rdates.count + 1)
        }
        var truncated = false
        // The rule's occurrences come in order (but for a time a gap moved past the next one), so a repeat is
        // the last one kept; RDATEs are checked against all.
        var ordered = true
        if let rule {
            var iterator = try RecurrenceIterator(rule: rule, start: start)
            iterator.stopDate = lastLocalDate(before: before, until: rule.until)
            var produced = 0
            // The window's end, with a day to spare for times moved by a gap.
            let stopKey = beforeKey.map { $0 + 86_400 }
            while let local = iterator.next() {
                let occurrence = place(local)
                let key = key(of: occurrence)
                if let until = rule.until, past(until, occurrence) { break }
                if let stopKey, key > stopKey { break }
                produced += 1
                if inWindow(key), excluded.isEmpty || !excluded.contains(key), keys.last.map({ $0 < key }) ?? true {
                    guard found.count < limit else {
                        truncated = true
                        break
                    }
                    found.append(occurrence)
                    keys.append(key)
                } else if let last = keys.last, key < last {
                    ordered = false
                    if inWindow(key), !excluded.contains(key), !keys.contains(key) {
                        found.append(occurrence)
                        keys.append(key)
                    }
                }
                if found.isEmpty && produced >= maximumSkipped {
                    throw RecurrenceError(
                        "after",
                        "the rule produces more than \(maximumSkipped) occurrences before the window; "
                            + "start the series later or move the window", tooLarge: true)
                }
            }
        }
        // Without a rule the start is an occurrence; with one, only when the rule produces it (as dateutil).
        let extra = (rule == nil ? [start] : []) + rdates
        if !extra.isEmpty {
            var seen = Set(keys)
            for local in extra {
                let occurrence = place(local)
                let key = key(of: occurrence)
                guard inWindow(key), !excluded.contains(key), seen.insert(key).inserted else { continue }
                found.append(occurrence)
                keys.append(key)
                ordered = false
            }
        }
        if !ordered {
            let order = keys.indices.sorted { keys[$0] < keys[$1] }
            found = order.map { found[$0] }
        }
        if found.count > limit {
            found.removeLast(found.count - limit)
            truncated = true
        }
        return (found, truncated)
    }

    /// The checks that need the start: UNTIL of the start's type, no times of day for an all-day start.
    private func checkRule() throws(RecurrenceError) {
        guard let rule else { return }
        if dateOnly {
            if rule.frequency > .daily {
                throw RecurrenceError("rrule.FREQ", "\(rule.frequency.name) needs a dtstart with a time of day")
            }
            for (name, list) in [("BYHOUR", rule.byHour), ("BYMINUTE", rule.byMinute), ("BYSECOND", rule.bySecond)]
            where !list.isEmpty {
                throw RecurrenceError("rrule.\(name)", "not with an all-day dtstart (a date)")
            }
        }
        switch (rule.until, dateOnly, zone != nil) {
        case (nil, _, _), (.date, true, _), (.utc, false, true), (.local, false, false): return
        case (_, true, _):
            throw RecurrenceError("rrule.UNTIL", "with an all-day dtstart, UNTIL is a date (19971224)")
        case (_, false, true):
            throw RecurrenceError(
                "rrule.UNTIL", "with a dtstart in a time zone, UNTIL is a UTC date-time (19971224T000000Z)")
        case (_, false, false):
            throw RecurrenceError(
                "rrule.UNTIL", "with a floating dtstart (no time_zone), UNTIL is a local date-time (19971224T000000)")
        }
    }

    /// The last local date an occurrence can fall on, given the window's end and UNTIL, with a day to spare for
    /// zone offsets (a UTC bound is read as a wall time).
    private func lastLocalDate(before: Bound?, until: RecurrenceRule.Until?) -> CivilDateTime? {
        var dates: [CivilDateTime] = []
        switch before {
        case .local(let local): dates.append(local)
        case .utc(let utc): dates.append(CivilDateTime(wallSeconds: utc))
        case nil: break
        }
        switch until {
        case .utc(let time), .local(let time), .date(let time): dates.append(time)
        case nil: break
        }
        guard let last = dates.min() else { return nil }
        return CivilDateTime(wallSeconds: last.wallSeconds + 86_400)
    }

    private func place(_ local: CivilDateTime) -> Occurrence {
        guard let zone, !dateOnly else { return Occurrence(local: local, utc: nil) }
        let (utc, shown) = zone.resolve(local)
        return Occurrence(local: shown, utc: utc)
    }

    /// What occurrences and bounds are ordered by: the instant in a zone, else the wall time.
    private func key(of occurrence: Occurrence) -> Int64 { occurrence.utc ?? occurrence.local.wallSeconds }

    private func key(of bound: Bound) -> Int64 {
        switch bound {
        case .local(let local): key(of: place(local))
        case .utc(let utc): utc
        }
    }

    private func past(_ until: RecurrenceRule.Until, _ occurrence: Occurrence) -> Bool {
        switch until {
        case .utc(let time): (occurrence.utc ?? occurrence.local.wallSeconds) > time.wallSeconds
        case .local(let time), .date(let time): occurrence.local > time
        }
    }
}
