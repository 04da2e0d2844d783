/// The local date-times a rule produces from its start, in order: python-dateutil's `rrule` algorithm, step by
/// step (so the differential test can compare them one for one), over ``CivilDateTime``.
///
/// As in dateutil, the start is an occurrence only when the rule produces it, and COUNT counts what is produced
/// from the start on. Invalid dates (30 February) are never produced, so they are not counted. The caller stops
/// at UNTIL (compared in the zone) and at the end of its window; the iterator stops after year 9999.
struct RecurrenceIterator: IteratorProtocol {
    fileprivate typealias Frequency = RecurrenceRule.Frequency
    static let maximumYear = 9999

    private let frequency: Frequency
    private let interval: Int
    /// What the year's masks depend on.
    fileprivate let selection: DaySelection
    private let start: CivilDateTime
    private let weekStart: Int
    private let byMonth: BitSet
    private var byWeekNumber: [Int] { selection.byWeekNumber }
    private let byYearDay: Set<Int>
    private let byMonthDay: BitSet
    /// The days counted from the end of the month, as their distance from it (-1 is 1).
    private let byNegativeMonthDay: BitSet
    private let byWeekday: BitSet
    private var byNthWeekday: [(weekday: Int, ordinal: Int)] { selection.byNthWeekday }
    private let byHour: BitSet?
    private let byMinute: BitSet?
    private let bySecond: BitSet?
    private let bySetPosition: [Int]
    private let sortedHours: [Int]
    private let sortedMinutes: [Int]
    private let sortedSeconds: [Int]
    /// The times of day, for frequencies of a day or longer.
    private let dailyTimes: [(hour: Int, minute: Int, second: Int)]

    private var remaining: Int?
    private var year: Int
    private var month: Int
    private var day: Int
    private var hour: Int
    private var minute: Int
    private var second: Int
    private var weekday: Int
    private var times: [(hour: Int, minute: Int, second: Int)]
    private var info: YearInfo
    private var pending: [CivilDateTime] = []
    /// The days of the period being produced, kept for the next one.
    private var dayBuffer: [Int] = []
    private var pendingIndex = 0
    private var finished = false

    /// - Throws: ``RecurrenceError`` when the rule cannot produce anything from this start (a BYHOUR that
    ///   INTERVAL never reaches, for one).
    init(rule: RecurrenceRule, start: CivilDateTime) throws(RecurrenceError) {
        frequency = rule.frequency
        interval = rule.interval
        self.start = start
        weekStart = rule.weekStart
        remaining = rule.count
        var byMonth = Set(rule.byMonth)
        var monthDays = rule.byMonthDay
        var weekdays = rule.byDay
        let startOrdinal = GregorianCalendar.ordinal(year: start.year, month: start.month, day: start.day)
        // Without a BY part choosing days, the start's month, day of the month or weekday does (dateutil).
        if rule.byWeekNumber.isEmpty && rule.byYearDay.isEmpty && rule.byMonthDay.isEmpty && rule.byDay.isEmpty {
            switch rule.frequency {
            case .yearly:
                if byMonth.isEmpty { byMonth = [start.month] }
                monthDays = [start.day]
            case .monthly: monthDays = [start.day]
            case .weekly:
                weekdays = [.init(weekday: GregorianCalendar.weekday(ordinal: startOrdinal), ordinal: 0)]
            default: break
            }
        }
        self.byMonth = BitSet(byMonth)
        byYearDay = Set(rule.byYearDay)
        byMonthDay = BitSet(monthDays.filter { $0 > 0 })
        byNegativeMonthDay = BitSet(monthDays.filter { $0 < 0 }.map { -$0 })
        var plain = Set<Int>()
        var nth: [(weekday: Int, ordinal: Int)] = []
        for entry in weekdays {
            if entry.ordinal == 0 || rule.frequency > .monthly {
                plain.insert(entry.weekday)
            } else if !nth.contains(where: { $0 == (entry.weekday, entry.ordinal) }) {
                nth.append((entry.weekday, entry.ordinal))
            }
        }
        byWeekday = BitSet(plain)
        func set(_ given: [Int], default value: Int, coarser: Bool, base: Int, own: Bool, name: String)
            throws(RecurrenceError) -> BitSet?
        {
            if given.isEmpty { return coarser ? BitSet([value]) : nil }
            guard own else { return BitSet(given) }
            // At its own frequency, only the values INTERVAL reaches from the start (dateutil's construct_byset).
            let step = Self.gcd(rule.interval, base)
            let reached = Set(given.filter { step == 1 || Self.floorMod($0 - value, step) == 0 })
            guard !reached.isEmpty else {
                throw RecurrenceError(
                    "rrule.\(name)", "no value is reached from the start (\(value)) with INTERVAL=\(rule.interval)")
            }
            return BitSet(reached)
        }
        byHour = try set(
            rule.byHour, default: start.hour, coarser: rule.frequency < .hourly, base: 24,
            own: rule.frequency == .hourly, name: "BYHOUR")
        byMinute = try set(
            rule.byMinute, default: start.minute, coarser: rule.frequency < .minutely, base: 60,
            own: rule.frequency == .minutely, name: "BYMINUTE")
        bySecond = try set(
            rule.bySecond, default: start.second, coarser: rule.frequency < .secondly, base: 60,
            own: rule.frequency == .secondly, name: "BYSECOND")
        bySetPosition = rule.bySetPosition
        selection = DaySelection(
            frequency: rule.frequency, weekStart: rule.weekStart, byMonth: byMonth.sorted(),
            byWeekNumber: rule.byWeekNumber, byNthWeekday: nth)
        sortedHours = byHour?.sorted ?? []
        sortedMinutes = byMinute?.sorted ?? []
        sortedSeconds = bySecond?.sorted ?? []
        var daily: [(hour: Int, minute: Int, second: Int)] = []
        if rule.frequency < .hourly {
            for hour in sortedHours {
                for minute in sortedMinutes {
                    for second in sortedSeconds { daily.append((hour, minute, second)) }
                }
            }
        }
        dailyTimes = daily

        year = start.year
        month = start.month
        day = start.day
        hour = start.hour
        minute = start.minute
        second = start.second
        weekday = GregorianCalendar.weekday(ordinal: startOrdinal)
        info = YearInfo()
        times = []
        info.rebuild(year: year, month: month, selection: selection)
        if frequency < .hourly {
            times = dailyTimes
        } else if (frequency >= .hourly && byHour.map { !$0.contains(hour) } ?? false)
            || (frequency >= .minutely && byMinute.map { !$0.contains(minute) } ?? false)
            || (frequency >= .secondly && bySecond.map { !$0.contains(second) } ?? false)
        {
            times = []
        } else {
            fillSubDailyTimes()
        }
    }

