/// An RFC 5545 recurrence rule (§3.3.10), parsed and checked part by part.
struct RecurrenceRule: Hashable, Sendable {
    enum Frequency: Int, Comparable, Sendable, CaseIterable {
        case yearly, monthly, weekly, daily, hourly, minutely, secondly

        static func < (lhs: Frequency, rhs: Frequency) -> Bool { lhs.rawValue < rhs.rawValue }

        var name: String { ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"][rawValue] }
    }

    /// A weekday (Monday 0 to Sunday 6), with its ordinal within the month or year (0 for every one).
    struct WeekdayNumber: Hashable, Sendable {
        var weekday: Int
        var ordinal: Int
    }

    /// The end of a rule: a UTC date-time, a local (floating) date-time, or a date, as written.
    enum Until: Hashable, Sendable {
        case utc(CivilDateTime)
        case local(CivilDateTime)
        case date(CivilDateTime)
    }

    var frequency: Frequency
    var interval = 1
    var count: Int?
    var until: Until?
    var bySecond: [Int] = []
    var byMinute: [Int] = []
    var byHour: [Int] = []
    var byDay: [WeekdayNumber] = []
    var byMonthDay: [Int] = []
    var byYearDay: [Int] = []
    var byWeekNumber: [Int] = []
    var byMonth: [Int] = []
    var bySetPosition: [Int] = []
    var weekStart = 0

    static let weekdayNames = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]

    /// Parses `text` (`FREQ=MONTHLY;BYDAY=-1FR;COUNT=10`); the error names the part and what it expects.
    static func parse(_ text: String) throws(RecurrenceError) -> RecurrenceRule {
        var parts: [String: String] = [:]
        var order: [String] = []
        let body = text.hasPrefix("RRULE:") ? String(text.dropFirst(6)) : text
        for piece in body.split(separator: ";", omittingEmptySubsequences: false) {
            guard let equals = piece.firstIndex(of: "=") else {
                throw RecurrenceError(
                    "rrule", "expected NAME=VALUE parts separated by \";\", got \"\(piece)\"")
            }
            let name = piece[..<equals].uppercased()
            guard known.contains(name) else {
                throw RecurrenceError(
                    "rrule.\(name)", "unknown part; expected one of \(known.sorted().joined(separator: ", "))")
            }
            guard parts[name] == nil else { throw RecurrenceError("rrule.\(name)", "given twice") }
            parts[name] = String(piece[piece.index(after: equals)...])
            order.append(name)
        }
        guard let frequencyText = parts["FREQ"] else {
            throw RecurrenceError("rrule.FREQ", "required; expected one of \(frequencyNames)")
        }
        guard let frequency = Frequency.allCases.first(where: { $0.name == frequencyText.uppercased() }) else {
            throw RecurrenceError("rrule.FREQ", "expected one of \(frequencyNames), got \"\(frequencyText)\"")
        }
        var rule = RecurrenceRule(frequency: frequency)
        for name in order {
            let value = parts[name] ?? ""
            switch name {
            case "INTERVAL": rule.interval = try positive(value, name)
            case "COUNT": rule.count = try positive(value, name)
            case "UNTIL": rule.until = try until(value)
            case "BYSECOND": rule.bySecond = try numbers(value, name, 0...59, signed: false)
            case "BYMINUTE": rule.byMinute = try numbers(value, name, 0...59, signed: false)
            case "BYHOUR": rule.byHour = try numbers(value, name, 0...23, signed: false)
            case "BYMONTHDAY": rule.byMonthDay = try numbers(value, name, 1...31, signed: true)
            case "BYYEARDAY": rule.byYearDay = try numbers(value, name, 1...366, signed: true)
            case "BYWEEKNO": rule.byWeekNumber = try numbers(value, name, 1...53, signed: true)
            case "BYMONTH": rule.byMonth = try numbers(value, name, 1...12, signed: false)
            case "BYSETPOS": rule.bySetPosition = try numbers(value, name, 1...366, signed: true)
            case "BYDAY": rule.byDay = try weekdays(value)
            case "WKST":
                guard let day = weekdayNames.firstIndex(of: value.uppercased()) else {
                    throw RecurrenceError("rrule.WKST", "expected one of MO, TU, WE, TH, FR, SA, SU, got \"\(value)\"")
                }
                rule.weekStart = day
            default: break
            }
        }
        try rule.check()
        return rule
    }

    /// The combinations RFC 5545 rules out.
    private func check() throws(RecurrenceError) {
        if count != nil && until != nil {
            throw RecurrenceError("rrule.UNTIL", "not with COUNT; a rule ends at one or the other")
        }
        if !byWeekNumber.isEmpty && frequency != .yearly {
            throw RecurrenceError("rrule.BYWEEKNO", "only with FREQ=YEARLY, got FREQ=\(frequency.name)")
        }
        if !byYearDay.isEmpty && [.monthly, .weekly, .daily].contains(frequency) {
            throw RecurrenceError("rrule.BYYEARDAY", "not with FREQ=\(frequency.name)")
        }
        if !byMonthDay.isEmpty && frequency == .weekly {
            throw RecurrenceError("rrule.BYMONTHDAY", "not with FREQ=WEEKLY")
        }
        if let ordinal = byDay.first(where: { $0.ordinal != 0 }) {
            let allowed = frequency == .monthly || (frequency == .yearly && byWeekNumber.isEmpty)
            if !allowed {
                throw RecurrenceError(
                    "rrule.BYDAY",
                    "an ordinal (\(ordinal.ordinal)\(Self.weekdayNames[ordinal.weekday])) needs FREQ=MONTHLY, or "
                        + "FREQ=YEARLY without BYWEEKNO")
            }
            if frequency == .monthly, abs(ordinal.ordinal) > 5 {
                throw RecurrenceError(
                    "rrule.BYDAY", "with FREQ=MONTHLY an ordinal is -5..-1 or 1..5, got \(ordinal.ordinal)")
            }
        }
        let other =
            !(bySecond.isEmpty && byMinute.isEmpty && byHour.isEmpty && byDay.isEmpty && byMonthDay.isEmpty
            && byYearDay.isEmpty && byWeekNumber.isEmpty && byMonth.isEmpty)
        if !bySetPosition.isEmpty && !other {
            throw RecurrenceError("rrule.BYSETPOS", "needs another BY part to select from")
        }
    }

