import ConcordKit
import Contracts
import Testing

@testable import Scheduling

/// The recurrence engine through `scheduling.recurrence.expand`'s handler: RFC 5545's examples, the zone
/// policy, and the errors that name the part.
@Suite struct RecurrenceTests {
    static func locals(
        _ dtstart: String, _ rrule: String?, zone: String? = "America/New_York", limit: Int? = nil,
        rdates: [String]? = nil, exdates: [String]? = nil, after: String? = nil, before: String? = nil
    ) throws -> [String] {
        try SchedulingModule.expand(
            ExpandRecurrence(
                dtstart: dtstart, rrule: rrule, timeZone: zone, rdates: rdates, exdates: exdates, after: after,
                before: before, limit: limit)
        ).occurrences.map(\.local.text)
    }

    static func error(_ dtstart: String, _ rrule: String, zone: String? = nil) -> String? {
        do {
            _ = try SchedulingModule.expand(ExpandRecurrence(dtstart: dtstart, rrule: rrule, timeZone: zone))
            return nil
        } catch let error as ConcordError {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func theIssuesExampleAnswersAsSpecified() throws {
        let expansion = try SchedulingModule.expand(
            ExpandRecurrence(
                dtstart: "1997-09-02T09:00:00", rrule: "FREQ=MONTHLY;BYDAY=-1FR;COUNT=10",
                timeZone: "America/New_York"))
        #expect(expansion.occurrences.count == 10)
        #expect(
            expansion.occurrences.first
                == RecurrenceOccurrence(local: "1997-09-26T09:00:00", utc: "1997-09-26T13:00:00Z"))
        // After the change to standard time the offset is -05:00.
        #expect(
            expansion.occurrences[2] == RecurrenceOccurrence(local: "1997-11-28T09:00:00", utc: "1997-11-28T14:00:00Z"))
        #expect(expansion.truncated == false)
    }