    /// The last local date a period may start on, so a rule that produces nothing in a window stops at its end
    /// instead of walking on to year 9999.
    var stopDate: CivilDateTime?

    mutating func next() -> CivilDateTime? {
        while pendingIndex == pending.count {
            guard !finished else { return nil }
            if let stopDate, periodStartsAfter(stopDate) { return nil }
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
            step()
        }
        defer { pendingIndex += 1 }
        return pending[pendingIndex]
    }

    private func periodStartsAfter(_ date: CivilDateTime) -> Bool {
        switch frequency {
        case .yearly: year > date.year
        case .monthly: (year, month) > (date.year, date.month)
        default: (year, month, day) > (date.year, date.month, date.day)
        }
    }

    /// Produces the occurrences of one period into `pending`, then moves to the next period.
    private mutating func step() {
        let (dayStart, dayEnd) = daySet()
        var days = dayBuffer
        dayBuffer = []
        days.removeAll(keepingCapacity: true)
        // The days the year's mask keeps, found a word at a time: a rule that keeps a few days of a year (the
        // Monday of week 20) skips the rest 64 at a time.
        if yearMask.year != info.lastYear { buildYearMask() }
        let words = yearMask.words
        let nth = info.nthWeekdayMask
        var index = dayStart
        while index < dayEnd {
            let wordIndex = index >> 6
            guard wordIndex < words.count else { break }
            let wordEnd = (wordIndex + 1) << 6
            var word = words[wordIndex] & (~UInt64(0) << UInt64(index & 63))
            if dayEnd < wordEnd { word &= (UInt64(1) << UInt64(dayEnd & 63)) &- 1 }
            while word != 0 {
                let day = (wordIndex << 6) + word.trailingZeroBitCount
                if nth.isEmpty || (day < nth.count && nth[day]) { days.append(day) }
                word &= word &- 1
            }
            index = wordEnd
        }
        let filtered = days.count < dayEnd - dayStart
        defer { dayBuffer = days }
        if !bySetPosition.isEmpty && !times.isEmpty {
            var chosen: [CivilDateTime] = []
            for position in bySetPosition {
                let (dayPosition, timePosition) =
                    position < 0
                    ? Self.floorDivMod(position, times.count) : Self.floorDivMod(position - 1, times.count)
                let dayIndex = dayPosition < 0 ? days.count + dayPosition : dayPosition
                guard dayIndex >= 0, dayIndex < days.count else { continue }
                let time = times[timePosition]
                let value = CivilDateTime(
                    ordinal: info.yearOrdinal + days[dayIndex], hour: time.hour, minute: time.minute,
                    second: time.second)
                if !chosen.contains(value) { chosen.append(value) }
            }
            chosen.sort()
            for value in chosen where emit(value) {}
        } else {
            outer: for index in days {
                let (year, month, day) = GregorianCalendar.date(ordinal: info.yearOrdinal + index)
                for time in times {
                    let value = CivilDateTime(
                        year: year, month: month, day: day, hour: time.hour, minute: time.minute, second: time.second)
                    if !emit(value) { break outer }
                }
            }
        }
        guard !finished else { return }
        advance(filtered: filtered)
    }

