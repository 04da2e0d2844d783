import Contracts
import Foundation
import Testing

@testable import Notifications

/// Quiet hours and digest cuts in the recipient's zone, across midnight and daylight-saving changes.
@Suite struct LocalTimeTests {
    static func instant(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    static func local(_ zone: String) -> LocalTime { LocalTime(zone: TimeZone(identifier: zone)!) }

    @Test(arguments: [
        // Vientiane is UTC+7 all year: 21:00-08:00 local is 14:00-01:00 UTC.
        ("2026-12-01T13:59:00Z", false),  // Tuesday 20:59
        ("2026-12-01T14:00:00Z", true),  // 21:00
        ("2026-12-01T17:00:00Z", true),  // midnight
        ("2026-12-02T00:59:00Z", true),  // Wednesday 07:59
        ("2026-12-02T01:00:00Z", false),  // 08:00
        ("2026-12-05T05:00:00Z", true),  // Saturday noon: weekends are quiet
    ])
    func quietHoursRunAcrossMidnight(_ time: String, _ quiet: Bool) {
        #expect(Self.local("Asia/Vientiane").isQuiet(Self.instant(time), .standard) == quiet)
    }

    @Test func aQuietMessageWaitsForTheNextWindowNotTheNextDay() {
        let vientiane = Self.local("Asia/Vientiane")
        // Tuesday 23:30 local goes at Wednesday 08:00 local.
        #expect(
            vientiane.nextWindow(from: Self.instant("2026-12-01T16:30:00Z"), .standard)
                == Self.instant("2026-12-02T01:00:00Z"))
        // Friday 22:00 local waits for Monday 08:00 local.
        #expect(
            vientiane.nextWindow(from: Self.instant("2026-12-04T15:00:00Z"), .standard)
                == Self.instant("2026-12-07T01:00:00Z"))
        // Outside quiet hours, at once.
        let noon = Self.instant("2026-12-02T05:00:00Z")
        #expect(vientiane.nextWindow(from: noon, .standard) == noon)
        // Weekends allowed: Saturday 23:00 waits for Sunday 08:00.
        let open = QuietHours(start: "21:00", end: "08:00", weekends: false)
        #expect(
            vientiane.nextWindow(from: Self.instant("2026-12-05T16:00:00Z"), open)
                == Self.instant("2026-12-06T01:00:00Z"))
    }

    @Test func quietHoursEndAtLocalTimeAcrossADaylightSavingChange() {
        // Berlin springs forward on 2026-03-29 (02:00 CET to 03:00 CEST). A message at Saturday 23:00 CET, with
        // weekends allowed, waits for Sunday 08:00 CEST, which is 06:00 UTC, not 07:00.
        let berlin = Self.local("Europe/Berlin")
        let open = QuietHours(start: "22:00", end: "08:00", weekends: false)
        #expect(
            berlin.nextWindow(from: Self.instant("2026-03-28T22:00:00Z"), open)
                == Self.instant("2026-03-29T06:00:00Z"))
        // And falls back on 2026-10-25: Sunday 08:00 CET is 07:00 UTC.
        #expect(
            berlin.nextWindow(from: Self.instant("2026-10-24T21:30:00Z"), open)
                == Self.instant("2026-10-25T07:00:00Z"))
    }

    /// A daily digest at 08:00 local in three zones, one of them changing its offset in between.
    @Test(arguments: [
        ("Asia/Vientiane", "2026-12-01T02:00:00Z", "2026-12-02T01:00:00Z"),
        ("America/Montevideo", "2026-12-01T02:00:00Z", "2026-12-01T11:00:00Z"),
        ("Europe/Berlin", "2026-03-28T08:00:00Z", "2026-03-29T06:00:00Z"),
        ("Europe/Berlin", "2026-10-24T08:00:00Z", "2026-10-25T07:00:00Z"),
    ])
    func dailyDigestsAreCutAtLocalTime(_ zone: String, _ after: String, _ cut: String) {
        let cadence = Cadence(every: .daily, at: "08:00")
        #expect(Self.local(zone).nextCut(after: Self.instant(after), cadence) == Self.instant(cut))
    }

    /// New York falls back at 02:00 on 2026-11-01: 01:30 happens twice, and a digest at 01:30 is cut once, at the
    /// first; on the spring-forward day 02:30 does not exist, and the digest is cut at 03:00, not an hour late.
    @Test func aRepeatedLocalTimeCutsOnceAndASkippedOneRightAfterTheGap() {
        let newYork = Self.local("America/New_York")
        let cadence = Cadence(every: .daily, at: "01:30")
        let first = newYork.nextCut(after: Self.instant("2026-10-31T12:00:00Z"), cadence)!
        #expect(first == Self.instant("2026-11-01T05:30:00Z"))  // 01:30 EDT
        let next = newYork.nextCut(after: first, cadence)!
        #expect(next == Self.instant("2026-11-02T06:30:00Z"))  // the next day's 01:30 EST, not 01:30 EST that night
        let skipped = newYork.nextCut(
            after: Self.instant("2026-03-08T05:00:00Z"), Cadence(every: .daily, at: "02:30"))!
        #expect(skipped == Self.instant("2026-03-08T07:00:00Z"))  // 03:00 EDT
    }

    @Test func weeklyAndHourlyDigests() {
        let vientiane = Self.local("Asia/Vientiane")
        // Monday 09:00 local from Wednesday.
        #expect(
            vientiane.nextCut(
                after: Self.instant("2026-12-02T05:00:00Z"), Cadence(every: .weekly, at: "09:00", weekday: "monday"))
                == Self.instant("2026-12-07T02:00:00Z"))
        // Hourly: the next full hour, in a zone whose offset has half hours too.
        #expect(
            Self.local("Asia/Kolkata").nextCut(after: Self.instant("2026-12-02T05:10:00Z"), Cadence(every: .hourly))
                == Self.instant("2026-12-02T05:30:00Z"))
        #expect(vientiane.nextCut(after: Self.instant("2026-12-02T05:10:00Z"), .immediate) == nil)
    }

    @Test func timesOfDayAreHHMM() {
        #expect(LocalTime.minutes("08:30") == 510)
        for bad in ["8:30", "24:00", "12:60", "noon", "", "12:3"] { #expect(LocalTime.minutes(bad) == nil, "\(bad)") }
    }
}

@Suite struct BackoffTests {
    @Test func theScheduleIsDocumentedAndJitterAddsAtMostATenth() {
        let bases: [Double] = [5, 300, 1_800, 7_200, 18_000, 36_000, 86_400]
        for delivery in Int64(1)...50 {
            for (index, base) in bases.enumerated() {
                let delay = Backoff.delay(afterAttempt: index + 1, delivery: delivery)!
                #expect(delay >= base && delay < base * 1.1)
            }
            #expect(Backoff.delay(afterAttempt: 8, delivery: delivery) == nil)
        }
        #expect(Backoff.attempts == 8)
        // The same delivery and attempt always wait the same; different deliveries spread out.
        #expect(Backoff.delay(afterAttempt: 2, delivery: 7) == Backoff.delay(afterAttempt: 2, delivery: 7))
        let spread = Set((Int64(1)...50).map { Backoff.delay(afterAttempt: 2, delivery: $0)! })
        #expect(spread.count > 40)
    }
}