    private static let known: Set<String> = [
        "FREQ", "INTERVAL", "COUNT", "UNTIL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY",
        "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST",
    ]
    private static let frequencyNames = "YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY"

    private static func positive(_ value: String, _ name: String) throws(RecurrenceError) -> Int {
        guard let number = Int(value), number >= 1 else {
            throw RecurrenceError("rrule.\(name)", "expected a whole number of 1 or more, got \"\(value)\"")
        }
        return number
    }

    private static func numbers(
        _ value: String, _ name: String, _ range: ClosedRange<Int>, signed: Bool
    ) throws(RecurrenceError) -> [Int] {
        let expected =
            signed
            ? "-\(range.upperBound)..-\(range.lowerBound) or \(range.lowerBound)..\(range.upperBound)"
            : "\(range.lowerBound)..\(range.upperBound)"
        var list: [Int] = []
        for item in value.split(separator: ",", omittingEmptySubsequences: false) {
            guard let number = Int(item), range.contains(signed ? abs(number) : number), !(signed && number == 0)
            else {
                throw RecurrenceError(
                    "rrule.\(name)", "expected \(expected), got \(item.isEmpty ? "nothing" : String(item))")
            }
            if !list.contains(number) { list.append(number) }
        }
        return list
    }

    private static func weekdays(_ value: String) throws(RecurrenceError) -> [WeekdayNumber] {
        var list: [WeekdayNumber] = []
        for item in value.split(separator: ",", omittingEmptySubsequences: false) {
            let text = item.uppercased()
            guard text.count >= 2, let day = weekdayNames.firstIndex(of: String(text.suffix(2))) else {
                throw RecurrenceError(
                    "rrule.BYDAY", "expected a weekday (MO..SU) with an optional ordinal such as -1FR, got \"\(item)\"")
            }
            let prefix = text.dropLast(2)
            var ordinal = 0
            if !prefix.isEmpty {
                guard let number = Int(prefix.hasPrefix("+") ? prefix.dropFirst() : prefix), number != 0,
                    abs(number) <= 53
                else {
                    throw RecurrenceError("rrule.BYDAY", "expected an ordinal -53..-1 or 1..53, got \"\(prefix)\"")
                }
                ordinal = number
            }
            let entry = WeekdayNumber(weekday: day, ordinal: ordinal)
            if !list.contains(entry) { list.append(entry) }
        }
        return list
    }

    /// `19971224T000000Z` (UTC), `19971224T000000` (local) or `19971224` (a date).
    private static func until(_ value: String) throws(RecurrenceError) -> Until {
        let bytes = Array(value.utf8)
        func field(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var number = 0
            for byte in bytes[range] {
                guard (48...57).contains(byte) else { return nil }
                number = number * 10 + Int(byte - 48)
            }
            return number
        }
        let expected = "expected a date (19971224), a local date-time (19971224T090000) or a UTC one (19971224T090000Z)"
        guard bytes.count == 8 || bytes.count == 15 || bytes.count == 16, let year = field(0..<4),
            let month = field(4..<6), let day = field(6..<8), (1...12).contains(month),
            (1...GregorianCalendar.daysInMonth(year: year, month: month)).contains(day)
        else { throw RecurrenceError("rrule.UNTIL", "\(expected), got \"\(value)\"") }
        if bytes.count == 8 { return .date(CivilDateTime(year: year, month: month, day: day)) }
        guard bytes[8] == UInt8(ascii: "T"), let hour = field(9..<11), let minute = field(11..<13),
            let second = field(13..<15), hour < 24, minute < 60, second < 60,
            bytes.count == 15 || bytes[15] == UInt8(ascii: "Z")
        else { throw RecurrenceError("rrule.UNTIL", "\(expected), got \"\(value)\"") }
        let time = CivilDateTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return bytes.count == 16 ? .utc(time) : .local(time)
    }
}

/// What is wrong with a recurrence, and where (`rrule.BYSETPOS`, `dtstart`, ...).
struct RecurrenceError: Error, Equatable, CustomStringConvertible {
    var field: String
    var problem: String
    /// The input is valid but asks for too much work (`too_large`), rather than being wrong (`bad_request`).
    var tooLarge = false

    init(_ field: String, _ problem: String, tooLarge: Bool = false) {
        self.field = field
        self.problem = problem
        self.tooLarge = tooLarge
    }

    var description: String { "\(field): \(problem)" }
}