    /// Queues `value` when it is at or after the start and COUNT allows; `false` once the rule has ended.
    private mutating func emit(_ value: CivilDateTime) -> Bool {
        guard !finished else { return false }
        guard value >= start else { return true }
        if let left = remaining {
            if left == 0 {
                finished = true
                return false
            }
            remaining = left - 1
        }
        pending.append(value)
        if remaining == 0 { finished = true }
        return true
    }

    /// The days of the current period, as indexes from the first day of `info`'s year.
    private func daySet() -> (Int, Int) {
        switch frequency {
        case .yearly: return (0, info.yearLength)
        case .monthly: return (info.monthRanges[month - 1], info.monthRanges[month])
        case .weekly:
            var index = GregorianCalendar.ordinal(year: year, month: month, day: day) - info.yearOrdinal
            let first = index
            for _ in 0..<7 {
                index += 1
                if info.weekday(index) == weekStart { break }
            }
            return (first, index)
        default:
            let index = GregorianCalendar.ordinal(year: year, month: month, day: day) - info.yearOrdinal
            return (index, index + 1)
        }
    }

    /// Which day indexes of the current year the rule's BYMONTH, BYWEEKNO, BYDAY (without ordinals), BYMONTHDAY
    /// and BYYEARDAY keep, built once per year with bit operations; `excluded` then tests one bit (and the nth
    /// weekdays, which depend on the month).
    private struct YearMask {
        var year = Int.min
        var words: [UInt64] = []

        func contains(_ index: Int) -> Bool {
            let word = index >> 6
            return word < words.count && words[word] & (1 << UInt64(index & 63)) != 0
        }

        static func words(_ count: Int, filled: Bool) -> [UInt64] {
            var words = [UInt64](repeating: filled ? ~0 : 0, count: (count + 63) / 64)
            if filled, count % 64 != 0 { words[words.count - 1] = (1 << UInt64(count % 64)) - 1 }
            return words
        }
    }

    private var yearMask = YearMask()

    private mutating func buildYearMask() {
        let count = info.yearLength + 7
        var words = YearMask.words(count, filled: true)
        func keep(_ mask: [UInt64]) { for index in words.indices { words[index] &= mask[index] } }
        func set(_ mask: inout [UInt64], _ index: Int) {
            guard index >= 0, index < count else { return }
            mask[index >> 6] |= 1 << UInt64(index & 63)
        }
        let ranges = info.monthRanges
        let length = info.yearLength
        if !byMonth.isEmpty {
            var mask = YearMask.words(count, filled: false)
            for month in 1...12 where byMonth.contains(month) {
                for index in ranges[month - 1]..<ranges[month] { set(&mask, index) }
            }
            // Past the year's end: January of the next.
            if byMonth.contains(1) { for index in length..<count { set(&mask, index) } }
            keep(mask)
        }
        if !byWeekNumber.isEmpty {
            var mask = YearMask.words(count, filled: false)
            for (index, kept) in info.weekNumberMask.enumerated() where kept { set(&mask, index) }
            keep(mask)
        }
        if !byWeekday.isEmpty {
            var mask = YearMask.words(count, filled: false)
            for weekday in 0..<7 where byWeekday.contains(weekday) {
                var index = Self.floorMod(weekday - info.yearWeekday, 7)
                while index < count {
                    set(&mask, index)
                    index += 7
                }
            }
            keep(mask)
        }
        if !byMonthDay.isEmpty || !byNegativeMonthDay.isEmpty {
            var mask = YearMask.words(count, filled: false)
            for month in 1...12 {
                let (first, end) = (ranges[month - 1], ranges[month])
                for day in 1...(end - first) {
                    if byMonthDay.contains(day) { set(&mask, first + day - 1) }
                    if byNegativeMonthDay.contains(day) { set(&mask, end - day) }
                }
            }
            for index in length..<count {
                let (positive, negative) = info.monthDay(index)
                if byMonthDay.contains(positive) || byNegativeMonthDay.contains(-negative) { set(&mask, index) }
            }
            keep(mask)
        }
        if !byYearDay.isEmpty {
            var mask = YearMask.words(count, filled: false)
            for index in 0..<count {
                let kept =
                    index < length
                    ? byYearDay.contains(index + 1) || byYearDay.contains(-length + index)
                    : byYearDay.contains(index + 1 - length)
                        || byYearDay.contains(-info.nextYearLength + index - length)
                if kept { set(&mask, index) }
            }
            keep(mask)
        }
        yearMask = YearMask(year: info.lastYear, words: words)
    }

