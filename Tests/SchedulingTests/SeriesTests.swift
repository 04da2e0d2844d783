import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Testing

/// Series: the same engine as the expansion, overrides keyed by original start that survive edits, and
/// "this and following" splits.
@Suite struct SeriesTests {
    static func monthly(
        _ title: String = "{ordinal} Dialogue", rule: String = "FREQ=MONTHLY;BYDAY=1TU;COUNT=12",
        zone: String = "Europe/Berlin"
    ) -> SeriesFields {
        SeriesFields(
            kind: .dialogue, title: title, firstNumber: 1, dtstart: "2027-01-05T09:00:00", duration: "PT3H",
            timeZone: zone, rrule: rule, reminders: [])
    }

    @Test func nineOClockStaysNineOClockAcrossDaylightSavingInBothHemispheres() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        // The instants of the January and July occurrences.
        for (zone, winter, summer) in [
            ("Europe/Berlin", "08:00:00Z", "07:00:00Z"), ("America/New_York", "14:00:00Z", "13:00:00Z"),
            // Southern hemisphere: summer in January, standard time from April.
            ("Australia/Sydney", "22:00:00Z", "23:00:00Z"),
        ] {
            let series = try await fixture.send(CreateSeries(series: Self.monthly(zone: zone))).series
            let list = try await fixture.send(ListOccurrences(series: series.id))
            #expect(list.occurrences.count == 12)
            #expect(
                list.occurrences.allSatisfy {
                    $0.start.text.hasSuffix("T09:00:00") && $0.end.text.hasSuffix("T12:00:00")
                })
            let january = try #require(list.occurrences.first?.startUTC?.text)
            let july = list.occurrences[6].startUTC?.text ?? ""
            #expect(january.hasSuffix("T" + winter), "\(zone) \(january)")
            #expect(july.hasSuffix("T" + summer), "\(zone) \(july)")
            #expect(list.occurrences.map(\.title).prefix(3) == ["1st Dialogue", "2nd Dialogue", "3rd Dialogue"])
        }
    }

    @Test func aTimeInTheSpringGapMovesForwardByTheGap() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        // Berlin skips 02:00-03:00 on 2027-03-28.
        let series = try await fixture.send(
            CreateSeries(
                series: SeriesFields(
                    kind: .training, title: "Night drill", dtstart: "2027-03-27T02:30:00", duration: "PT1H",
                    timeZone: "Europe/Berlin", rrule: "FREQ=DAILY;COUNT=3", reminders: []))
        ).series
        let list = try await fixture.send(ListOccurrences(series: series.id))
        #expect(list.occurrences.map(\.start) == ["2027-03-27T02:30:00", "2027-03-28T03:30:00", "2027-03-29T02:30:00"])
        #expect(list.occurrences[1].startUTC == "2027-03-28T01:30:00Z")
    }

    @Test func overridesSurviveAnEditOfTheWholeSeries() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        let created = try await fixture.send(CreateSeries(series: Self.monthly())).series
        _ = try await fixture.send(
            OverrideOccurrence(
                series: created.id,
                override: OccurrenceOverride(originalStart: "2027-03-02T09:00:00", status: .cancelled, reason: "strike")
            ))
        _ = try await fixture.send(
            OverrideOccurrence(
                series: created.id,
                override: OccurrenceOverride(
                    originalStart: "2027-04-06T09:00:00", start: "2027-04-08T14:00:00", title: "Moved dialogue")))
        var fields = Self.monthly("Mekong dialogue {number}")
        fields.duration = "PT4H"
        let edited = try await fixture.send(UpdateSeries(id: created.id, version: 3, series: fields))
        #expect(edited.unmatchedOverrides.isEmpty)
        let list = try await fixture.send(ListOccurrences(series: created.id, limit: 5))
        #expect(list.occurrences.map(\.status) == [.planned, .planned, .cancelled, .planned, .planned])
        #expect(list.occurrences.map(\.number) == [1, 2, nil, 3, 4], "a cancelled occurrence takes no number")
        #expect(list.occurrences[3].start == "2027-04-08T14:00:00")
        #expect(list.occurrences[3].end == "2027-04-08T18:00:00", "the new duration applies to the moved one")
        #expect(list.occurrences[3].title == "Moved dialogue")
        #expect(list.occurrences[4].title == "Mekong dialogue 4")
        // An edit that stops producing an overridden occurrence keeps the override and says so.
        fields.rrule = "FREQ=MONTHLY;BYDAY=1WE;COUNT=12"
        let moved = try await fixture.send(UpdateSeries(id: created.id, version: 4, series: fields))
        #expect(moved.unmatchedOverrides == ["2027-03-02T09:00:00", "2027-04-06T09:00:00"])
        fields.rrule = "FREQ=MONTHLY;BYDAY=1TU;COUNT=12"
        let back = try await fixture.send(UpdateSeries(id: created.id, version: 5, series: fields))
        #expect(back.unmatchedOverrides.isEmpty)
        let again = try await fixture.send(ListOccurrences(series: created.id, limit: 3))
        #expect(again.occurrences[2].status == .cancelled)
    }

    @Test func thisAndFollowingSplitsTheSeriesAndLeavesThePast() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        let created = try await fixture.send(CreateSeries(series: Self.monthly())).series
        _ = try await fixture.send(
            OverrideOccurrence(
                series: created.id,
                override: OccurrenceOverride(originalStart: "2027-02-02T09:00:00", status: .cancelled)))
        _ = try await fixture.send(
            OverrideOccurrence(
                series: created.id,
                override: OccurrenceOverride(originalStart: "2027-08-03T09:00:00", venue: Venue(text: "Phnom Penh"))))
        var fields = Self.monthly()
        fields.venue = Venue(text: "Vientiane")
        let split = try await fixture.send(
            UpdateSeries(id: created.id, version: 3, series: fields, from: "2027-06-01T09:00:00"))
        let next = try #require(split.continuation)
        #expect(split.series.continuedBy == next.id)
        #expect(next.splitFrom == created.id)
        #expect(split.series.fields.rrule == "FREQ=MONTHLY;BYDAY=1TU;UNTIL=20270601T065959Z")
        #expect(next.fields.dtstart == "2027-06-01T09:00:00")
        #expect(next.fields.rrule == "FREQ=MONTHLY;BYDAY=1TU;COUNT=7")
        #expect(next.fields.firstNumber == 5, "four were held before (one cancelled)")
        let before = try await fixture.send(ListOccurrences(series: created.id))
        #expect(before.occurrences.count == 5)
        #expect(before.occurrences.allSatisfy { $0.venue == nil }, "the past is not rewritten")
        let after = try await fixture.send(ListOccurrences(series: next.id))
        #expect(after.occurrences.count == 7)
        #expect(after.occurrences.first?.number == 5)
        #expect(after.occurrences.first?.venue == Venue(text: "Vientiane"))
        #expect(after.occurrences[2].venue == Venue(text: "Phnom Penh"), "the override went with its occurrence")
        let edited = try #require(await fixture.failure(UpdateSeries(id: created.id, version: 4, series: fields)))
        #expect(edited.code == .conflict)
    }

    @Test func seriesInputIsCheckedPartByPart() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        let cases: [(String, String?, String, String)] = [
            ("FREQ=MONTHLY;BYSETPOS=0;BYDAY=MO", "Europe/Berlin", "series.rrule.BYSETPOS", "got 0"),
            ("FREQ=DAILY;COUNT=3;UNTIL=20270101T000000Z", "Europe/Berlin", "series.rrule", "COUNT"),
            ("FREQ=DAILY;UNTIL=20270101T000000", "Europe/Berlin", "series.rrule.UNTIL", "UTC"),
            ("FREQ=DAILY", "Nowhere/City", "series.time_zone", "IANA"),
        ]
        for (rule, zone, field, words) in cases {
            var fields = Self.monthly(rule: rule)
            fields.timeZone = zone
            let error = try #require(await fixture.failure(CreateSeries(series: fields)), "\(rule)")
            #expect(error.message.hasPrefix(field), "\(error.message)")
            #expect(error.message.contains(words), "\(error.message)")
        }
        let series = try await fixture.send(CreateSeries(series: Self.monthly())).series
        let missing = try #require(
            await fixture.failure(
                OverrideOccurrence(
                    series: series.id, override: OccurrenceOverride(originalStart: "2027-01-06T09:00:00"))))
        #expect(missing.message.contains("not an occurrence"))
        let window = try #require(
            await fixture.failure(ListOccurrences(series: series.id, limit: 100_001)))
        #expect(window.message.hasPrefix("limit:"))
    }
}
