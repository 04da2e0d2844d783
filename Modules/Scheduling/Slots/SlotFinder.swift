import ConcordKit
import Contracts

/// Finds times when participants in many zones can meet: each participant's local working hours, less their
/// holidays, blackout days and meetings, on a grid of quarter hours in UTC.
///
/// Working hours are placed day by day in the participant's zone, so a daylight-saving change moves them in
/// UTC as it moves the participant's clock.
struct SlotFinder {
    struct Attendee {
        var actor: String
        var focalPoint: String?
        var optional: Bool
        var zoneIdentifier: String
        var zone: ZoneResolver
        var hours: WorkingHours
        /// Blocked stretches (UTC seconds) and why: `holiday: …`, `blackout: …`, `meeting: …`.
        var blocks: [(start: Int64, end: Int64, reason: String)] = []
    }

    static let cell: Int64 = 900

    var attendees: [Attendee]
    /// The window's first instant (a UTC midnight) and its number of days.
    var origin: Int64
    var days: Int
    var duration: Int64
    var step: Int
    var minAttendance: Double
    var limit: Int

    var cells: Int { days * 96 }

    /// Cells inside working hours, per zone and hours, shared by the participants that have the same.
    private func workingCells(zone: ZoneResolver, hours: WorkingHours) -> [Bool] {
        var working = [Bool](repeating: false, count: cells)
        let (startMinute, endMinute) = (Self.minutes(hours.start) ?? 480, Self.minutes(hours.end) ?? 1080)
        let firstDay = CivilDateTime(wallSeconds: origin)
        // A day either side: zones far from UTC start or end their working day on the neighbouring UTC date.
        for dayOffset in -1...days {
            let day = LocalTime.addingDays(dayOffset, to: firstDay)
            let ordinal = GregorianCalendar.ordinal(year: day.year, month: day.month, day: day.day)
            let isoWeekday = GregorianCalendar.weekday(ordinal: ordinal) + 1
            guard hours.days.contains(isoWeekday) else { continue }
            let start = zone.resolve(
                CivilDateTime(
                    year: day.year, month: day.month, day: day.day, hour: startMinute / 60, minute: startMinute % 60)
            ).utc
            let endLocal = CivilDateTime(wallSeconds: day.wallSeconds + Int64(endMinute) * 60)
            let end = zone.resolve(endLocal).utc
            let first = max(0, Int((start - origin + Self.cell - 1).floorDivided(by: Self.cell)))
            let last = min(cells, Int((end - origin).floorDivided(by: Self.cell)))
            if first < last { for index in first..<last { working[index] = true } }
        }
        return working
    }