    /// Fills `times` with the period's times of day, reusing its storage: a sub-daily rule has a period an hour,
    /// a minute or a second long, and a new array for each took a tenth of an expansion.
    private mutating func fillSubDailyTimes() {
        times.removeAll(keepingCapacity: true)
        switch frequency {
        case .hourly:
            for minute in sortedMinutes {
                for second in sortedSeconds { times.append((hour, minute, second)) }
            }
        case .minutely:
            for second in sortedSeconds { times.append((hour, minute, second)) }
        default:
            times.append((hour, minute, second))
        }
    }

    private mutating func advance(filtered: Bool) {
        var fixDay = false
        switch frequency {
        case .yearly:
            year += interval
            guard year <= Self.maximumYear else { return finish() }
            info.rebuild(year: year, month: month, selection: selection)
        case .monthly:
            month += interval
            if month > 12 {
                let (carry, rest) = Self.floorDivMod(month, 12)
                month = rest
                year += carry
                if month == 0 {
                    month = 12
                    year -= 1
                }
                guard year <= Self.maximumYear else { return finish() }
            }
            info.rebuild(year: year, month: month, selection: selection)
        case .weekly:
            if weekStart > weekday {
                day += -(weekday + 1 + (6 - weekStart)) + interval * 7
            } else {
                day += -(weekday - weekStart) + interval * 7
            }
            weekday = weekStart
            fixDay = true
        case .daily:
            day += interval
            fixDay = true
        case .hourly:
            if filtered { hour += ((23 - hour) / interval) * interval }
            let days: Int
            if let byHour {
                guard let (carry, next) = modDistance(hour, byHour, base: 24) else { return finish() }
                (days, hour) = (carry, next)
            } else {
                (days, hour) = Self.floorDivMod(hour + interval, 24)
            }
            if days != 0 {
                day += days
                fixDay = true
            }
            fillSubDailyTimes()
        case .minutely:
            var filtered = filtered
            if filtered { minute += ((1439 - (hour * 60 + minute)) / interval) * interval }
            var valid = false
            for _ in 0..<(1440 / Self.gcd(interval, 1440)) {
                let hours: Int
                if let byMinute {
                    guard let (carry, next) = modDistance(minute, byMinute, base: 60) else { return finish() }
                    (hours, minute) = (carry, next)
                } else {
                    (hours, minute) = Self.floorDivMod(minute + interval, 60)
                }
                let (days, nextHour) = Self.floorDivMod(hour + hours, 24)
                hour = nextHour
                if days != 0 {
                    day += days
                    fixDay = true
                    filtered = false
                }
                if byHour?.contains(hour) ?? true {
                    valid = true
                    break
                }
            }
            guard valid else { return finish() }
            fillSubDailyTimes()
        case .secondly:
            if filtered { second += ((86_399 - (hour * 3600 + minute * 60 + second)) / interval) * interval }
            var valid = false
            for _ in 0..<(86_400 / Self.gcd(interval, 86_400)) {
                let minutes: Int
                if let bySecond {
                    guard let (carry, next) = modDistance(second, bySecond, base: 60) else { return finish() }
                    (minutes, second) = (carry, next)
                } else {
                    (minutes, second) = Self.floorDivMod(second + interval, 60)
                }
                let (hours, nextMinute) = Self.floorDivMod(minute + minutes, 60)
                minute = nextMinute
                if hours != 0 {
                    let (days, nextHour) = Self.floorDivMod(hour + hours, 24)
                    hour = nextHour
                    if days != 0 {
                        day += days
                        fixDay = true
                    }
                }
                if (byHour?.contains(hour) ?? true) && (byMinute?.contains(minute) ?? true)
                    && (bySecond?.contains(second) ?? true)
                {
                    valid = true
                    break
                }
            }
            guard valid else { return finish() }
            fillSubDailyTimes()
        }
        if fixDay && day > 28 {
            var length = GregorianCalendar.daysInMonth(year: year, month: month)
            if day > length {
                while day > length {
                    day -= length
                    month += 1
                    if month == 13 {
                        month = 1
                        year += 1
                        guard year <= Self.maximumYear else { return finish() }
                    }
                    length = GregorianCalendar.daysInMonth(year: year, month: month)
                }
                info.rebuild(year: year, month: month, selection: selection)
            }
        }
    }

