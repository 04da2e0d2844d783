import Contracts

/// A date and time of day on the proleptic Gregorian calendar, in no time zone: what a wall clock shows.
///
/// Recurrence is computed in these (RFC 5545 §3.3.10: a rule repeats local time), and only its results are
/// placed in a zone (``ZoneResolver``).
struct CivilDateTime: Hashable, Comparable, Sendable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int

    init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The date of `ordinal` (``Calendar/ordinal(year:month:day:)``) at `hour:minute:second`.
    init(ordinal: Int, hour: Int, minute: Int, second: Int) {
        let (year, month, day) = GregorianCalendar.date(ordinal: ordinal)
        self.init(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// Seconds since 1970-01-01T00:00:00 on the same calendar, as if the wall clock were UTC.
    var wallSeconds: Int64 {
        let days = Int64(
            GregorianCalendar.ordinal(year: year, month: month, day: day) - GregorianCalendar.unixEpochOrdinal)
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    init(wallSeconds: Int64) {
        let (days, rest) = wallSeconds.quotientAndRemainder(dividingBy: 86_400)
        let (dayShift, seconds) = rest < 0 ? (days - 1, rest + 86_400) : (days, rest)
        let time = Int(seconds)
        self.init(
            ordinal: Int(dayShift) + GregorianCalendar.unixEpochOrdinal, hour: time / 3600, minute: time / 60 % 60,
            second: time % 60)
    }

    static func < (lhs: CivilDateTime, rhs: CivilDateTime) -> Bool {
        (lhs.year, lhs.month, lhs.day, lhs.hour, lhs.minute, lhs.second)
            < (rhs.year, rhs.month, rhs.day, rhs.hour, rhs.minute, rhs.second)
    }

    init(_ time: CalendarTime) {
        self.init(
            year: time.year, month: time.month, day: time.day, hour: time.hour, minute: time.minute,
            second: time.second)
    }

    /// As the contracts carry it: a date drops the time of day.
    func calendarTime(_ form: CalendarTime.Form) -> CalendarTime {
        form == .date
            ? CalendarTime(year: year, month: month, day: day, form: .date)
            : CalendarTime(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second, form: form)
    }

    /// `YYYY-MM-DDTHH:MM:SS`, or `YYYY-MM-DD` for a date; with `utc`, followed by `Z`.
    func text(dateOnly: Bool = false, utc: Bool = false) -> String {
        calendarTime(dateOnly ? .date : utc ? .utc : .local).text
    }
}

/// The proleptic Gregorian calendar's arithmetic, with Python's day numbering (0001-01-01 is day 1) and weekdays
/// from Monday (0) to Sunday (6), so the recurrence engine can follow python-dateutil step by step.
enum GregorianCalendar {
    static let unixEpochOrdinal = 719_163

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysInMonth(year: Int, month: Int) -> Int { CalendarTime.daysInMonth(year: year, month: month) }

    static func daysInYear(_ year: Int) -> Int { isLeap(year) ? 366 : 365 }

    /// Days since 0000-12-31 (Python's `date.toordinal`).
    static func ordinal(year: Int, month: Int, day: Int) -> Int {
        CalendarTime.daysSinceEpoch(year: year, month: month, day: day) + unixEpochOrdinal
    }

    static func date(ordinal: Int) -> (year: Int, month: Int, day: Int) {
        let z = ordinal - unixEpochOrdinal + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Monday is 0, Sunday 6.
    static func weekday(ordinal: Int) -> Int { (ordinal + 6) % 7 }
}