    /// `HH:MM` as minutes of the day.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]),
            let minute = Int(parts[1]), (0...24).contains(hour), (0..<60).contains(minute), hour * 60 + minute <= 1440
        else { return nil }
        return hour * 60 + minute
    }

    func find() -> SlotSuggestions {
        let cellsPerSlot = Int(duration / Self.cell)
        guard cellsPerSlot > 0, cellsPerSlot <= cells, !attendees.isEmpty else {
            return SlotSuggestions(
                slots: [], emptyReason: .noCommonWorkingHours,
                explanation: "the date range is shorter than the meeting")
        }
        var shared: [String: [Bool]] = [:]
        // Prefix sums: free cells (working, not blocked) and working cells, per attendee.
        var freeSums: [[Int32]] = []
        var workingSums: [[Int32]] = []
        for attendee in attendees {
            let key = "\(attendee.zoneIdentifier)|\(attendee.hours.days)|\(attendee.hours.start)|\(attendee.hours.end)"
            let working =
                shared[key]
                ?? {
                    let cells = workingCells(zone: attendee.zone, hours: attendee.hours)
                    shared[key] = cells
                    return cells
                }()
            var free = working
            for block in attendee.blocks {
                let first = max(0, Int((block.start - origin).floorDivided(by: Self.cell)))
                let last = min(cells, Int((block.end - origin + Self.cell - 1).floorDivided(by: Self.cell)))
                if first < last { for index in first..<last { free[index] = false } }
            }
            var freeSum = [Int32](repeating: 0, count: cells + 1)
            var workingSum = [Int32](repeating: 0, count: cells + 1)
            for index in 0..<cells {
                freeSum[index + 1] = freeSum[index] + (free[index] ? 1 : 0)
                workingSum[index + 1] = workingSum[index] + (working[index] ? 1 : 0)
            }
            freeSums.append(freeSum)
            workingSums.append(workingSum)
        }
        let required = attendees.indices.filter { !attendees[$0].optional }
        let optional = attendees.indices.filter { attendees[$0].optional }
        let ranked = required.isEmpty ? optional : required
        let needed = max(1, Int((minAttendance * Double(ranked.count) - 1e-9).rounded(.up)))
        let stepCells = step / 15
        let span = Int32(cellsPerSlot)
        // Counted participant by participant over flat arrays (not candidate by candidate through nested
        // arrays): each participant's sums are read once, in order.
        let starts = (cells - cellsPerSlot) / stepCells + 1
        var available = [Int32](repeating: 0, count: starts)
        var working = [Int32](repeating: 0, count: starts)
        var extra = [Int32](repeating: 0, count: starts)
        let rankedSet = Set(ranked)
        for index in attendees.indices {
            let isRanked = rankedSet.contains(index)
            guard isRanked || !required.isEmpty else { continue }
            freeSums[index].withUnsafeBufferPointer { free in
                workingSums[index].withUnsafeBufferPointer { inHours in
                    for candidate in 0..<starts {
                        let start = candidate * stepCells
                        let isFree = free[start + cellsPerSlot] - free[start] == span
                        if isRanked {
                            if isFree { available[candidate] += 1 }
                            if inHours[start + cellsPerSlot] - inHours[start] == span { working[candidate] += 1 }
                        } else if isFree {
                            extra[candidate] += 1
                        }
                    }
                }
            }
        }
        var candidates: [(start: Int, score: Int)] = []
        let bestWorking = Int(working.max() ?? 0)
        for candidate in 0..<starts where Int(available[candidate]) >= needed {
            candidates.append((candidate * stepCells, Int(available[candidate]) * 10_000 + Int(extra[candidate])))
        }
        guard !candidates.isEmpty else {
            let window =
                "\(CivilDateTime(wallSeconds: origin).text(dateOnly: true)) to "
                + "\(CivilDateTime(wallSeconds: origin + Int64(days - 1) * 86_400).text(dateOnly: true))"
            if bestWorking < needed {
                return SlotSuggestions(
                    slots: [], emptyReason: .noCommonWorkingHours,
                    explanation:
                        "no \(duration / 60)-minute time from \(window) is within the working hours of \(needed) of "
                        + "the \(ranked.count) required participants (at most \(bestWorking) at once)")
            }
            return SlotSuggestions(
                slots: [], emptyReason: .attendeesUnavailable,
                explanation:
                    "working hours overlap, but holidays, blackouts or meetings leave no \(duration / 60)-minute time "
                    + "from \(window) when \(needed) of the \(ranked.count) required participants are free")
        }
        candidates.sort { ($0.score, -$0.start) > ($1.score, -$1.start) }
        var chosen: [Int] = []
        for candidate in candidates where chosen.count < limit {
            if chosen.contains(where: { abs($0 - candidate.start) < cellsPerSlot }) { continue }
            chosen.append(candidate.start)
        }
        let slots = chosen.map { start in
            slot(
                start: start, cellsPerSlot: cellsPerSlot, freeSums: freeSums, workingSums: workingSums,
                ranked: ranked)
        }
        return SlotSuggestions(slots: slots)
    }

    private func slot(
        start: Int, cellsPerSlot: Int, freeSums: [[Int32]], workingSums: [[Int32]], ranked: [Int]
    ) -> SlotSuggestions.Slot {
        let startUTC = origin + Int64(start) * Self.cell
        let endUTC = startUTC + duration
        let span = Int32(cellsPerSlot)
        var attendance: [SlotSuggestions.Attendance] = []
        var missing: [String] = []
        var available = 0
        for (index, attendee) in attendees.enumerated() {
            let free = freeSums[index][start + cellsPerSlot] - freeSums[index][start] == span
            var reason: String?
            if !free {
                if workingSums[index][start + cellsPerSlot] - workingSums[index][start] != span {
                    reason = "outside working hours (\(attendee.hours.start)-\(attendee.hours.end))"
                } else {
                    reason =
                        attendee.blocks.first { $0.start < endUTC && $0.end > startUTC }?.reason ?? "unavailable"
                }
            }
            if ranked.contains(index) {
                if free { available += 1 } else { missing.append("\(attendee.actor) (\(reason ?? "-"))") }
            }
            func local(_ utc: Int64) -> String {
                CivilDateTime(wallSeconds: utc + Int64(attendee.zone.offset(at: utc))).text()
            }
            attendance.append(
                SlotSuggestions.Attendance(
                    actor: attendee.actor, focalPoint: attendee.focalPoint, timeZone: attendee.zoneIdentifier,
                    localStart: local(startUTC), localEnd: local(endUTC), available: free, reason: reason))
        }
        let who = ranked.count == attendees.count ? "participants" : "required participants"
        let reason =
            missing.isEmpty
            ? "all \(ranked.count) \(who) within working hours and free"
            : "\(available) of \(ranked.count) \(who) available; not: " + missing.joined(separator: ", ")
        return SlotSuggestions.Slot(
            startUTC: LocalTime.utcText(startUTC), endUTC: LocalTime.utcText(endUTC),
            attendance: Double(available) / Double(ranked.count), available: available, reason: reason,
            attendees: attendance)
    }
}

extension Int64 {
    /// Division rounding towards negative infinity.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