    private mutating func finish() { finished = true }

    /// dateutil's `__mod_distance`: steps `value` by INTERVAL until it is in `values`; the carry and the value.
    private func modDistance(_ value: Int, _ values: BitSet, base: Int) -> (Int, Int)? {
        var value = value
        var carry = 0
        for _ in 1...base {
            let (quotient, rest) = Self.floorDivMod(value + interval, base)
            carry += quotient
            value = rest
            if values.contains(value) { return (carry, value) }
        }
        return nil
    }

    static func floorDivMod(_ value: Int, _ divisor: Int) -> (Int, Int) {
        let rest = floorMod(value, divisor)
        return ((value - rest) / divisor, rest)
    }

    static func floorMod(_ value: Int, _ divisor: Int) -> Int {
        let rest = value % divisor
        return rest < 0 ? rest + divisor : rest
    }

    static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    /// A set of small non-negative numbers (below 64), as bits.
    struct BitSet {
        private var bits: UInt64 = 0

        init(_ values: some Sequence<Int>) {
            for value in values where (0..<64).contains(value) { bits |= 1 << UInt64(value) }
        }

        var isEmpty: Bool { bits == 0 }

        func contains(_ value: Int) -> Bool { (0..<64).contains(value) && bits & (1 << UInt64(value)) != 0 }

        var sorted: [Int] { (0..<64).filter(contains) }
    }

    /// The parts of the rule the year's masks depend on.
    fileprivate struct DaySelection {
        var frequency: Frequency
        var weekStart: Int
        var byMonth: [Int]
        var byWeekNumber: [Int]
        var byNthWeekday: [(weekday: Int, ordinal: Int)]
    }

    /// What dateutil's `_iterinfo` knows of the current year: masks from day index to month, day of the month,
    /// weekday, and the week numbers and nth weekdays the rule selects.
    fileprivate struct YearInfo {
        var lastYear = Int.min
        var lastMonth = Int.min
        var yearLength = 365
        var nextYearLength = 365
        var yearOrdinal = 0
        var yearWeekday = 0
        var monthRanges: [Int] = YearInfo.ranges365
        var weekNumberMask: [Bool] = []
        var nthWeekdayMask: [Bool] = []

        static let ranges365 = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]
        static let ranges366 = [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366]

        func weekday(_ index: Int) -> Int { RecurrenceIterator.floorMod(yearWeekday + index, 7) }

        func month(_ index: Int) -> Int {
            guard index < yearLength else { return 1 }
            return Int(yearLength == 365 ? Self.months365[index] : Self.months366[index])
        }

        static let months365 = months(ranges365)
        static let months366 = months(ranges366)

        private static func months(_ ranges: [Int]) -> [UInt8] {
            (1...12).flatMap { month in Array(repeating: UInt8(month), count: ranges[month] - ranges[month - 1]) }
        }

        /// The day of the month counted from its start and from its end (-1 for the last).
        func monthDay(_ index: Int) -> (Int, Int) {
            guard index < yearLength else { return (index - yearLength + 1, index - yearLength - 31) }
            let month = month(index)
            return (index - monthRanges[month - 1] + 1, index - monthRanges[month])
        }