    @Test func rfc5545Examples() throws {
        #expect(
            try Self.locals("1997-09-05T09:00:00", "FREQ=MONTHLY;COUNT=10;BYDAY=1FR").map { String($0.prefix(10)) } == [
                "1997-09-05", "1997-10-03", "1997-11-07", "1997-12-05", "1998-01-02", "1998-02-06", "1998-03-06",
                "1998-04-03", "1998-05-01", "1998-06-05",
            ])
        // The last work day of the month.
        #expect(
            try Self.locals("1997-09-29T09:00:00", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", limit: 5)
                .map { String($0.prefix(10)) } == [
                    "1997-09-30", "1997-10-31", "1997-11-28", "1997-12-31", "1998-01-30",
                ])
        // Monday of week 20.
        #expect(
            try Self.locals("1997-05-12T09:00:00", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", limit: 3)
                .map { String($0.prefix(10)) } == ["1997-05-12", "1998-05-11", "1999-05-17"])
        // Every Friday the 13th; the start (a Tuesday) is not one.
        #expect(
            try Self.locals("1997-09-02T09:00:00", "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", limit: 5)
                .map { String($0.prefix(10)) } == [
                    "1998-02-13", "1998-03-13", "1998-11-13", "1999-08-13", "2000-10-13",
                ])
        // WKST changes which days a two-weekly rule takes.
        #expect(
            try Self.locals("1997-08-05T09:00:00", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO")
                .map { String($0.prefix(10)) } == ["1997-08-05", "1997-08-10", "1997-08-19", "1997-08-24"])
        #expect(
            try Self.locals("1997-08-05T09:00:00", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU")
                .map { String($0.prefix(10)) } == ["1997-08-05", "1997-08-17", "1997-08-19", "1997-08-31"])
        // Every 20 minutes from 9:00 to 16:40, two days.
        let minutes = try Self.locals(
            "1997-09-02T09:00:00", "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40;COUNT=48")
        #expect(minutes.count == 48)
        #expect(minutes[23] == "1997-09-02T16:40:00")
        #expect(minutes[24] == "1997-09-03T09:00:00")
    }

    @Test func invalidDatesAreSkippedAndNotCounted() throws {
        #expect(
            try Self.locals("2007-01-15T09:00:00", "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5", zone: nil)
                == [
                    "2007-01-15T09:00:00", "2007-01-30T09:00:00", "2007-02-15T09:00:00", "2007-03-15T09:00:00",
                    "2007-03-30T09:00:00",
                ])
        #expect(
            try Self.locals("2023-01-31", "FREQ=MONTHLY;COUNT=4", zone: nil)
                == ["2023-01-31", "2023-03-31", "2023-05-31", "2023-07-31"])
        // 29 February, in leap years only.
        #expect(
            try Self.locals("2024-02-29", "FREQ=YEARLY;COUNT=3", zone: nil) == [
                "2024-02-29", "2028-02-29", "2032-02-29",
            ])
    }

    /// A local time in a gap moves forward by the gap; a repeated one is the first.
    @Test(arguments: [
        ("Europe/Berlin", "2026-03-29T02:30:00", "2026-03-29T03:30:00", "2026-03-29T01:30:00Z"),
        ("Europe/Berlin", "2026-10-25T02:30:00", "2026-10-25T02:30:00", "2026-10-25T00:30:00Z"),
        ("America/New_York", "2026-03-08T02:30:00", "2026-03-08T03:30:00", "2026-03-08T07:30:00Z"),
        ("America/New_York", "2026-11-01T01:30:00", "2026-11-01T01:30:00", "2026-11-01T05:30:00Z"),
        ("Asia/Tomsk", "2016-05-29T02:30:00", "2016-05-29T03:30:00", "2016-05-28T20:30:00Z"),
        ("Australia/Sydney", "2026-10-04T02:30:00", "2026-10-04T03:30:00", "2026-10-03T16:30:00Z"),
        ("Australia/Sydney", "2026-04-05T02:30:00", "2026-04-05T02:30:00", "2026-04-04T15:30:00Z"),
    ])
    func gapsMoveForwardAndRepeatsAreTheFirst(zone: String, local: String, shown: String, utc: String) throws {
        let expansion = try SchedulingModule.expand(ExpandRecurrence(dtstart: local, timeZone: zone))
        #expect(expansion.occurrences.map { [$0.local.text, $0.utc?.text] } == [[shown, utc]])
    }

    @Test func aDailyMeetingStaysAtItsLocalTimeAcrossTheChange() throws {
        let expansion = try SchedulingModule.expand(
            ExpandRecurrence(dtstart: "2026-03-27T09:00:00", rrule: "FREQ=DAILY;COUNT=3", timeZone: "Europe/Berlin"))
        #expect(
            expansion.occurrences.map(\.local) == ["2026-03-27T09:00:00", "2026-03-28T09:00:00", "2026-03-29T09:00:00"])
        #expect(
            expansion.occurrences.map(\.utc) == [
                "2026-03-27T08:00:00Z", "2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z",
            ])
        // Tomsk's own rules: +06 in 2015, +07 from the end of May 2016.
        let tomsk = try SchedulingModule.expand(
            ExpandRecurrence(dtstart: "2015-05-29T09:00:00", rrule: "FREQ=YEARLY;COUNT=2", timeZone: "Asia/Tomsk"))
        #expect(tomsk.occurrences.map(\.utc) == ["2015-05-29T03:00:00Z", "2016-05-29T02:00:00Z"])
    }

    @Test func rdatesExdatesAndTheWindow() throws {
        let locals = try Self.locals(
            "2026-01-05T10:00:00", "FREQ=WEEKLY;COUNT=5", zone: "Asia/Bangkok", rdates: ["2026-01-07T15:00:00"],
            exdates: ["2026-01-12T10:00:00"])
        #expect(
            locals == [
                "2026-01-05T10:00:00", "2026-01-07T15:00:00", "2026-01-19T10:00:00", "2026-01-26T10:00:00",
                "2026-02-02T10:00:00",
            ])
        // After is exclusive, before inclusive.
        let window = try Self.locals(
            "2026-01-05T10:00:00", "FREQ=WEEKLY", zone: "Asia/Bangkok", after: "2026-01-12T10:00:00",
            before: "2026-01-26T10:00:00")
        #expect(window == ["2026-01-19T10:00:00", "2026-01-26T10:00:00"])
        // A UTC bound with a zone.
        let utc = try Self.locals(
            "2026-01-05T10:00:00", "FREQ=WEEKLY", zone: "Asia/Bangkok", limit: 1, after: "2026-01-12T03:00:00Z")
        #expect(utc == ["2026-01-19T10:00:00"])
    }

    @Test func aLimitTruncatesAndSaysSo() throws {
        let expansion = try SchedulingModule.expand(
            ExpandRecurrence(dtstart: "2026-01-01T00:00:00", rrule: "FREQ=SECONDLY", limit: 5000))
        #expect(expansion.occurrences.count == 5000)
        #expect(expansion.truncated)
        #expect(expansion.occurrences.last?.local == "2026-01-01T01:23:19")
    }

    @Test func aWindowBeyondTheSkipLimitIsRefusedNotAHang() throws {
        #expect(RecurrenceSet(start: CivilDateTime(year: 2026, month: 1, day: 1)).maximumSkipped == 10_000_000)
        var set = RecurrenceSet(start: CivilDateTime(year: 2026, month: 1, day: 1))
        set.rule = try RecurrenceRule.parse("FREQ=SECONDLY")
        set.maximumSkipped = 10_000
        #expect(
            throws: RecurrenceError(
                "after",
                "the rule produces more than 10000 occurrences before the window; start the series later or move the window",
                tooLarge: true
            )
        ) {
            _ = try set.expand(after: .local(CivilDateTime(year: 2030, month: 1, day: 1)), before: nil, limit: 10)
        }
    }

    @Test(arguments: [
        ("FREQ=MONTHLY;BYSETPOS=0;BYDAY=MO", "rrule.BYSETPOS: expected -366..-1 or 1..366, got 0"),
        (
            "FREQ=FORTNIGHTLY",
            "rrule.FREQ: expected one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY, got \"FORTNIGHTLY\""
        ),
        ("COUNT=3", "rrule.FREQ: required; expected one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY"),
        ("FREQ=DAILY;COUNT=3;UNTIL=19971224T000000", "rrule.UNTIL: not with COUNT; a rule ends at one or the other"),
        ("FREQ=DAILY;BYHOUR=24", "rrule.BYHOUR: expected 0..23, got 24"),
        ("FREQ=MONTHLY;BYWEEKNO=3", "rrule.BYWEEKNO: only with FREQ=YEARLY, got FREQ=MONTHLY"),
        ("FREQ=WEEKLY;BYMONTHDAY=3", "rrule.BYMONTHDAY: not with FREQ=WEEKLY"),
        ("FREQ=WEEKLY;BYDAY=2MO", "rrule.BYDAY: an ordinal (2MO) needs FREQ=MONTHLY, or FREQ=YEARLY without BYWEEKNO"),
        ("FREQ=DAILY;BYSETPOS=1", "rrule.BYSETPOS: needs another BY part to select from"),
        ("FREQ=DAILY;FREQ=WEEKLY", "rrule.FREQ: given twice"),
        (
            "FREQ=DAILY;BYFOO=1",
            "rrule.BYFOO: unknown part; expected one of BYDAY, BYHOUR, BYMINUTE, BYMONTH, BYMONTHDAY, BYSECOND, BYSETPOS, BYWEEKNO, BYYEARDAY, COUNT, FREQ, INTERVAL, UNTIL, WKST"
        ),
        ("FREQ=HOURLY;INTERVAL=2;BYHOUR=3", "rrule.BYHOUR: no value is reached from the start (0) with INTERVAL=2"),
    ])
    func aMalformedRuleNamesItsPart(rule: String, message: String) {
        #expect(Self.error("2026-01-01T00:00:00", rule) == message)
    }

    @Test func untilMustMatchTheStart() {
        #expect(
            Self.error("2026-01-01T09:00:00", "FREQ=DAILY;UNTIL=20260110T090000", zone: "Europe/Berlin")
                == "rrule.UNTIL: with a dtstart in a time zone, UNTIL is a UTC date-time (19971224T000000Z)")
        #expect(
            Self.error("2026-01-01T09:00:00", "FREQ=DAILY;UNTIL=20260110T090000Z")
                == "rrule.UNTIL: with a floating dtstart (no time_zone), UNTIL is a local date-time (19971224T000000)")
        #expect(
            Self.error("2026-01-01", "FREQ=DAILY;UNTIL=20260110T090000")
                == "rrule.UNTIL: with an all-day dtstart, UNTIL is a date (19971224)")
        #expect(Self.error("2026-01-01", "FREQ=HOURLY") == "rrule.FREQ: HOURLY needs a dtstart with a time of day")
    }

    @Test func untilIsInclusiveAndComparedAsAnInstant() throws {
        // 09:00 in Berlin in winter is 08:00Z: an UNTIL of 08:00Z keeps the 10 January occurrence.
        let locals = try Self.locals(
            "2026-01-08T09:00:00", "FREQ=DAILY;UNTIL=20260110T080000Z", zone: "Europe/Berlin")
        #expect(locals == ["2026-01-08T09:00:00", "2026-01-09T09:00:00", "2026-01-10T09:00:00"])
    }

    @Test func badArgumentsNameTheirField() {
        func message(_ query: ExpandRecurrence) -> String? {
            do {
                _ = try SchedulingModule.expand(query)
                return nil
            } catch let error as ConcordError { return error.message } catch { return "\(error)" }
        }
        #expect(
            message(ExpandRecurrence(dtstart: "2026-02-30T09:00:00"))
                == "dtstart: expected a local date-time (1997-09-02T09:00:00) or a date (1997-09-02), got \"2026-02-30T09:00:00\""
        )
        #expect(
            message(ExpandRecurrence(dtstart: "2026-02-03T09:00:00", timeZone: "Mars/Olympus"))
                == "time_zone: expected an IANA time zone such as Europe/Berlin, got \"Mars/Olympus\"")
        #expect(
            message(ExpandRecurrence(dtstart: "2026-02-03T09:00:00", rdates: ["2026-02-04"]))
                == "rdates[0]: expected a local date-time (1997-09-02T09:00:00), as dtstart is, got \"2026-02-04\"")
        #expect(
            message(ExpandRecurrence(dtstart: "2026-02-03T09:00:00", limit: 100_001))
                == "limit: expected 1..100000, got 100001")
    }
}
