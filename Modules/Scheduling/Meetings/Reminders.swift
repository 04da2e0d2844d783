import ConcordKit
import Contracts
import Foundation

/// Durable reminders of meetings and series occurrences, through the store's timers.
///
/// Each reminder is a timer under its own key, written in the transaction that decides it, and listed in
/// `scheduling_reminders` under its owner (`meeting:<id>` or `series:<id>`). A change recomputes the owner's
/// reminders: pending ones no longer wanted are cancelled, new ones set. Only reminders due after the write's
/// time are ever set, so one that has fired (or fires once, late, at start-up) is never set again: nothing fires
/// twice. A series has reminders for its occurrences of the next ``horizonDays`` days (at most
/// ``seriesOccurrences`` of them); the horizon moves on when one fires and when the module starts.
enum Reminders {
    static let horizonDays: Int64 = 400
    static let seriesOccurrences = 20

    struct Planned {
        var key: String
        var due: Date
        var event: MeetingReminderDue
    }

    /// The instant `offset` before `start`: days on the local calendar, then the rest in elapsed time.
    static func due(of placed: Placed, offset: LocalDuration, zone: ZoneResolver) -> Int64 {
        let local = LocalTime.addingDays(-offset.days, to: placed.start)
        return zone.resolve(local).utc - Int64(offset.seconds)
    }

    static func wanted(_ status: MeetingStatus) -> Bool { status != .cancelled && status != .held }

    static func forMeeting(
        _ meeting: Meeting, placed: Placed, zone: ZoneResolver, offsets: [LocalDuration], now: Date
    ) -> [Planned] {
        guard wanted(meeting.fields.status ?? .planned) else { return [] }
        return offsets.compactMap { offset in
            let due = Date(timeIntervalSince1970: TimeInterval(due(of: placed, offset: offset, zone: zone)))
            guard due > now else { return nil }
            return Planned(
                key: "meeting:\(meeting.id):\(placed.startUTC):\(offset.text)", due: due,
                event: MeetingReminderDue(
                    meeting: meeting.id, series: nil, originalStart: nil, title: meeting.fields.title,
                    offset: offset.text, start: placed.startText, startUTC: LocalTime.utcText(placed.startUTC),
                    timeZone: meeting.fields.timeZone ?? ""))
        }
    }

    static func forSeries(
        _ engine: SeriesEngine, overrides: [String: OccurrenceOverride], offsets: [LocalDuration], now: Date
    ) throws -> [Planned] {
        guard !offsets.isEmpty else { return [] }
        let instant = Int64(now.timeIntervalSince1970.rounded(.down))
        let longest = Int64(offsets.map { $0.days * 86_400 + $0.seconds }.max() ?? 0)
        let (items, _) = try engine.items(
            after: .utc(instant - 2 * 86_400), before: .utc(instant + horizonDays * 86_400 + longest),
            limit: seriesOccurrences * 4, overrides: overrides)
        var planned: [Planned] = []
        var occurrences = 0
        for item in items where wanted(item.status) && item.placed.startUTC > instant {
            guard occurrences < seriesOccurrences else { break }
            occurrences += 1
            let title = engine.title(item.override, number: nil)
            for offset in offsets {
                let due = Date(
                    timeIntervalSince1970: TimeInterval(due(of: item.placed, offset: offset, zone: engine.zone)))
                guard due > now else { continue }
                planned.append(
                    Planned(
                        key: "series:\(engine.series.id):\(item.key):\(item.placed.startUTC):\(offset.text)", due: due,
                        event: MeetingReminderDue(
                            meeting: nil, series: engine.series.id, originalStart: item.key, title: title,
                            offset: offset.text, start: item.placed.startText,
                            startUTC: LocalTime.utcText(item.placed.startUTC), timeZone: engine.fields.timeZone ?? "")))
            }
        }
        return planned
    }

    /// Makes `owner`'s pending reminders exactly `planned`, in `transaction`.
    static func apply(owner: String, planned: [Planned], store: SchedulingStore, transaction: WriteTransaction)
        throws
    {
        let pending = try store.pendingReminders(of: owner, after: transaction.now)
        try store.forgetFiredReminders(of: owner, now: transaction.now)
        let wanted = Set(planned.map(\.key))
        for key in pending.keys where !wanted.contains(key) {
            transaction.cancelTimer(key: key)
            try store.removeReminder(key: key)
        }
        for reminder in planned where pending[reminder.key] != reminder.due.timeIntervalSince1970 {
            try transaction.schedule(reminder.event, at: reminder.due, key: reminder.key)
            try store.setReminder(key: reminder.key, owner: owner, due: reminder.due)
        }
    }
}