        mutating func rebuild(year: Int, month: Int, selection iterator: DaySelection) {
            if year != lastYear {
                yearLength = GregorianCalendar.daysInYear(year)
                nextYearLength = GregorianCalendar.daysInYear(year + 1)
                yearOrdinal = GregorianCalendar.ordinal(year: year, month: 1, day: 1)
                yearWeekday = GregorianCalendar.weekday(ordinal: yearOrdinal)
                monthRanges = yearLength == 365 ? Self.ranges365 : Self.ranges366
                weekNumberMask = iterator.byWeekNumber.isEmpty ? [] : weekNumbers(year: year, iterator: iterator)
            }
            if !iterator.byNthWeekday.isEmpty && (month != lastMonth || year != lastYear) {
                var ranges: [(Int, Int)] = []
                if iterator.frequency == .yearly {
                    ranges =
                        iterator.byMonth.isEmpty
                        ? [(0, yearLength)] : iterator.byMonth.map { (monthRanges[$0 - 1], monthRanges[$0]) }
                } else if iterator.frequency == .monthly {
                    ranges = [(monthRanges[month - 1], monthRanges[month])]
                }
                nthWeekdayMask = []
                if !ranges.isEmpty {
                    nthWeekdayMask = Array(repeating: false, count: yearLength)
                    for (first, end) in ranges {
                        let last = end - 1
                        for (wanted, ordinal) in iterator.byNthWeekday {
                            var index: Int
                            if ordinal < 0 {
                                index = last + (ordinal + 1) * 7
                                index -= RecurrenceIterator.floorMod(weekday(index) - wanted, 7)
                            } else {
                                index = first + (ordinal - 1) * 7
                                index += RecurrenceIterator.floorMod(7 - weekday(index) + wanted, 7)
                            }
                            if first <= index && index <= last { nthWeekdayMask[index] = true }
                        }
                    }
                }
            }
            lastYear = year
            lastMonth = month
        }

        /// dateutil's week-number mask, quirks included.
        private func weekNumbers(year: Int, iterator: DaySelection) -> [Bool] {
            let weekStart = iterator.weekStart
            var mask = Array(repeating: false, count: yearLength + 7)
            let firstWeekStart = RecurrenceIterator.floorMod(7 - yearWeekday + weekStart, 7)
            var weekOneStart = firstWeekStart
            let weekYearLength: Int
            if weekOneStart >= 4 {
                weekOneStart = 0
                weekYearLength = yearLength + RecurrenceIterator.floorMod(yearWeekday - weekStart, 7)
            } else {
                weekYearLength = yearLength - weekOneStart
            }
            let (whole, rest) = RecurrenceIterator.floorDivMod(weekYearLength, 7)
            let weeks = whole + rest / 4
            func mark(from start: Int) {
                var index = start
                for _ in 0..<7 {
                    guard index >= 0, index < mask.count else { return }
                    mask[index] = true
                    index += 1
                    if weekday(index) == weekStart { break }
                }
            }
            for given in iterator.byWeekNumber {
                var number = given
                if number < 0 { number += weeks + 1 }
                guard number > 0, number <= weeks else { continue }
                var index: Int
                if number > 1 {
                    index = weekOneStart + (number - 1) * 7
                    if weekOneStart != firstWeekStart { index -= 7 - firstWeekStart }
                } else {
                    index = weekOneStart
                }
                mark(from: index)
            }
            if iterator.byWeekNumber.contains(1) {
                // Week 1 of the next year may start in this one.
                var index = weekOneStart + weeks * 7
                if weekOneStart != firstWeekStart { index -= 7 - firstWeekStart }
                if index < yearLength { mark(from: index) }
            }
            if weekOneStart != 0 {
                // The last week of last year may end in this one.
                let lastWeeks: Int
                if !iterator.byWeekNumber.contains(-1) {
                    let lastYearOrdinal = GregorianCalendar.ordinal(year: year - 1, month: 1, day: 1)
                    let lastYearWeekday = GregorianCalendar.weekday(ordinal: lastYearOrdinal)
                    let lastWeekOne = RecurrenceIterator.floorMod(7 - lastYearWeekday + weekStart, 7)
                    let lastYearLength = GregorianCalendar.daysInYear(year - 1)
                    if lastWeekOne >= 4 {
                        lastWeeks =
                            52 + RecurrenceIterator.floorMod(
                                lastYearLength + RecurrenceIterator.floorMod(lastYearWeekday - weekStart, 7), 7) / 4
                    } else {
                        lastWeeks = 52 + RecurrenceIterator.floorMod(yearLength - weekOneStart, 7) / 4
                    }
                } else {
                    lastWeeks = -1
                }
                if iterator.byWeekNumber.contains(lastWeeks) {
                    for index in 0..<weekOneStart { mask[index] = true }
                }
            }
            return mask
        }
    }
}
