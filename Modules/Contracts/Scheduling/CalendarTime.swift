/// A date (`2027-01-04`), a local date-time (`2027-01-04T09:00:00`) or a UTC date-time (`2027-01-04T08:00:00Z`),
/// held as numbers and written as that text on the wire.
///
/// Expansions reply with up to 100 000 occurrences of two to five of these each: as numbers they cost no
/// allocation, and the text is written only when a reply is encoded (or `text` is read).
public struct CalendarTime: Sendable, Hashable, Comparable, Codable, LosslessStringConvertible {
    /// Which of the three texts it is.
    public enum Form: UInt8, Sendable, Hashable, Codable {
        /// `2027-01-04`: an all-day date; the time of day is zero.
        case date
        /// `2027-01-04T09:00:00`: a wall clock, in a zone the context gives (or floating).
        case local
        /// `2027-01-04T08:00:00Z`: an instant.
        case utc
    }

    // Twelve bytes in all: an occurrence carries several.
    private let storedYear: Int32
    private let storedMonth: UInt8
    private let storedDay: UInt8
    private let storedHour: UInt8
    private let storedMinute: UInt8
    private let storedSecond: UInt8
    public let form: Form

    public var year: Int { Int(storedYear) }
    public var month: Int { Int(storedMonth) }
    public var day: Int { Int(storedDay) }
    public var hour: Int { Int(storedHour) }
    public var minute: Int { Int(storedMinute) }
    public var second: Int { Int(storedSecond) }

    /// A date-time from its parts, which must name a real one (a day the month has, 00:00:00 to 23:59:59, and
    /// midnight for a date): a program error otherwise. Text from outside goes through ``init(_:)``, which says
    /// no instead. A year outside 1 to 9999 (the UTC instant of a local time at either end of the calendar) is
    /// written in ISO 8601's expanded form, `+10000-01-01T04:00:00Z`.
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, form: Form) {
        precondition(
            (-9999...99_999).contains(year) && (1...12).contains(month)
                && (1...Self.daysInMonth(year: year, month: month)).contains(day) && (0..<24).contains(hour)
                && (0..<60).contains(minute) && (0..<60).contains(second)
                && (form != .date || hour == 0 && minute == 0 && second == 0),
            "not a calendar time: \(year)-\(month)-\(day) \(hour):\(minute):\(second)")
        storedYear = Int32(year)
        storedMonth = UInt8(month)
        storedDay = UInt8(day)
        storedHour = UInt8(hour)
        storedMinute = UInt8(minute)
        storedSecond = UInt8(second)
        self.form = form
    }

    /// Reads exactly one of the three texts; nil for anything else (another length, a 30 February, 24:00:00).
    public init?(_ text: String) {
        var text = text
        let parsed: CalendarTime?? = text.withUTF8 { bytes in
            let form: Form
            switch bytes.count {
            case 10: form = .date
            case 19: form = .local
            case 20 where bytes[19] == UInt8(ascii: "Z"): form = .utc
            default: return nil
            }
            func number(_ range: Range<Int>) -> Int? {
                var value = 0
                for byte in bytes[range] {
                    guard (48...57).contains(byte) else { return nil }
                    value = value * 10 + Int(byte - 48)
                }
                return value
            }
            guard let year = number(0..<4), bytes[4] == UInt8(ascii: "-"), let month = number(5..<7),
                bytes[7] == UInt8(ascii: "-"), let day = number(8..<10)
            else { return nil }
            guard form != .date else {
                guard Self.isValid(year: year, month: month, day: day, hour: 0, minute: 0, second: 0) else {
                    return nil
                }
                return CalendarTime(year: year, month: month, day: day, form: .date)
            }
            guard bytes[10] == UInt8(ascii: "T"), let hour = number(11..<13), bytes[13] == UInt8(ascii: ":"),
                let minute = number(14..<16), bytes[16] == UInt8(ascii: ":"), let second = number(17..<19),
                Self.isValid(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
            else { return nil }
            return CalendarTime(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second, form: form)
        }
        guard let parsed, let parsed else { return nil }
        self = parsed
    }

    /// The same date and time of day in another form (a date drops the time of day).
    public func with(form: Form) -> CalendarTime {
        form == .date
            ? CalendarTime(year: year, month: month, day: day, form: .date)
            : CalendarTime(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second, form: form)
    }

    /// The text: 10, 19 or 20 characters (more for a year outside 1 to 9999).
    public var text: String {
        guard (1...9999).contains(year) else {
            let digits = String(abs(year))
            let shown = (year < 0 ? "-" : "+") + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
            return shown
                + CalendarTime(
                    year: 2000, month: month, day: day, hour: hour, minute: minute,
                    second: second, form: form
                ).text.dropFirst(4)
        }
        let count =
            switch form {
            case .date: 10
            case .local: 19
            case .utc: 20
            }
        return String(unsafeUninitializedCapacity: count) { buffer in
            func two(_ value: Int, at offset: Int) {
                let (tens, ones) = value.quotientAndRemainder(dividingBy: 10)
                buffer[offset] = UInt8(truncatingIfNeeded: 48 + tens)
                buffer[offset + 1] = UInt8(truncatingIfNeeded: 48 + ones)
            }
            let (century, yearOfCentury) = year.quotientAndRemainder(dividingBy: 100)
            two(century, at: 0)
            two(yearOfCentury, at: 2)
            buffer[4] = UInt8(ascii: "-")
            two(month, at: 5)
            buffer[7] = UInt8(ascii: "-")
            two(day, at: 8)
            if form != .date {
                buffer[10] = UInt8(ascii: "T")
                two(hour, at: 11)
                buffer[13] = UInt8(ascii: ":")
                two(minute, at: 14)
                buffer[16] = UInt8(ascii: ":")
                two(second, at: 17)
                if form == .utc { buffer[19] = UInt8(ascii: "Z") }
            }
            return count
        }
    }

    public var description: String { text }

    /// In calendar order, then date, local, UTC for the same parts.
    public static func < (lhs: CalendarTime, rhs: CalendarTime) -> Bool {
        (lhs.orderKey, lhs.form.rawValue) < (rhs.orderKey, rhs.form.rawValue)
    }

    private var orderKey: Int64 {
        Int64(storedYear) << 40 | Int64(storedMonth) << 32 | Int64(storedDay) << 24 | Int64(storedHour) << 16
            | Int64(storedMinute) << 8 | Int64(storedSecond)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let time = CalendarTime(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription:
                    "expected a date (2027-01-04), a local date-time (2027-01-04T09:00:00) or a UTC date-time "
                    + "(2027-01-04T08:00:00Z), got \"\(text)\"")
        }
        self = time
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    /// Whether the parts name a real date and time of day on the proleptic Gregorian calendar.
    public static func isValid(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Bool {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1, (0..<24).contains(hour),
            (0..<60).contains(minute), (0..<60).contains(second)
        else { return false }
        return day <= daysInMonth(year: year, month: month)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil); negative before.
    @inlinable
    public static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date's day number, ``daysSinceEpoch(year:month:day:)``.
    public var daysSinceEpoch: Int { Self.daysSinceEpoch(year: year, month: month, day: day) }

    /// 28 to 31.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
