import Contracts
import Foundation
import Synchronization

/// Quiet hours and digest cuts in a recipient's local time, with Foundation's calendar doing the zone arithmetic
/// (IANA rules, daylight-saving changes).
///
/// A local time that a spring-forward skips is taken as the first instant after the gap; one that a fall-back
/// repeats is taken at its first occurrence only, so a digest is neither an hour late nor sent twice.
struct LocalTime: Sendable {
    let zone: TimeZone
    private let calendar: Calendar

    private static let cache = Mutex<[String: LocalTime]>([:])

    /// The local time of the zone named `identifier` (UTC when there is none such), made once per zone.
    static func of(_ identifier: String) -> LocalTime {
        if let known = cache.withLock({ $0[identifier] }) { return known }
        let made = LocalTime(zone: TimeZone(identifier: identifier) ?? TimeZone(identifier: "UTC")!)
        cache.withLock { $0[identifier] = made }
        return made
    }

    init(zone: TimeZone) {
        self.zone = zone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        self.calendar = calendar
    }

    /// `HH:MM` as minutes after midnight, or nil when it is not a time of day.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hour = Int(parts[0]),
            let minute = Int(parts[1]), (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        return hour * 60 + minute
    }

    static let weekdays = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    /// `2026-12-05 09:00 +07`: the local date and time and the offset then.
    func format(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let offset = zone.secondsFromGMT(for: date)
        let hours = abs(offset) / 3600
        let minutes = abs(offset) % 3600 / 60
        let day = String(
            format: "%04d-%02d-%02d %02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!)
        return day + " " + (offset < 0 ? "-" : "+") + String(format: "%02d", hours)
            + (minutes == 0 ? "" : String(format: ":%02d", minutes))
    }

    // MARK: Quiet hours

    /// Whether `instant` falls in the recipient's quiet hours.
    func isQuiet(_ instant: Date, _ quiet: QuietHours) -> Bool {
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: instant)
        if quiet.weekends, parts.weekday == 1 || parts.weekday == 7 { return true }
        guard let start = Self.minutes(quiet.start), let end = Self.minutes(quiet.end), start != end else {
            return false
        }
        let now = parts.hour! * 60 + parts.minute!
        return start < end ? (start <= now && now < end) : (now >= start || now < end)
    }

    /// The first instant at or after `instant` outside the quiet hours: `instant` itself when it is not quiet.
    func nextWindow(from instant: Date, _ quiet: QuietHours) -> Date {
        var candidate = instant
        // Each step jumps to the next local time where quiet could end (the end time, or a Monday's midnight);
        // a week of steps covers every arrangement.
        for _ in 0..<16 where isQuiet(candidate, quiet) {
            var targets: [Date] = []
            if let end = Self.minutes(quiet.end) {
                targets.append(next(hour: end / 60, minute: end % 60, after: candidate))
            }
            if quiet.weekends,
                let monday = calendar.nextDate(
                    after: candidate, matching: DateComponents(hour: 0, minute: 0, weekday: 2),
                    matchingPolicy: .nextTime, repeatedTimePolicy: .first)
            {
                targets.append(monday)
            }
            guard let step = targets.min() else { break }
            candidate = step
        }
        return candidate
    }

    /// When something due at `instant` may go, and why it waits when it must: the end of quiet hours.
    func hold(_ instant: Date, _ quiet: QuietHours) -> (due: Date, held: String?) {
        let window = nextWindow(from: instant, quiet)
        return window > instant ? (window, "quiet hours until \(format(window))") : (instant, nil)
    }

    // MARK: Digests

    /// The next cut of a digest strictly after `instant`: the next full hour, or the next local `at` (on the
    /// weekday, for weekly ones).
    func nextCut(after instant: Date, _ cadence: Cadence) -> Date? {
        let at = cadence.at.flatMap(Self.minutes) ?? 8 * 60
        switch cadence.every {
        case .immediate:
            return nil
        case .hourly:
            return calendar.nextDate(
                after: instant, matching: DateComponents(minute: 0, second: 0), matchingPolicy: .nextTime,
                repeatedTimePolicy: .first)
        case .daily:
            return next(hour: at / 60, minute: at % 60, after: instant)
        case .weekly:
            let weekday = cadence.weekday.flatMap { Self.weekdays.firstIndex(of: $0) }.map { $0 + 1 } ?? 2
            return calendar.nextDate(
                after: instant, matching: DateComponents(hour: at / 60, minute: at % 60, second: 0, weekday: weekday),
                matchingPolicy: .nextTime, repeatedTimePolicy: .first)
        }
    }

    /// The next local `hour:minute` strictly after `instant`.
    private func next(hour: Int, minute: Int, after instant: Date) -> Date {
        calendar.nextDate(
            after: instant, matching: DateComponents(hour: hour, minute: minute, second: 0),
            matchingPolicy: .nextTime, repeatedTimePolicy: .first)!
    }
}
