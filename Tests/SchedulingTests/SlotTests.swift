import ConcordKit
import ConcordTesting
import Contracts
import Foundation
import Testing

/// The slot finder: working hours in each participant's zone, holidays, blackouts and meetings, and why there is
/// no slot when there is none.
@Suite struct SlotTests {
    @Test func threeContinentsHaveNoCommonHourButTwoDo() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        let tokyo = try await fixture.city("Tokyo", "JP", "Asia/Tokyo")
        let berlin = try await fixture.city("Berlin", "DE", "Europe/Berlin")
        let york = try await fixture.city("New York", "US", "America/New_York")
        let all = [tokyo, berlin, york].map { FindSlots.Attendee(actor: $0.id) }
        let none = try await fixture.send(
            FindSlots(participants: all, duration: "PT60M", from: "2027-01-11", to: "2027-01-15"))
        #expect(none.slots.isEmpty)
        #expect(none.emptyReason == .noCommonWorkingHours)
        #expect(none.explanation?.contains("3 of the 3 required participants") == true)
        // Tokyo 08:00-18:00 is 23:00-09:00 UTC; Berlin 08:00-18:00 is 07:00-17:00 UTC in January.
        let two = try await fixture.send(
            FindSlots(
                participants: all, duration: "PT60M", from: "2027-01-11", to: "2027-01-11", minAttendance: 0.6,
                step: 60, limit: 20))
        let first = try #require(two.slots.first)
        #expect(first.available == 2)
        #expect(first.reason.contains("2 of 3 participants available"))
        let starts = Set(two.slots.filter { $0.attendees[0].available && $0.attendees[1].available }.map(\.startUTC))
        #expect(starts == ["2027-01-11T07:00:00Z", "2027-01-11T08:00:00Z"])
        let attendance = try #require(two.slots.first { $0.startUTC == "2027-01-11T07:00:00Z" })
        #expect(
            attendance.attendees.map(\.localStart) == [
                "2027-01-11T16:00:00", "2027-01-11T08:00:00", "2027-01-11T02:00:00",
            ])
        #expect(attendance.attendees[2].reason == "outside working hours (08:00-18:00)")
    }

    @Test func holidaysBlackoutsMeetingsAndDaylightSavingAreRespected() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        let berlin = try await fixture.city("Berlin", "DE", "Europe/Berlin")
        let london = try await fixture.city("London", "GB", "Europe/London")
        let people = [berlin, london].map { FindSlots.Attendee(actor: $0.id) }
        _ = try await fixture.send(
            AddBlackouts(blackouts: [
                AddBlackouts.Entry(country: "DE", from: "2027-03-29", name: "test holiday"),
                AddBlackouts.Entry(actor: london.id, from: "2027-03-30", to: "2027-03-31", name: "council recess"),
            ]))
        _ = try await fixture.send(
            ScheduleMeeting(
                meeting: MeetingFields(
                    kind: .workingGroupSession, title: "Budget", start: "2027-04-01T08:00:00",
                    end: "2027-04-01T12:00:00", timeZone: "Europe/Berlin",
                    participants: [Participant(actor: berlin.id)],
                    reminders: [])))
        // Berlin moved to +02:00 on 2027-03-28: its 08:00 is 06:00 UTC; London (+01:00) starts at 07:00 UTC.
        let week = try await fixture.send(
            FindSlots(participants: people, duration: "PT2H", from: "2027-03-29", to: "2027-04-02", step: 60, limit: 30)
        )
        let starts = week.slots.map(\.startUTC)
        #expect(
            !starts.contains { $0.hasPrefix("2027-03-29") || $0.hasPrefix("2027-03-30") || $0.hasPrefix("2027-03-31") })
        #expect(!starts.contains { $0 >= "2027-04-01T05:00:00Z" && $0 < "2027-04-01T10:00:00Z" })
        #expect(starts.contains("2027-04-01T10:00:00Z"))
        #expect(starts.min() == "2027-04-01T10:00:00Z")
        #expect(
            week.slots.allSatisfy {
                $0.startUTC.hasSuffix(":00:00Z") && $0.startUTC >= "2027-04-01T07:00:00Z" || $0.startUTC >= "2027-04-02"
            })
        let blocked = try await fixture.send(
            FindSlots(participants: people, duration: "PT2H", from: "2027-03-29", to: "2027-03-31"))
        #expect(blocked.emptyReason == .attendeesUnavailable)
        let partial = try await fixture.send(
            FindSlots(
                participants: people, duration: "PT2H", from: "2027-03-29", to: "2027-03-29", minAttendance: 0.5,
                step: 60))
        let slot = try #require(partial.slots.first)
        #expect(slot.attendees[0].reason == "holiday: test holiday")
        let bad = try #require(
            await fixture.failure(
                FindSlots(participants: people, duration: "PT50M", from: "2027-01-01", to: "2027-01-02")))
        #expect(bad.message.hasPrefix("duration:"))
        let range = try #require(
            await fixture.failure(
                FindSlots(participants: people, duration: "PT1H", from: "2027-01-02", to: "2027-01-01")))
        #expect(range.message.hasPrefix("to:"))
    }

    @Test func workingHoursAreSetPerActor() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        let dushanbe = try await fixture.city("Dushanbe", "TJ", "Asia/Dushanbe")
        _ = try await fixture.send(
            SetWorkingHours(
                actor: dushanbe.id, hours: WorkingHours(days: [1, 2, 3, 4, 5, 6], start: "09:00", end: "13:00")))
        let saturday = try await fixture.send(
            FindSlots(
                participants: [FindSlots.Attendee(actor: dushanbe.id)], duration: "PT4H", from: "2027-01-16",
                to: "2027-01-16"))
        #expect(saturday.slots.map(\.startUTC) == ["2027-01-16T04:00:00Z"])
        let refused = try #require(
            await fixture.failure(
                SetWorkingHours(actor: dushanbe.id, hours: WorkingHours(days: [1], start: "09:10", end: "13:00"))))
        #expect(refused.message.hasPrefix("hours.start:"))
        let zoneless = try await fixture.city("Somewhere", "TJ", nil)
        let noZone = try #require(
            await fixture.failure(
                FindSlots(
                    participants: [FindSlots.Attendee(actor: zoneless.id)], duration: "PT1H", from: "2027-01-16",
                    to: "2027-01-16")))
        #expect(noZone.message.contains("has no time zone"))
    }

    /// The module keeps the actors it read, and takes each update from the registry's events.
    @Test func aChangedTimeZoneReachesTheSlotFinder() async throws {
        let fixture = try await SchedulingFixture()
        defer { Task { await fixture.close() } }
        let city = try await fixture.city("Dushanbe", "TJ", "Asia/Dushanbe")
        let query = FindSlots(
            participants: [FindSlots.Attendee(actor: city.id)], duration: "PT9H", from: "2027-01-15", to: "2027-01-15")
        #expect(try await fixture.send(query).slots.map(\.startUTC) == ["2027-01-15T03:00:00Z"])
        var fields = city.fields
        fields.timeZone = "Asia/Tokyo"
        _ = try await fixture.send(UpdateActor(id: city.id, version: city.version, actor: fields))
        #expect(
            try await eventually { try await fixture.send(query).slots.map(\.startUTC) == ["2027-01-15T00:00:00Z"] })
    }
}
